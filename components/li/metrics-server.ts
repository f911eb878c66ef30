// A tiny HTTP server for the sync's metrics file (Python standard library only:
// it runs in the synapse-li image, which has Python). The sync Job writes the
// file on the shared state volume; this serves it at LI_SYNC_METRICS.path in
// the Prometheus text format. Before the first sync it serves only the
// interval, so "never synced" is visible as a missing success timestamp.
import { LI_SYNC_METRICS } from "../contracts";

export function metricsServerScript(): string {
    const m = LI_SYNC_METRICS;
    return `import http.server, os, sys

METRICS_FILE = os.environ["METRICS_FILE"]
PORT = int(os.environ.get("METRICS_PORT", "${m.port}"))
BIND = os.environ.get("METRICS_BIND", "0.0.0.0")
INTERVAL = os.environ["SYNC_INTERVAL_SECONDS"]


class Handler(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        if self.path != "${m.path}":
            self.send_error(404)
            return
        try:
            with open(METRICS_FILE, "rb") as f:
                body = f.read()
        except FileNotFoundError:
            body = ("# HELP ${m.intervalSeconds} Configured interval between LI database syncs.\\n"
                    "# TYPE ${m.intervalSeconds} gauge\\n${m.intervalSeconds} %s\\n" % INTERVAL).encode()
        self.send_response(200)
        self.send_header("Content-Type", "text/plain; version=0.0.4; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


http.server.ThreadingHTTPServer((BIND, PORT), Handler).serve_forever()
`;
}
