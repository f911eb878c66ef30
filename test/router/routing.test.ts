// The generated HAProxy config, run for real on loopback with every Synapse
// process replaced by a stub that answers with its own name. Only the server
// addresses differ from production (static instead of DNS); ACLs, backends,
// balancing and fallbacks are the generated ones.
import * as assert from "node:assert/strict";
import { computePlan, type Plan, type WorkerType } from "../../sizing";
import { haproxyConfig, ROUTER_HEALTH_PORT, ROUTER_METRICS_PATH } from "../../components/router/haproxy";
import { buildTopology, type Topology } from "../../components/synapse/topology";
import { startHaproxy, type RunningHaproxy } from "../../tools/loopback/haproxy";
import { send } from "../../tools/loopback/request";
import { startStub, type Stub } from "../../tools/loopback/stubs";
import { requireBinary } from "../helpers/binaries";
import { freePorts } from "../helpers/ports";

const ADMIN_NET = "10.20.0.0/16";
const STUBS_PER_SCALABLE_POOL: Partial<Record<WorkerType, number>> = { synchrotron: 4, generic: 3 };

interface Router {
    port: number;
    metricsPort: number;
    haproxy: RunningHaproxy;
    stubs: Map<string, Stub>;
    /** Stub names of each pool type ("main" for main). */
    byType: Map<string, string[]>;
}

async function startRouter(plan: Plan): Promise<Router> {
    const topo: Topology = buildTopology(plan);
    const stubs = new Map<string, Stub>();
    const byType = new Map<string, string[]>();
    const add = async (type: string, name: string) => {
        const s = await startStub(name);
        stubs.set(name, s);
        byType.set(type, [...(byType.get(type) ?? []), name]);
        return s.address;
    };
    const mainAddr = await add("main", "main");
    const pools: Partial<Record<WorkerType, string[]>> = {};
    for (const pool of topo.pools) {
        const n = pool.def.scalable ? STUBS_PER_SCALABLE_POOL[pool.def.type] ?? 2 : pool.instances.length;
        const addrs: string[] = [];
        for (let i = 0; i < n; i++) addrs.push(await add(pool.def.type, `${pool.def.type}#${i}`));
        pools[pool.def.type] = addrs;
    }
    const [port, healthPort, metricsPort] = await freePorts(3);
    const cfg = haproxyConfig(topo, {
        maxBodyBytes: plan.synapse.maxUploadBytes,
        // The test client is the "edge": its last X-Forwarded-For entry is believed.
        trustedProxies: ["127.0.0.1/32"],
        adminNetworks: [ADMIN_NET],
        bindAddress: "127.0.0.1",
        port,
        healthPort,
        metricsPort,
        staticServers: { main: mainAddr, pools },
    });
    assert.notEqual(healthPort, ROUTER_HEALTH_PORT);
    const haproxy = await startHaproxy(cfg, `http://127.0.0.1:${healthPort}/`);
    return { port, metricsPort, haproxy, stubs, byType };
}

async function stopRouter(r: Router | undefined) {
    if (!r) return;
    await r.haproxy.stop();
    await Promise.all([...r.stubs.values()].map((s) => s.stop()));
}

const typeOf = (stub: string | undefined) => (stub === undefined ? undefined : stub.split("#")[0]);
const bearer = (t: string) => ({ authorization: `Bearer ${t}` });
const ADMIN = { "x-forwarded-for": "10.20.3.4" };
const R = "!room:example.org";
const U = "@alice:example.org";
const enc = encodeURIComponent;

/** Real requests a client, a remote server or an admin sends (paths as docs/workers.md lists them). */
const CLIENT_CORPUS: [string, string, Record<string, string>, string][] = [
    ["GET", "/_matrix/client/v3/sync?since=s72594_4483_1934&timeout=30000", bearer("syt_YWxpY2U_abc_1"), "synchrotron"],
    ["GET", "/_matrix/client/r0/sync", bearer("syt_YWxpY2U_abc_1"), "synchrotron"],
    ["GET", "/_matrix/client/v3/events?from=s1&timeout=30000", bearer("syt_YWxpY2U_abc_1"), "synchrotron"],
    ["GET", "/_matrix/client/v3/initialSync?limit=1", bearer("syt_YWxpY2U_abc_1"), "synchrotron"],
    ["GET", `/_matrix/client/v3/rooms/${enc(R)}/initialSync`, bearer("syt_YWxpY2U_abc_1"), "synchrotron"],
    ["PUT", `/_matrix/client/v3/rooms/${enc(R)}/typing/${enc(U)}`, bearer("t1"), "typingWriter"],
    ["PUT", "/_matrix/client/v3/sendToDevice/m.room.encrypted/txn1", bearer("t1"), "toDeviceWriter"],
    ["PUT", `/_matrix/client/v3/user/${enc(U)}/account_data/m.direct`, bearer("t1"), "accountDataWriter"],
    ["GET", `/_matrix/client/v3/user/${enc(U)}/account_data/m.direct`, bearer("t1"), "accountDataWriter"],
    ["PUT", `/_matrix/client/v3/user/${enc(U)}/rooms/${enc(R)}/tags/u.work`, bearer("t1"), "accountDataWriter"],
    ["POST", `/_matrix/client/v3/rooms/${enc(R)}/receipt/m.read/${enc("$ev1")}`, bearer("t1"), "receiptsWriter"],
    ["POST", `/_matrix/client/v3/rooms/${enc(R)}/read_markers`, bearer("t1"), "receiptsWriter"],
    ["PUT", `/_matrix/client/v3/presence/${enc(U)}/status`, bearer("t1"), "presenceWriter"],
    ["GET", `/_matrix/client/v3/presence/${enc(U)}/status`, bearer("t1"), "presenceWriter"],
    ["GET", "/_matrix/client/v3/pushrules/", bearer("t1"), "pushRulesWriter"],
    ["PUT", "/_matrix/client/v3/pushrules/global/override/rule1", bearer("t1"), "pushRulesWriter"],
    ["POST", "/_matrix/client/v3/keys/upload", bearer("t1"), "deviceListsWriter"],
    ["POST", "/_matrix/client/v3/delete_devices", bearer("t1"), "deviceListsWriter"],
    ["GET", "/_matrix/client/v3/devices", bearer("t1"), "deviceListsWriter"],
    ["PUT", "/_matrix/client/v3/devices/ABCDEF", bearer("t1"), "deviceListsWriter"],
    ["POST", "/_matrix/client/v3/keys/device_signing/upload", bearer("t1"), "deviceListsWriter"],
    ["POST", "/_matrix/client/v3/keys/signatures/upload", bearer("t1"), "deviceListsWriter"],
    ["POST", "/_matrix/client/v3/keys/query", bearer("t1"), "generic"],
    ["POST", "/_matrix/client/v3/keys/claim", bearer("t1"), "generic"],
    ["GET", "/_matrix/client/v3/keys/changes?from=a&to=b", bearer("t1"), "generic"],
    ["GET", "/_matrix/client/versions", {}, "generic"],
    ["POST", "/_matrix/client/v3/login", {}, "generic"],
    ["GET", "/_matrix/client/v3/register/available?username=bob", {}, "generic"],
    ["POST", "/_matrix/client/v3/createRoom", bearer("t1"), "generic"],
    ["PUT", `/_matrix/client/v3/rooms/${enc(R)}/send/m.room.message/txn1`, bearer("t1"), "generic"],
    ["PUT", `/_matrix/client/v3/rooms/${enc(R)}/state/m.room.name/`, bearer("t1"), "generic"],
    ["POST", `/_matrix/client/v3/rooms/${enc(R)}/join`, bearer("t1"), "generic"],
    ["POST", `/_matrix/client/v3/rooms/${enc(R)}/redact/${enc("$e")}/txn2`, bearer("t1"), "generic"],
    ["POST", `/_matrix/client/v3/join/${enc("#room:example.org")}`, bearer("t1"), "generic"],
    ["GET", `/_matrix/client/v3/rooms/${enc(R)}/messages?dir=b&limit=20`, bearer("t1"), "generic"],
    ["GET", `/_matrix/client/v3/rooms/${enc(R)}/members`, bearer("t1"), "generic"],
    ["GET", `/_matrix/client/v3/rooms/${enc(R)}/state`, bearer("t1"), "generic"],
    ["GET", `/_matrix/client/v1/rooms/${enc(R)}/relations/${enc("$e")}`, bearer("t1"), "generic"],
    ["GET", `/_matrix/client/v3/profile/${enc(U)}`, {}, "generic"],
    ["GET", "/_matrix/client/v3/capabilities", bearer("t1"), "generic"],
    ["GET", "/_matrix/client/v3/joined_rooms", bearer("t1"), "generic"],
    ["GET", "/_matrix/client/v3/account/whoami", bearer("t1"), "generic"],
    ["POST", "/_matrix/client/v3/user_directory/search", bearer("t1"), "generic"],
    ["GET", "/_matrix/client/v3/voip/turnServer", bearer("t1"), "generic"],
    ["GET", "/_matrix/media/v3/download/example.org/abcdef", {}, "mediaRepository"],
    ["POST", "/_matrix/media/v3/upload?filename=a.png", bearer("t1"), "mediaRepository"],
    ["GET", "/_matrix/client/v1/media/thumbnail/example.org/abcdef?width=32&height=32", bearer("t1"), "mediaRepository"],
    ["GET", "/_matrix/client/v1/media/config", bearer("t1"), "mediaRepository"],
    ["POST", "/_synapse/admin/v1/purge_media_cache?before_ts=1", ADMIN, "mediaRepository"],
    ["GET", `/_synapse/admin/v1/users/${enc(U)}/media`, ADMIN, "mediaRepository"],
    ["GET", `/_synapse/admin/v1/rooms/${enc(R)}`, ADMIN, "generic"],
    ["GET", `/_synapse/admin/v2/users/${enc(U)}`, ADMIN, "generic"],
    // GET-only route: a write to the same path must reach main.
    ["PUT", `/_synapse/admin/v2/users/${enc(U)}`, ADMIN, "main"],
    ["GET", "/_synapse/admin/v1/server_version", ADMIN, "main"],
    ["GET", "/.well-known/matrix/client", {}, "main"],
    ["POST", "/_matrix/client/v3/logout", bearer("t1"), "main"],
    ["POST", "/_matrix/client/v3/account/password", bearer("t1"), "main"],
    ["GET", "/_matrix/client/v3/thirdparty/protocols", bearer("t1"), "main"],
    ["GET", "/_matrix/client/v3/unknown/endpoint", bearer("t1"), "main"],
];

const FEDERATION_CORPUS: [string, string, Record<string, string>, string][] = [
    ["PUT", "/_matrix/federation/v1/send/1700000000000", { authorization: 'X-Matrix origin="remote.org",key="ed25519:a",sig="x"' }, "generic"],
    ["GET", "/_matrix/federation/v1/version", {}, "generic"],
    ["GET", `/_matrix/federation/v1/make_join/${enc(R)}/${enc("@bob:remote.org")}`, {}, "generic"],
    ["PUT", `/_matrix/federation/v2/send_join/${enc(R)}/${enc("$e")}`, {}, "generic"],
    ["PUT", `/_matrix/federation/v2/invite/${enc(R)}/${enc("$e")}`, {}, "generic"],
    ["GET", `/_matrix/federation/v1/state_ids/${enc(R)}?event_id=x`, {}, "generic"],
    ["POST", "/_matrix/key/v2/query", {}, "generic"],
    ["GET", "/_matrix/key/v2/server", {}, "main"],
    ["GET", "/_matrix/federation/v1/media/download/abcdef", {}, "mediaRepository"],
];

async function expectRoutes(r: Router, corpus: typeof CLIENT_CORPUS) {
    const wrong: string[] = [];
    for (const [method, path, headers, expected] of corpus) {
        const reply = await send(r.port, method, path, headers);
        if (reply.status !== 200 || typeOf(reply.stub) !== expected) {
            wrong.push(`${method} ${path}: expected ${expected}, got ${reply.status} ${reply.stub ?? reply.body.slice(0, 80)}`);
        }
    }
    assert.deepEqual(wrong, []);
}

async function waitFor<T>(what: string, fn: () => Promise<T | undefined>, timeoutMs = 20000): Promise<T> {
    const deadline = Date.now() + timeoutMs;
    for (let i = 0; Date.now() < deadline && i < 1000; i++) {
        const v = await fn();
        if (v !== undefined) return v;
        await new Promise((res) => setTimeout(res, 200));
    }
    throw new Error(`timed out waiting for ${what}`);
}

const TOKENS = Array.from({ length: 200 }, (_, i) => `syt_dXNlcg${i}_${(i * 7919).toString(36)}_0a1b2c`);
const SYNC = "/_matrix/client/v3/sync?timeout=0";

describe("routing through the generated HAProxy config (real haproxy, stub workers)", function () {
    this.timeout(120000);

    describe("20K CCU, federation on", () => {
        const plan = computePlan({ ccu: 20000, federation: true });
        let r: Router | undefined;
        before(async function () {
            requireBinary(this, "haproxy");
            r = await startRouter(plan);
        });
        after(async () => stopRouter(r));

        it("sends every request of the client, media and admin corpus to the right worker type", async () => expectRoutes(r!, CLIENT_CORPUS));
        it("sends federation requests to generic workers, media workers or main", async () => expectRoutes(r!, FEDERATION_CORPUS));

        it("never forwards metrics or replication, enforces the upload limit, and refuses admin outside admin networks", async () => {
            for (const p of ["/_synapse/metrics", "/_synapse/replication/send_event/x"]) {
                const reply = await send(r!.port, "GET", p, ADMIN);
                assert.equal(reply.status, 404, p);
                assert.equal(reply.stub, undefined, p);
            }
            const big = await send(r!.port, "POST", "/_matrix/media/v3/upload", { "content-length": String(plan.synapse.maxUploadBytes + 1) });
            assert.equal(big.status, 413);
            const ok = await send(r!.port, "POST", "/_matrix/media/v3/upload", {}, "x".repeat(1000));
            assert.equal(typeOf(ok.stub), "mediaRepository");
            const outsider = await send(r!.port, "GET", "/_synapse/admin/v1/server_version", { "x-forwarded-for": "203.0.113.9" });
            assert.equal(outsider.status, 403);
            // Percent-encoding does not sneak past the guards (Twisted decodes segments before routing).
            for (const [p, status] of [["/_synapse/%61dmin/v1/server_version", 403], ["/_synapse/%6Detrics", 404], ["/_synapse/replic%61tion/x", 404]] as const) {
                const sneaky = await send(r!.port, "GET", p, { "x-forwarded-for": "203.0.113.9" });
                assert.equal(sneaky.status, status, p);
                assert.equal(sneaky.stub, undefined, p);
            }
            // A client cannot smuggle an admin address in front of the edge's own entry.
            const spoof = await send(r!.port, "GET", "/_synapse/admin/v1/server_version", { "x-forwarded-for": "10.20.0.1, 203.0.113.9" });
            assert.equal(spoof.status, 403);
        });

        it("serves its own Prometheus metrics on the metrics frontend (the router's PodMonitor scrapes it), and nothing else there", async () => {
            await send(r!.port, "GET", "/_matrix/client/versions");
            const metrics = await fetch(`http://127.0.0.1:${r!.metricsPort}${ROUTER_METRICS_PATH}`);
            assert.equal(metrics.status, 200);
            const text = await metrics.text();
            assert.match(text, /^haproxy_frontend_http_requests_total\{proxy="matrix"\} [1-9]/m);
            assert.match(text, /^haproxy_backend_active_servers\{proxy="be_main"\} 1/m);
            assert.equal((await fetch(`http://127.0.0.1:${r!.metricsPort}/stats`)).status, 404);
        });

        it("never writes an access token from the query string to its log", async () => {
            const token = "syt_bG9nY2hlY2s_secretpart_9z";
            const reply = await send(r!.port, "GET", `/_matrix/client/v3/sync?timeout=0&access_token=${token}`);
            assert.equal(typeOf(reply.stub), "synchrotron");
            const logs = await waitFor("the request to be logged", async () => (r!.haproxy.logs().includes("/_matrix/client/v3/sync") ? r!.haproxy.logs() : undefined));
            assert.ok(!logs.includes(token), "access token leaked into the router log");
        });

        it("passes the real client address on (the edge's last X-Forwarded-For entry)", async () => {
            const reply = await send(r!.port, "GET", "/_matrix/client/versions", { "x-forwarded-for": "198.51.100.1, 203.0.113.7" });
            assert.equal(JSON.parse(reply.body).xff, "203.0.113.7");
        });

        it("keeps each access token on one synchrotron, header or query string, and spreads tokens over all of them", async () => {
            const first = new Map<string, string>();
            for (const t of TOKENS) {
                const a = await send(r!.port, "GET", SYNC, bearer(t));
                const b = await send(r!.port, "GET", `${SYNC}&access_token=${t}`);
                const c = await send(r!.port, "GET", "/_matrix/client/v3/events?timeout=0", bearer(t));
                assert.equal(typeOf(a.stub), "synchrotron");
                assert.equal(b.stub, a.stub, `query-string token ${t}`);
                assert.equal(c.stub, a.stub, `/events ${t}`);
                first.set(t, a.stub!);
            }
            const counts = new Map<string, number>();
            for (const s of first.values()) counts.set(s, (counts.get(s) ?? 0) + 1);
            assert.equal(counts.size, r!.byType.get("synchrotron")!.length, `spread: ${JSON.stringify([...counts])}`);
            for (const [s, n] of counts) assert.ok(n >= TOKENS.length / counts.size / 3, `${s} got only ${n} of ${TOKENS.length}`);
        });

        it("balances event sending by room and inbound federation by source address", async () => {
            const rooms = Array.from({ length: 40 }, (_, i) => `!room${i}:example.org`);
            const seen = new Set<string>();
            for (const room of rooms) {
                const a = await send(r!.port, "PUT", `/_matrix/client/v3/rooms/${enc(room)}/send/m.room.message/t1`, bearer("x"));
                const b = await send(r!.port, "GET", `/_matrix/client/v3/rooms/${enc(room)}/messages?dir=b`, bearer("y"));
                const c = await send(r!.port, "POST", `/_matrix/client/v3/rooms/${enc(room)}/invite`, bearer("z"));
                assert.equal(typeOf(a.stub), "generic");
                assert.equal(b.stub, a.stub, room);
                assert.equal(c.stub, a.stub, room);
                seen.add(a.stub!);
            }
            assert.ok(seen.size > 1, "rooms spread over several generic workers");
            const sources = new Set<string>();
            for (let i = 0; i < 30; i++) {
                const ip = `198.51.100.${i + 1}`;
                const a = await send(r!.port, "PUT", `/_matrix/federation/v1/send/txn${i}`, { "x-forwarded-for": ip });
                const b = await send(r!.port, "PUT", `/_matrix/federation/v1/send/txn${i + 100}`, { "x-forwarded-for": ip });
                assert.equal(typeOf(a.stub), "generic");
                assert.equal(b.stub, a.stub, ip);
                sources.add(a.stub!);
            }
            assert.ok(sources.size > 1, "remote servers spread over several generic workers");
        });

        it("takes a worker out when its GET /health fails, though it still answers requests", async () => {
            const generics = r!.byType.get("generic")!;
            const sick = generics[0];
            r!.stubs.get(sick)!.setHealthy(false);
            try {
                await waitFor("haproxy to mark the unhealthy generic worker down", async () => {
                    const seen = new Set<string>();
                    for (let i = 0; i < 12; i++) seen.add((await send(r!.port, "GET", "/_matrix/client/versions")).stub!);
                    return seen.has(sick) ? undefined : seen;
                });
                for (let i = 0; i < 30; i++) assert.notEqual((await send(r!.port, "GET", "/_matrix/client/versions")).stub, sick);
            } finally {
                r!.stubs.get(sick)!.setHealthy(true);
            }
            await waitFor("the worker to come back", async () => {
                for (let i = 0; i < 12; i++) if ((await send(r!.port, "GET", "/_matrix/client/versions")).stub === sick) return true;
                return undefined;
            });
        });

        it("moves only the stopped synchrotron's users (consistent hashing)", async () => {
            const before = new Map<string, string>();
            for (const t of TOKENS) before.set(t, (await send(r!.port, "GET", SYNC, bearer(t))).stub!);
            const victim = r!.byType.get("synchrotron")![1];
            const victimToken = TOKENS.find((t) => before.get(t) === victim)!;
            await r!.stubs.get(victim)!.stop();
            await waitFor("haproxy to mark the stopped synchrotron down", async () => {
                const s = (await send(r!.port, "GET", SYNC, bearer(victimToken))).stub;
                return s !== victim && typeOf(s) === "synchrotron" ? s : undefined;
            });
            // Let the health check settle so retries/redispatch play no part below.
            await new Promise((res) => setTimeout(res, 2500));
            let moved = 0;
            for (const t of TOKENS) {
                const now = (await send(r!.port, "GET", SYNC, bearer(t))).stub!;
                assert.equal(typeOf(now), "synchrotron");
                if (before.get(t) === victim) {
                    assert.notEqual(now, victim);
                    moved++;
                } else {
                    assert.equal(now, before.get(t), `token ${t} moved although its synchrotron is up`);
                }
            }
            assert.ok(moved > 0);
        });

        it("falls back to main when no synchrotron is healthy, but never for stream writers or media", async () => {
            for (const name of r!.byType.get("synchrotron")!) await r!.stubs.get(name)!.stop();
            for (const name of r!.byType.get("typingWriter")!) await r!.stubs.get(name)!.stop();
            for (const name of r!.byType.get("mediaRepository")!) await r!.stubs.get(name)!.stop();
            await waitFor("sync to fall back to main", async () => ((await send(r!.port, "GET", SYNC, bearer(TOKENS[0]))).stub === "main" ? true : undefined));
            const typing = await waitFor("typing to be refused", async () => {
                const rep = await send(r!.port, "PUT", `/_matrix/client/v3/rooms/${enc(R)}/typing/${enc(U)}`, bearer("t1"));
                return rep.status === 503 ? rep : undefined;
            });
            assert.equal(typing.stub, undefined);
            const media = await send(r!.port, "GET", "/_matrix/media/v3/download/example.org/abcdef");
            assert.equal(media.status, 503);
            assert.equal(media.stub, undefined);
        });
    });

    describe("federation off, and a plan without a push-rules writer", () => {
        const base = computePlan({ ccu: 100, federation: false });
        const plan: Plan = {
            ...base,
            synapse: { ...base.synapse, workers: { ...base.synapse.workers, pushRulesWriter: { ...base.synapse.workers.pushRulesWriter, count: 0, maxReplicas: 0 } } },
        };
        let r: Router | undefined;
        before(async function () {
            requireBinary(this, "haproxy");
            r = await startRouter(plan);
        });
        after(async () => stopRouter(r));

        it("refuses every federation and key path without forwarding it", async () => {
            for (const [method, path, headers] of [...FEDERATION_CORPUS, ["GET", "/_matrix/%66ederation/v1/version", {}] as const]) {
                const reply = await send(r!.port, method, path, headers);
                assert.equal(reply.status, 404, path);
                assert.equal(reply.stub, undefined, path);
            }
        });

        it("lets exactly OpenID userinfo through to main (lk-jwt-service checks Element Call's tokens there)", async () => {
            const ok = await send(r!.port, "GET", "/_matrix/federation/v1/openid/userinfo?access_token=x", {});
            assert.equal(ok.stub, "main");
            for (const path of ["/_matrix/federation/v1/openid/userinfo/x", "/_matrix/federation/v1/openid/other", "/_matrix/federation/v1/openid"]) {
                const reply = await send(r!.port, "GET", path, {});
                assert.equal(reply.status, 404, path);
                assert.equal(reply.stub, undefined, path);
            }
        });

        it("honours GET-only routes: reading push rules goes to a generic worker, writing them to main", async () => {
            assert.equal(typeOf((await send(r!.port, "GET", "/_matrix/client/v3/pushrules/", bearer("t"))).stub), "generic");
            assert.equal(typeOf((await send(r!.port, "HEAD", "/_matrix/client/v3/pushrules/", bearer("t"))).stub), "generic");
            assert.equal((await send(r!.port, "PUT", "/_matrix/client/v3/pushrules/global/override/x", bearer("t"))).stub, "main");
            assert.equal((await send(r!.port, "DELETE", "/_matrix/client/v3/pushrules/global/override/x", bearer("t"))).stub, "main");
        });

        it("still routes the client corpus (minus push-rule writes) at 100 CCU", async () => {
            const corpus = CLIENT_CORPUS.filter(([m, p]) => !(p.includes("/pushrules/") && m !== "GET"));
            await expectRoutes(
                r!,
                corpus.map(([m, p, h, e]) => [m, p, h, p.includes("/pushrules/") ? "generic" : e] as [string, string, Record<string, string>, string]),
            );
        });
    });
});
