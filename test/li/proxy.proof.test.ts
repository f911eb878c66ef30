// Proof in real HAProxy 2.6 (Debian) with the generated LI proxy config and the
// real access-log script (mawk, as in the HAProxy image): HTTPS for the LI host
// names only, routing per host, media uploads refused, connections from outside
// the LI admin networks refused before TLS, and every request in the day's log
// file on disk; old log files pruned by age.
import { strict as assert } from "assert";
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as http from "http";
import * as https from "https";
import * as os from "os";
import * as path from "path";
import { accessLogScript, liProxyConfig, proxyCommand, type LiProxySettings } from "../../components/li/proxy";
import { freePorts, ProcessGroup, requireBinaries, until } from "../helpers/procs";

const HOSTS = { homeserver: ["matrix-li.example.org", "example.org", "matrix.example.org"], element: "element-li.example.org", admin: "admin-li.example.org", keyVault: "keyvault-li.example.org" };

describe("LI proxy in real HAProxy 2.6", function () {
    this.timeout(60_000);
    const procs = new ProcessGroup();
    const stubs: http.Server[] = [];
    let dir = "";
    let ca = "";
    let port = 0;
    let deniedPort = 0;

    function request(host: string, p: string, opts: { method?: string; port?: number; body?: string; sni?: string } = {}): Promise<{ status: number; body: string }> {
        return new Promise((resolve, reject) => {
            const req = https.request(
                { host: "127.0.0.1", port: opts.port ?? port, path: p, method: opts.method ?? "GET", servername: opts.sni ?? host, headers: { host }, ca, timeout: 5000 },
                (res) => {
                    let body = "";
                    res.on("data", (d) => (body += d));
                    res.on("end", () => resolve({ status: res.statusCode!, body }));
                },
            );
            req.on("error", reject);
            req.on("timeout", () => req.destroy(new Error("timeout")));
            req.end(opts.body);
        });
    }

    before(async function () {
        requireBinaries(this, ["haproxy", "openssl", "mawk", "sh"]);
        dir = fs.mkdtempSync(path.join(os.tmpdir(), "li-proxy-"));
        const names = [...HOSTS.homeserver, HOSTS.element, HOSTS.admin, HOSTS.keyVault];
        const cert = path.join(dir, "tls.pem");
        const r = spawnSync("openssl", ["req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes", "-days", "1", "-subj", "/CN=matrix-li.example.org",
            "-addext", `subjectAltName=${names.map((n) => `DNS:${n}`).join(",")}`, "-keyout", `${cert}.key`, "-out", cert], { encoding: "utf8" });
        assert.equal(r.status, 0, r.stderr);
        ca = fs.readFileSync(cert, "utf8");

        const ports = await freePorts(8);
        const [p1, p2, p3, p4] = ports;
        for (const [name, p] of [["synapse", p1], ["element", p2], ["admin", p3], ["keyvault", p4]] as const) {
            const srv = http.createServer((req, res) => res.end(JSON.stringify({ backend: name, url: req.url, xff: req.headers["x-forwarded-for"] })));
            await new Promise<void>((ok) => srv.listen(p, "127.0.0.1", ok));
            stubs.push(srv);
        }
        port = ports[4]!;
        deniedPort = ports[6]!;
        const settings = (allowed: string[], listen: number, health: number): LiProxySettings => ({
            allowedCidrs: allowed,
            hosts: HOSTS,
            backends: { synapse: `127.0.0.1:${p1}`, element: `127.0.0.1:${p2}`, admin: `127.0.0.1:${p3}`, keyVault: `127.0.0.1:${p4}` },
            maxBodyBytes: 1024 * 1024,
            dnsResolvers: false,
            bindAddress: "127.0.0.1",
            port: listen,
            healthPort: health,
            certificate: cert,
        });
        // The in-cluster variant (DNS resolvers, default paths) is valid HAProxy too.
        const clusterCfg = path.join(dir, "cluster.cfg");
        fs.writeFileSync(clusterCfg, liProxyConfig({ ...settings(["10.8.0.0/16"], 8443, 8404), dnsResolvers: true, bindAddress: "127.0.0.1", backends: { synapse: "synapse-li.matrix-li.svc.cluster.local:8008", element: "element-web-li.matrix-li.svc.cluster.local:8080", admin: "synapse-admin-li.matrix-li.svc.cluster.local:8080" } }));
        const check = spawnSync("haproxy", ["-c", "-f", clusterCfg], { encoding: "utf8" });
        assert.equal(check.status, 0, check.stdout + check.stderr);

        for (const [name, allowed, listen, health] of [["allowed", ["127.0.0.1/32"], port, ports[5]!], ["denied", ["192.0.2.0/24"], deniedPort, ports[7]!]] as const) {
            const cfg = path.join(dir, `${name}.cfg`);
            fs.writeFileSync(cfg, liProxyConfig(settings([...allowed], listen, health)));
            const logDir = path.join(dir, `logs-${name}`);
            fs.mkdirSync(logDir);
            const old = path.join(logDir, "access-2020-01-01.log");
            fs.writeFileSync(old, "old\n");
            fs.utimesSync(old, new Date("2020-01-02"), new Date("2020-01-02"));
            fs.writeFileSync(path.join(dir, "logger.sh"), accessLogScript(), { mode: 0o755 });
            const fifo = path.join(dir, `${name}.fifo`);
            procs.start("sh", [path.join(dir, "logger.sh")], { env: { PATH: "/usr/bin:/bin", LOG_DIR: logDir, FIFO: fifo, RETENTION_DAYS: "365" } });
            procs.start("sh", ["-c", proxyCommand({ fifo, config: cfg })], { env: { PATH: "/usr/sbin:/usr/bin:/bin" } });
            assert.ok(await until(async () => (await fetch(`http://127.0.0.1:${health}/`)).ok, 15000), `HAProxy (${name}) answers its health port`);
        }
    });

    after(async () => {
        await procs.stopAll();
        for (const s of stubs) s.close();
        if (dir) fs.rmSync(dir, { recursive: true, force: true });
    });

    it("routes each LI host name to its backend, the main server names (split DNS) to synapse-li, anything else nowhere", async () => {
        for (const h of HOSTS.homeserver) assert.equal(JSON.parse((await request(h, "/_matrix/client/versions")).body).backend, "synapse");
        assert.equal(JSON.parse((await request(HOSTS.element, "/")).body).backend, "element");
        assert.equal(JSON.parse((await request(HOSTS.admin, "/")).body).backend, "admin");
        assert.equal(JSON.parse((await request(HOSTS.keyVault, "/")).body).backend, "keyvault");
        assert.equal((await request("other.example.org", "/", { sni: HOSTS.element })).status, 404);
        const r = JSON.parse((await request(HOSTS.homeserver[0]!, "/x")).body);
        assert.equal(r.xff, "127.0.0.1", "synapse-li sees the investigator's address");
    });

    it("serves media downloads but refuses uploads on every media API version", async () => {
        assert.equal((await request(HOSTS.homeserver[0]!, "/_matrix/client/v1/media/download/example.org/abc")).status, 200);
        for (const p of ["/_matrix/media/v3/upload", "/_matrix/media/r0/upload", "/_matrix/media/v1/create", "/_matrix/client/v1/media/upload", "/_matrix/media/v3/upload/example.org/abc"]) {
            assert.equal((await request(HOSTS.homeserver[0]!, p, { method: "POST", body: "x" })).status, 403, p);
        }
    });

    it("refuses connections from outside the LI admin networks before TLS", async () => {
        await assert.rejects(request(HOSTS.homeserver[0]!, "/_matrix/client/versions", { port: deniedPort }), /socket hang up|ECONNRESET|disconnected/);
    });

    it("writes every request to the day's log file on disk and prunes files past the retention", async () => {
        await request(HOSTS.admin, "/audit-marker-1");
        const today = new Date().toISOString().slice(0, 10);
        const file = path.join(dir, "logs-allowed", `access-${today}.log`);
        assert.ok(await until(async () => fs.existsSync(file) && fs.readFileSync(file, "utf8").includes("/audit-marker-1"), 10000), "request logged");
        const line = fs.readFileSync(file, "utf8").split("\n").find((l) => l.includes("/audit-marker-1"))!;
        assert.match(line, /127\.0\.0\.1:\d+/, "client address");
        assert.match(line, /be_admin/, "backend");
        assert.match(line, /admin-li\.example\.org/, "Host header");
        assert.match(line, /\b200\b/, "status");
        assert.ok(!fs.existsSync(path.join(dir, "logs-allowed", "access-2020-01-01.log")), "a file past the retention is deleted");
    });
});
