// Small HTTP servers on 127.0.0.1 standing in for Synapse processes: each answers
// every request with its own name (and what it received), and /health with 200.
import * as http from "node:http";
import type { AddressInfo } from "node:net";

export interface Stub {
    readonly name: string;
    readonly port: number;
    readonly address: string;
    /** Makes /health answer 503 (the process still answers everything else). */
    setHealthy(healthy: boolean): void;
    stop(): Promise<void>;
}

export async function startStub(name: string): Promise<Stub> {
    let healthy = true;
    const server = http.createServer((req, res) => {
        req.resume();
        req.on("end", () => {
            if (req.url === "/health") {
                res.writeHead(healthy ? 200 : 503, { "content-type": "text/plain" }).end(healthy ? "OK" : "unhealthy");
                return;
            }
            const body = JSON.stringify({ name, method: req.method, url: req.url, xff: req.headers["x-forwarded-for"] ?? null });
            res.writeHead(200, { "content-type": "application/json", "x-stub": name }).end(body);
        });
    });
    server.keepAliveTimeout = 5000;
    await new Promise<void>((resolve, reject) => {
        server.once("error", reject);
        server.listen(0, "127.0.0.1", () => resolve());
    });
    const port = (server.address() as AddressInfo).port;
    let stopped = false;
    return {
        name,
        port,
        address: `127.0.0.1:${port}`,
        setHealthy: (h) => {
            healthy = h;
        },
        stop: () =>
            new Promise<void>((resolve) => {
                if (stopped) return resolve();
                stopped = true;
                server.closeAllConnections();
                server.close(() => resolve());
            }),
    };
}
