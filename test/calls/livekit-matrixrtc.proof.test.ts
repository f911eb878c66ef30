// Element Call's path through the real programs, on loopback: a monolith
// Synapse (pinned version) with the program's generated TURN and MatrixRTC
// settings, coturn with the generated turnserver.conf, the LiveKit Redis group
// (master, replica, Sentinel) from the data layer's generators, LiveKit with
// the generated config and start script, and lk-jwt-service with the generated
// environment. Synapse's TURN credentials allocate on coturn; an OpenID token
// from Synapse, exchanged at lk-jwt-service, yields a LiveKit token LiveKit
// accepts; a token claiming another homeserver is refused; LiveKit never
// creates a room on its own. One set of processes for the whole file.
import { strict as assert } from "node:assert";
import { spawnSync } from "node:child_process";
import { createHmac, randomBytes } from "node:crypto";
import * as fs from "node:fs";
import * as https from "node:https";
import * as http from "node:http";
import * as os from "node:os";
import * as path from "node:path";
import * as YAML from "yaml";
import VERSIONS from "../../config/sections/calls-versions.json";
import { clusterCoturnSettings, coturnStartScript, turnserverConf } from "../../components/calls/coturn";
import { LK_JWT_PUBLIC_PATHS, lkJwtEnv } from "../../components/calls/jwt";
import { clusterLivekitSettings, livekitConfig, livekitKeyFile, livekitStartScript } from "../../components/calls/livekit";
import type { CallEndpoints } from "../../components/calls/matrix";
import { redisAuthConf, redisConf, sentinelAuthConf, sentinelConf } from "../../components/data/redis/config";
import { homeserverConfig, type SynapseSettings } from "../../components/synapse/homeserver";
import { buildTopology } from "../../components/synapse/topology";
import { computePlan } from "../../sizing";
import { livekitForLoopback, turnserverForLoopback } from "../../tools/loopback/calls";
import { freePorts, ProcessGroup, requireBinaries, until } from "../helpers/procs";
import { goProgram, requireTool, venvProgram } from "../helpers/tools";
import { TurnClient } from "../helpers/turn-client";

const plan = computePlan({ ccu: 1000, federation: false });
/** Keys of the generated homeserver.yaml this proof takes over verbatim (federation off, TURN, MatrixRTC). */
const GENERATED_KEYS = [
    "federation_domain_whitelist",
    "trusted_key_servers",
    "allow_public_rooms_over_federation",
    "serve_server_wellknown",
    "turn_uris",
    "turn_user_lifetime",
    "turn_allow_guests",
    "max_event_delay_duration",
    "rc_delayed_event_mgmt",
    "matrix_rtc",
    "experimental_features",
    "extra_well_known_client_content",
];

interface Reply {
    status: number;
    body: any;
}

function call(url: string, method: string, body?: unknown, token?: string): Promise<Reply> {
    const u = new URL(url);
    const mod = u.protocol === "https:" ? https : http;
    return new Promise((resolve, reject) => {
        const req = mod.request(
            u,
            {
                method,
                rejectUnauthorized: false,
                headers: { "content-type": "application/json", ...(token ? { authorization: `Bearer ${token}` } : {}) },
                timeout: 20000,
            },
            (res) => {
                let text = "";
                res.on("data", (d) => (text += d));
                res.on("end", () => {
                    let parsed: unknown = text;
                    try {
                        parsed = JSON.parse(text);
                    } catch {
                        /* plain text */
                    }
                    resolve({ status: res.statusCode ?? 0, body: parsed });
                });
            },
        );
        req.on("error", reject);
        req.on("timeout", () => req.destroy(new Error(`timeout ${method} ${url}`)));
        if (body !== undefined) req.write(JSON.stringify(body));
        req.end();
    });
}

describe("MatrixRTC proof: Synapse, lk-jwt-service, LiveKit and coturn with the generated configs", function () {
    this.timeout(240000);
    const procs = new ProcessGroup();
    let dir = "";
    const P: Record<string, number> = {};
    let serverName = "";
    let hs = "";
    let lkHttp = "";
    let jwtUrl = "";
    let lkJwtAvailable = false;
    const TURN_SECRET = randomBytes(24).toString("hex");
    const REDIS_PASSWORD = randomBytes(16).toString("hex");
    let accessToken = "";
    let userId = "";
    const started: { name: string; proc: ReturnType<ProcessGroup["start"]> }[] = [];
    const logs = () => started.map((s) => `--- ${s.name}\n${procs.output(s.proc).slice(-3000)}`).join("\n");

    before(async function () {
        requireBinaries(this, ["redis-server", "redis-cli", "turnserver", "openssl"]);
        const python = requireTool(this, venvProgram("synapse", "python"), ".ci/install.d/20-synapse.sh");
        const livekit = requireTool(this, goProgram("livekit", `v${VERSIONS.livekit}`, "server"), ".ci/install.d/30-livekit.sh");
        // lk-jwt-service is the one program that no package registry serves (its go.mod names the module
        // `lk-jwt-service`, so the Go module proxy refuses it): where it could not be built from git, the
        // token-exchange tests say so and do not run; everything else still does.
        const lkJwtPath = goProgram("lk-jwt-service", `v${VERSIONS.lkJwtService}`);
        lkJwtAvailable = fs.existsSync(lkJwtPath);
        if (!lkJwtAvailable) console.log(`    lk-jwt-service is not installed (${path.relative(process.cwd(), lkJwtPath)}): the token-exchange tests will not run`);
        dir = fs.mkdtempSync(path.join(os.tmpdir(), "matrixrtc-proof-"));
        const names = ["synapse", "redisA", "redisB", "sentinel", "lkSignal", "lkMetrics", "lkTcp", "jwt", "turn", "turnTls"];
        const ports = await freePorts(names.length);
        names.forEach((n, i) => (P[n] = ports[i]));
        serverName = `127.0.0.1:${P.synapse}`;
        hs = `https://${serverName}`;
        lkHttp = `http://127.0.0.1:${P.lkSignal}`;
        jwtUrl = `http://127.0.0.1:${P.jwt}`;
        const file = (name: string, text: string, mode = 0o600) => {
            const f = path.join(dir, name);
            fs.writeFileSync(f, text, { mode });
            return f;
        };
        const cert = path.join(dir, "tls.crt");
        const key = path.join(dir, "tls.key");
        const ossl = spawnSync("openssl", ["req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-days", "1", "-subj", "/CN=127.0.0.1", "-keyout", key, "-out", cert], { encoding: "utf8" });
        assert.equal(ossl.status, 0, ossl.stderr);
        const start = (name: string, cmd: string, args: string[], env: Record<string, string> = {}) =>
            started.push({ name, proc: procs.start(cmd, args, { env: { ...process.env, ...env }, cwd: dir }) });

        // The LiveKit Redis group: the data layer's configs, a master, one replica, one Sentinel.
        const auth = file("redis-auth.conf", redisAuthConf(REDIS_PASSWORD));
        for (const [n, role] of [["redisA", "master"], ["redisB", "replica"]] as const) {
            fs.mkdirSync(path.join(dir, n));
            const conf = file(`${n}.conf`, redisConf(plan.redis.livekit, { bind: "127.0.0.1", port: P[n], dir: path.join(dir, n), authFile: auth }));
            start(n, "redis-server", role === "master" ? [conf] : [conf, "--replicaof", "127.0.0.1", String(P.redisA)]);
        }
        fs.mkdirSync(path.join(dir, "sentinel"));
        const sconf = file(
            "sentinel.conf",
            sentinelConf({ masterName: "livekit", bind: "127.0.0.1", port: P.sentinel, dir: path.join(dir, "sentinel"), initialMaster: { host: "127.0.0.1", port: P.redisA }, quorum: 1, downAfterMs: 5000, failoverTimeoutMs: 30000, hostnames: false }) +
                sentinelAuthConf("livekit", REDIS_PASSWORD),
        );
        start("sentinel", "redis-server", [sconf, "--sentinel"]);
        // min-replicas-to-write 1 (the data layer's setting): LiveKit's first write needs the replica in sync.
        const replicaOnline = async () =>
            /slave0:.*state=online/.test(spawnSync("redis-cli", ["-p", String(P.redisA), "--no-auth-warning", "-a", REDIS_PASSWORD, "info", "replication"], { encoding: "utf8" }).stdout);
        assert.ok(await until(replicaOnline, 30000, 300), `the LiveKit Redis replica did not sync\n${logs()}`);

        // LiveKit: the generated config (ports and addresses moved to loopback) through the generated start script.
        const apiKey = "APIproofkey";
        const apiSecret = randomBytes(24).toString("hex");
        const keyFile = file("keys.yaml", livekitKeyFile(apiKey, apiSecret), 0o600);
        const generated = livekitConfig(clusterLivekitSettings({ address: "fromEnvironment", keyFile: "/secrets/livekit/keys.yaml", redis: { masterName: "livekit", sentinels: ["redis-livekit-sentinel:26379"] } }));
        const lkConf = livekitForLoopback(generated, { signalPort: P.lkSignal, metricsPort: P.lkMetrics, tcpPort: P.lkTcp, udpRange: { from: 51000, to: 51099 }, sentinels: [`127.0.0.1:${P.sentinel}`], keyFile });
        const template = file("livekit.yaml", YAML.stringify(lkConf));
        const redisPw = file("redis-password", REDIS_PASSWORD);
        const lkScript = file("livekit-start.sh", livekitStartScript({ template, redisPassword: redisPw, rendered: path.join(dir, "livekit-rendered.yaml"), binary: livekit }));
        start("livekit", "sh", [lkScript]);

        // coturn: the generated turnserver.conf, the same secret Synapse reads.
        const turnSecretFile = file("turn_shared_secret", TURN_SECRET);
        const turnTemplate = file(
            "turnserver-template.conf",
            turnserverForLoopback(
                turnserverConf(clusterCoturnSettings({ realm: serverName, tls: { certFile: "/certs/tls.crt", keyFile: "/certs/tls.key" }, userQuota: plan.coturn.userQuota, totalQuota: plan.coturn.allocationsPerInstance, clusterCidrs: [] })),
                { port: P.turn, tlsPort: P.turnTls, tls: { certFile: cert, keyFile: key }, allowedPeers: [], dropMetrics: true, stateDir: dir },
            ),
        );
        const turnBinary = spawnSync("sh", ["-c", "command -v turnserver"], { encoding: "utf8" }).stdout.trim();
        const turnScript = file("coturn-start.sh", coturnStartScript({ template: turnTemplate, secret: turnSecretFile, rendered: path.join(dir, "turnserver.conf"), binary: turnBinary }));
        start("coturn", "sh", [turnScript], { RELAY_IP: "127.0.0.1" });

        // Synapse: a monolith on SQLite, with the generated keys for federation-off, TURN and MatrixRTC.
        const calls: CallEndpoints = { turnHost: "127.0.0.1", livekitServiceUrl: jwtUrl, turnUserLifetime: "1h" };
        const settings: SynapseSettings = {
            serverName,
            publicBaseUrl: `${hs}/`,
            database: { host: "unused", port: 5432, database: "unused", user: "unused" },
            redis: { host: "unused", port: 6379 },
            media: { endpointUrl: "http://unused", bucket: "unused", region: "unused" },
            calls,
        };
        const full = homeserverConfig(plan, buildTopology(plan, "matrix"), settings) as Record<string, any>;
        const picked = Object.fromEntries(GENERATED_KEYS.map((k) => [k, full[k]]));
        assert.ok(full.turn_shared_secret_path, "generated config lacks turn_shared_secret_path");
        const mainResources = full.listeners[0].resources[0].names as string[];
        const regSecret = file("registration_secret", randomBytes(16).toString("hex"));
        const hsConfig = {
            server_name: serverName,
            public_baseurl: `${hs}/`,
            report_stats: false,
            pid_file: path.join(dir, "synapse.pid"),
            signing_key_path: file("signing.key", `ed25519 a_test ${randomBytes(32).toString("base64").replace(/=+$/, "")}\n`),
            log_config: file("log.yaml", YAML.stringify({ version: 1, handlers: { c: { class: "logging.StreamHandler" } }, root: { level: "WARNING", handlers: ["c"] } })),
            database: { name: "sqlite3", args: { database: path.join(dir, "homeserver.db") } },
            media_store_path: path.join(dir, "media"),
            listeners: [{ port: P.synapse, bind_addresses: ["127.0.0.1"], type: "http", tls: true, x_forwarded: false, resources: [{ names: mainResources }] }],
            tls_certificate_path: cert,
            tls_private_key_path: key,
            registration_shared_secret_path: regSecret,
            enable_registration: false,
            ...picked,
            // The one path changed: where the test keeps the shared secret file.
            turn_shared_secret_path: turnSecretFile,
        };
        const hsFile = file("homeserver.yaml", YAML.stringify(hsConfig));
        start("synapse", python, ["-m", "synapse.app.homeserver", "-c", hsFile]);

        // lk-jwt-service: the generated environment, LiveKit on loopback, our server name as the only full-access one.
        fs.writeFileSync(path.join(dir, "api-key"), apiKey);
        fs.writeFileSync(path.join(dir, "api-secret"), apiSecret);
        const env = lkJwtEnv({ livekitUrl: `ws://127.0.0.1:${P.lkSignal}`, keyFile: path.join(dir, "api-key"), secretFile: path.join(dir, "api-secret"), fullAccessHomeservers: [serverName], bind: `127.0.0.1:${P.jwt}` });
        // Only the test's self-signed Synapse certificate needs this; nothing else differs from the cluster.
        if (lkJwtAvailable) start("lk-jwt-service", lkJwtPath, [], { ...env, LIVEKIT_INSECURE_SKIP_VERIFY_TLS: "YES_I_KNOW_WHAT_I_AM_DOING" });

        const up = async (url: string) => (await call(url, "GET")).status === 200;
        assert.ok(await until(() => up(`${hs}/health`), 120000, 500), `Synapse did not start\n${logs()}`);
        assert.ok(await until(() => up(`${lkHttp}/`), 60000, 500), `LiveKit did not start\n${logs()}`);
        if (lkJwtAvailable) assert.ok(await until(() => up(`${jwtUrl}/healthz`), 30000, 300), `lk-jwt-service did not start\n${logs()}`);

        // A user, registered with the shared secret (registration is closed).
        const nonce = (await call(`${hs}/_synapse/admin/v1/register`, "GET")).body.nonce as string;
        const mac = createHmac("sha1", fs.readFileSync(regSecret, "utf8")).update(`${nonce}\0alice\0correct-horse\0notadmin`).digest("hex");
        const reg = await call(`${hs}/_synapse/admin/v1/register`, "POST", { nonce, username: "alice", password: "correct-horse", admin: false, mac });
        assert.equal(reg.status, 200, JSON.stringify(reg.body));
        accessToken = reg.body.access_token;
        userId = reg.body.user_id;
    });

    after(async () => {
        await procs.stopAll();
        if (dir) fs.rmSync(dir, { recursive: true, force: true });
    });

    it("Synapse hands out TURN credentials for the generated URIs that coturn accepts", async () => {
        const r = await call(`${hs}/_matrix/client/v3/voip/turnServer`, "GET", undefined, accessToken);
        assert.equal(r.status, 200, JSON.stringify(r.body));
        assert.deepEqual(r.body.uris, ["turn:127.0.0.1:3478?transport=udp", "turn:127.0.0.1:3478?transport=tcp", "turns:127.0.0.1:5349?transport=tcp"]);
        assert.match(r.body.username, new RegExp(`^\\d+:${userId.replace(/[.]/g, "\\.")}$`));
        const client = await TurnClient.open({ address: "127.0.0.1", port: P.turn });
        try {
            const alloc = await client.allocate(r.body.username, r.body.password);
            assert.ok(alloc.success, `coturn refused Synapse's credentials: ${JSON.stringify(alloc.error)}\n${logs()}`);
        } finally {
            client.close();
        }
    });

    it("advertises the MatrixRTC focus in .well-known and in the transports endpoint, and serves .well-known/matrix/server", async () => {
        const wk = await call(`${hs}/.well-known/matrix/client`, "GET");
        assert.deepEqual(wk.body["org.matrix.msc4143.rtc_foci"], [{ type: "livekit", livekit_service_url: jwtUrl }]);
        const t = await call(`${hs}/_matrix/client/unstable/org.matrix.msc4143/rtc/transports`, "GET", undefined, accessToken);
        assert.equal(t.status, 200, JSON.stringify(t.body));
        assert.deepEqual(t.body.rtc_transports, [{ type: "livekit", livekit_service_url: jwtUrl }]);
        assert.equal((await call(`${hs}/.well-known/matrix/server`, "GET")).status, 200);
    });

    it("accepts delayed events (MSC4140) up to the configured maximum", async () => {
        const room = await call(`${hs}/_matrix/client/v3/createRoom`, "POST", {}, accessToken);
        assert.equal(room.status, 200, JSON.stringify(room.body));
        const roomId = encodeURIComponent(room.body.room_id);
        const ok = await call(`${hs}/_matrix/client/v3/rooms/${roomId}/state/m.call.member/x?org.matrix.msc4140.delay=60000`, "PUT", {}, accessToken);
        assert.equal(ok.status, 200, JSON.stringify(ok.body));
        assert.ok(ok.body.delay_id);
        const tooLong = await call(`${hs}/_matrix/client/v3/rooms/${roomId}/state/m.call.member/y?org.matrix.msc4140.delay=${25 * 3600 * 1000}`, "PUT", {}, accessToken);
        // Synapse answers 400 ORG.MATRIX.MSC4140_DELAY_TOO_LARGE or 403 M_FORBIDDEN depending on which check runs first.
        assert.ok([400, 403].includes(tooLong.status), JSON.stringify(tooLong.body));
        assert.match(tooLong.body.error, /allowed maximum \(86400000ms\)/);
    });

    it("exchanges Synapse's OpenID token at lk-jwt-service for a LiveKit token that LiveKit accepts", async function () {
        if (!lkJwtAvailable) this.skip();
        const oid = await call(`${hs}/_matrix/client/v3/user/${encodeURIComponent(userId)}/openid/request_token`, "POST", {}, accessToken);
        assert.equal(oid.status, 200, JSON.stringify(oid.body));
        assert.equal(oid.body.matrix_server_name, serverName);
        assert.ok(LK_JWT_PUBLIC_PATHS.includes("/sfu/get"));
        const sfu = await call(`${jwtUrl}/sfu/get`, "POST", { room: "!call:example", openid_token: oid.body, device_id: "PROOFDEVICE" });
        assert.equal(sfu.status, 200, `${JSON.stringify(sfu.body)}\n${logs()}`);
        assert.equal(sfu.body.url, `ws://127.0.0.1:${P.lkSignal}`);
        const v = await call(`${lkHttp}/rtc/validate?access_token=${encodeURIComponent(sfu.body.jwt)}`, "GET");
        assert.equal(v.status, 200, `LiveKit refused the token: ${JSON.stringify(v.body)}\n${logs()}`);
    });

    it("refuses an OpenID token presented for another homeserver", async function () {
        if (!lkJwtAvailable) this.skip();
        const oid = await call(`${hs}/_matrix/client/v3/user/${encodeURIComponent(userId)}/openid/request_token`, "POST", {}, accessToken);
        const foreign = { ...oid.body, matrix_server_name: `127.0.0.1:${P.lkMetrics}` };
        const sfu = await call(`${jwtUrl}/sfu/get`, "POST", { room: "!call:example", openid_token: foreign, device_id: "PROOFDEVICE" });
        assert.notEqual(sfu.status, 200);
        assert.equal(sfu.body?.jwt, undefined);
    });

    it("LiveKit creates no room on its own (room.auto_create: false): a valid token for an uncreated room is refused", async () => {
        // Sign a join token with the same key for a room lk-jwt-service never created.
        const header = Buffer.from(JSON.stringify({ alg: "HS256", typ: "JWT" })).toString("base64url");
        const now = Math.floor(Date.now() / 1000);
        const keys = YAML.parse(fs.readFileSync(path.join(dir, "keys.yaml"), "utf8")) as Record<string, string>;
        const [k, s] = Object.entries(keys)[0];
        const payload = Buffer.from(JSON.stringify({ iss: k, sub: "intruder", nbf: now - 10, exp: now + 600, video: { room: "never-created", roomJoin: true } })).toString("base64url");
        const sig = createHmac("sha256", s).update(`${header}.${payload}`).digest("base64url");
        const v = await call(`${lkHttp}/rtc/validate?access_token=${header}.${payload}.${sig}`, "GET");
        assert.notEqual(v.status, 200, JSON.stringify(v.body));
    });
});
