// The calls component's pure parts: placement on the call servers at every
// tier, the ports each call server uses (no overlap; the security groups open
// exactly the internet-facing ones), the generated LiveKit, coturn and
// lk-jwt-service settings, Synapse's keys against the pinned schema, and the
// start scripts under shellcheck.
import { strict as assert } from "node:assert";
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { clusterCoturnSettings, coturnHostPorts, coturnStartScript, cidrRange, DENIED_PEER_CIDRS, turnserverConf } from "../../components/calls/coturn";
import { lkJwtEnv } from "../../components/calls/jwt";
import { clusterLivekitSettings, livekitConfig, livekitStartScript, REDIS_PASSWORD_PLACEHOLDER } from "../../components/calls/livekit";
import { synapseCallConfig, turnUris, wellKnownClientCalls } from "../../components/calls/matrix";
import { callPlacement } from "../../components/calls/placement";
import { callResources } from "../../components/calls/workloads";
import { publicPorts } from "../../components/cluster/aws/security";
import { CALL_HOST_PORTS, CALL_PORTS, type PortRange } from "../../components/contracts";
import { homeserverConfig } from "../../components/synapse/homeserver";
import { buildTopology } from "../../components/synapse/topology";
import { routeTable } from "../../components/router/haproxy";
import { computePlan, TIER_CCUS } from "../../sizing";
import { LIVEKIT_BENCHMARK } from "../../sizing/livekit-capacity";
import { requireBinary } from "../helpers/binaries";
import { loadSynapseValidator } from "../helpers/synapse-schema";

const CCUS = [...TIER_CCUS, 1, 3000, 7500, 15000];
const settings = (plan = computePlan({ ccu: 100, federation: false })) =>
    clusterCoturnSettings({ realm: "example.org", tls: { certFile: "/certs/tls.crt", keyFile: "/certs/tls.key" }, userQuota: plan.coturn.userQuota, totalQuota: plan.coturn.allocationsPerInstance, clusterCidrs: ["172.20.0.0/16", "100.200.0.0/16"] });
const livekit = () => livekitConfig(clusterLivekitSettings({ address: "fromEnvironment", keyFile: "/secrets/livekit/keys.yaml", redis: { masterName: "livekit", sentinels: ["s:26379"] } }));

interface HostPort {
    readonly owner: string;
    readonly protocol: "udp" | "tcp";
    readonly range: PortRange;
}

/** Every port a call server's instances bind, read back from the generated configs. */
function hostPortsOf(server: { livekit?: string; coturn?: string }): HostPort[] {
    const out: HostPort[] = [];
    if (server.livekit) {
        const c = livekit() as any;
        const one = (p: number) => ({ from: p, to: p });
        out.push(
            { owner: "livekit signal", protocol: "tcp", range: one(c.port) },
            { owner: "livekit metrics", protocol: "tcp", range: one(c.prometheus.port) },
            { owner: "livekit ice-tcp", protocol: "tcp", range: one(c.rtc.tcp_port) },
            { owner: "livekit rtc", protocol: "udp", range: { from: c.rtc.port_range_start, to: c.rtc.port_range_end } },
        );
    }
    if (server.coturn) {
        for (const p of coturnHostPorts(settings(), CALL_HOST_PORTS.turnMetrics)) out.push({ owner: `coturn ${p.name}`, protocol: p.protocol, range: p.range });
    }
    return out;
}

describe("calls: placement on the call servers", () => {
    for (const ccu of CCUS) {
        it(`${ccu} CCU: one LiveKit and one coturn per planned instance, on exactly the plan's call servers`, () => {
            const plan = computePlan({ ccu, federation: false });
            const servers = callPlacement(plan);
            assert.equal(servers.length, plan.nodePools.calls.count);
            assert.equal(servers.filter((s) => s.livekit).length, plan.livekit.instances);
            assert.equal(servers.filter((s) => s.coturn).length, plan.coturn.instances);
            assert.deepEqual(servers.map((s) => s.server), servers.map((_, i) => `calls-${i}`));
            if (!plan.callsColocated) assert.ok(servers.every((s) => !(s.livekit && s.coturn)));
        });
    }

    it("a tier change on dedicated servers appends servers and moves no instance", () => {
        const dedicated = CCUS.filter((c) => !computePlan({ ccu: c, federation: false }).callsColocated).sort((a, b) => a - b);
        for (let i = 1; i < dedicated.length; i++) {
            const small = callPlacement(computePlan({ ccu: dedicated[i - 1], federation: false }));
            const big = callPlacement(computePlan({ ccu: dedicated[i], federation: false }));
            assert.deepEqual(big.slice(0, small.length), small, `${dedicated[i - 1]} -> ${dedicated[i]}`);
        }
    });
});

describe("calls: ports on the call servers", () => {
    for (const ccu of CCUS) {
        it(`${ccu} CCU: nothing overlaps on any call server`, () => {
            for (const server of callPlacement(computePlan({ ccu, federation: false }))) {
                const ports = hostPortsOf(server);
                for (let i = 0; i < ports.length; i++) {
                    for (let j = i + 1; j < ports.length; j++) {
                        const a = ports[i];
                        const b = ports[j];
                        const overlap = a.protocol === b.protocol && a.range.from <= b.range.to && b.range.from <= a.range.to;
                        assert.ok(!overlap, `${server.server}: ${a.owner} ${JSON.stringify(a.range)} overlaps ${b.owner} ${JSON.stringify(b.range)} (${a.protocol})`);
                    }
                }
            }
        });
    }

    it("the security groups open exactly the internet-facing ports the generated configs listen on", () => {
        const opened = publicPorts({ edgeHttp: false })
            .filter((p) => p.group === "calls")
            .map((p) => `${p.protocol}/${p.fromPort}-${p.toPort}`)
            .sort();
        const internal = new Set<number>(Object.values(CALL_HOST_PORTS));
        const used = hostPortsOf({ livekit: "l", coturn: "c" })
            .filter((p) => !internal.has(p.range.from))
            .map((p) => `${p.protocol}/${p.range.from}-${p.range.to}`)
            .sort();
        assert.deepEqual(opened, [...new Set(used)]);
        for (const p of Object.values(CALL_HOST_PORTS)) assert.ok(!opened.some((o) => o.endsWith(`/${p}-${p}`)), `internal port ${p} opened`);
    });
});

describe("calls: coturn", () => {
    it("turns CIDR blocks into the address ranges coturn reads", () => {
        assert.equal(cidrRange("10.0.0.0/8"), "10.0.0.0-10.255.255.255");
        assert.equal(cidrRange("192.0.2.0/24"), "192.0.2.0-192.0.2.255");
        assert.equal(cidrRange("::1/128"), "0:0:0:0:0:0:0:1-0:0:0:0:0:0:0:1");
        assert.equal(cidrRange("fe80::/10"), "fe80:0:0:0:0:0:0:0-febf:ffff:ffff:ffff:ffff:ffff:ffff:ffff");
        assert.equal(cidrRange("64:ff9b::/96"), "64:ff9b:0:0:0:0:0:0-64:ff9b:0:0:0:0:ffff:ffff");
    });

    it("denies every range of Synapse's coturn guide and the cluster's own networks, and takes quotas from the plan", () => {
        const plan = computePlan({ ccu: 20000, federation: false });
        const conf = turnserverConf(settings(plan));
        const denied = conf.split("\n").filter((l) => l.startsWith("denied-peer-ip=")).map((l) => l.slice("denied-peer-ip=".length));
        for (const c of [...DENIED_PEER_CIDRS, "172.20.0.0/16", "100.200.0.0/16"]) assert.ok(denied.includes(cidrRange(c)), c);
        assert.equal(DENIED_PEER_CIDRS.length, 22);
        assert.match(conf, new RegExp(`^user-quota=${plan.coturn.userQuota}$`, "m"));
        assert.match(conf, new RegExp(`^total-quota=${plan.coturn.allocationsPerInstance}$`, "m"));
        assert.match(conf, new RegExp(`^min-port=${CALL_PORTS.turnRelay.from}$\nmax-port=${CALL_PORTS.turnRelay.to}$`, "m"));
        for (const line of ["use-auth-secret", "no-multicast-peers", "no-tcp-relay", "no-cli", "prometheus"]) assert.match(conf, new RegExp(`^${line}$`, "m"));
        // No secret, no per-user metric labels, no address in the ConfigMap copy.
        assert.doesNotMatch(conf, /^(static-auth-secret|prometheus-username-labels|external-ip|relay-ip)/m);
    });

    it("its start script passes shellcheck", function () {
        requireBinary(this, "shellcheck");
        for (const script of [
            coturnStartScript({ template: "/etc/coturn/turnserver.conf", secret: "/secrets/turn/secret", rendered: "/run/coturn/turnserver.conf", binary: "/usr/bin/turnserver" }),
            livekitStartScript({ template: "/etc/livekit/livekit.yaml", redisPassword: "/secrets/redis/password", rendered: "/run/livekit/livekit.yaml", binary: "/livekit-server" }),
        ]) {
            const dir = fs.mkdtempSync(path.join(os.tmpdir(), "calls-sh-"));
            try {
                fs.writeFileSync(path.join(dir, "s.sh"), script);
                const r = spawnSync("shellcheck", ["-s", "sh", path.join(dir, "s.sh")], { encoding: "utf8" });
                assert.equal(r.status, 0, r.stdout + r.stderr);
            } finally {
                fs.rmSync(dir, { recursive: true, force: true });
            }
        }
    });

    it("the coturn start script maps the public address onto the relay address", () => {
        const dir = fs.mkdtempSync(path.join(os.tmpdir(), "calls-sh-"));
        try {
            fs.writeFileSync(path.join(dir, "t.conf"), "realm=x\n");
            fs.writeFileSync(path.join(dir, "secret"), "abc123");
            const script = coturnStartScript({ template: path.join(dir, "t.conf"), secret: path.join(dir, "secret"), rendered: path.join(dir, "out.conf"), binary: "/bin/true" });
            const r = spawnSync("sh", ["-c", script], { env: { PATH: process.env.PATH, RELAY_IP: "10.40.128.7", PUBLIC_IP: "198.51.100.9" }, encoding: "utf8" });
            assert.equal(r.status, 0, r.stderr);
            assert.equal(fs.readFileSync(path.join(dir, "out.conf"), "utf8"), "realm=x\nstatic-auth-secret=abc123\nrelay-ip=10.40.128.7\nexternal-ip=198.51.100.9/10.40.128.7\n");
            fs.writeFileSync(path.join(dir, "secret"), "bad secret;");
            assert.notEqual(spawnSync("sh", ["-c", script], { encoding: "utf8" }).status, 0);
        } finally {
            fs.rmSync(dir, { recursive: true, force: true });
        }
    });
});

describe("calls: LiveKit and lk-jwt-service", () => {
    it("LiveKit creates no room itself, shares state through Sentinel and keeps every secret out of its config", () => {
        const c = livekit() as any;
        assert.deepEqual(c.room, { auto_create: false });
        assert.equal(c.redis.sentinel_master_name, "livekit");
        assert.deepEqual(c.redis.sentinel_addresses, ["s:26379"]);
        assert.equal(c.redis.password, REDIS_PASSWORD_PLACEHOLDER);
        assert.equal(c.key_file, "/secrets/livekit/keys.yaml");
        assert.equal(c.keys, undefined);
        assert.equal(c.rtc.use_external_ip, false);
        assert.equal(c.turn.enabled, false);
        const discover = livekitConfig(clusterLivekitSettings({ address: "discover", keyFile: "k", redis: { masterName: "m", sentinels: [] } })) as any;
        assert.equal(discover.rtc.use_external_ip, true);
    });

    it("lk-jwt-service gives full access to our server name only, keys from files", () => {
        const env = lkJwtEnv({ livekitUrl: "wss://rtc.example.org", keyFile: "/k", secretFile: "/s", fullAccessHomeservers: ["example.org"], bind: ":8080" });
        assert.deepEqual(env, { LIVEKIT_URL: "wss://rtc.example.org", LIVEKIT_KEY_FROM_FILE: "/k", LIVEKIT_SECRET_FROM_FILE: "/s", LIVEKIT_FULL_ACCESS_HOMESERVERS: "example.org", LIVEKIT_JWT_BIND: ":8080" });
        assert.throws(() => lkJwtEnv({ livekitUrl: "x", keyFile: "k", secretFile: "s", fullAccessHomeservers: ["*"], bind: ":8080" }));
    });

    it("instances fit their call server: halved where LiveKit and coturn share it", () => {
        for (const ccu of CCUS) {
            const plan = computePlan({ ccu, federation: false });
            const r = callResources(plan);
            const cpu = parseInt(r.requests.cpu, 10) / 1000;
            const perServer = plan.callsColocated ? 2 : 1;
            assert.ok(cpu * perServer < plan.nodePools.calls.vcpu, `${ccu}: ${cpu} x ${perServer} vCPU on ${plan.nodePools.calls.vcpu}`);
        }
    });
});

describe("calls: capacity against LiveKit's benchmark", () => {
    it("scales the benchmark by vCPU and reports the peak CPU per instance", () => {
        const plan = computePlan({ ccu: 20000, federation: false });
        const c = plan.livekit.capacity;
        assert.equal(c.benchmarkVideoParticipants, (LIVEKIT_BENCHMARK.videoParticipants * plan.livekit.cpu) / LIVEKIT_BENCHMARK.vcpu);
        assert.equal(c.peakParticipantsPerInstance, 400);
        // 240 video at 85%/150 each + 160 audio at 80%/3000 each.
        assert.equal(c.peakCpuPercent, 140.3);
        assert.ok(plan.errata.some((e) => e.startsWith("LiveKit capacity: §11.2 gives 2,000 participants per 16-vCPU instance")));
        assert.ok(plan.warnings.some((w) => w.startsWith("LiveKit: at the peak")));
        const small = computePlan({ ccu: 100, federation: false });
        assert.ok(small.livekit.capacity.peakCpuPercent < 10);
        assert.ok(!small.warnings.some((w) => w.startsWith("LiveKit")));
    });
});

describe("calls: Synapse's side", () => {
    const plan = computePlan({ ccu: 1000, federation: false });
    const calls = { turnHost: "turn.example.org", livekitServiceUrl: "https://rtc.example.org", turnUserLifetime: "1h" };
    const hs = homeserverConfig(plan, buildTopology(plan, "matrix"), {
        serverName: "example.org",
        publicBaseUrl: "https://matrix.example.org/",
        database: { host: "db", port: 5432, database: "synapse", user: "synapse" },
        redis: { host: "r", port: 6379 },
        media: { endpointUrl: "http://s3", bucket: "b", region: "r" },
        calls,
    }) as any;

    it("carries TURN (turn and turns, UDP and TCP, secret from a file, no guests) and MatrixRTC keys", () => {
        assert.deepEqual(hs.turn_uris, turnUris("turn.example.org"));
        assert.equal(hs.turn_uris.length, 3);
        assert.equal(hs.turn_shared_secret_path, "/secrets/synapse/turn_shared_secret");
        assert.equal(hs.turn_shared_secret, undefined);
        assert.equal(hs.turn_allow_guests, false);
        assert.deepEqual(hs.extra_well_known_client_content, wellKnownClientCalls(calls));
        assert.deepEqual(hs.experimental_features, { msc4143_enabled: true, msc4222_enabled: true });
        assert.deepEqual({ ...hs, listeners: undefined }, { ...hs, ...synapseCallConfig(calls, hs.turn_shared_secret_path), listeners: undefined });
        // lk-jwt-service resolves the server name like a federation peer and asks main's openid resource.
        assert.equal(hs.serve_server_wellknown, true);
        assert.ok(hs.listeners[0].resources[0].names.includes("openid"));
        assert.ok(!hs.listeners[0].resources[0].names.includes("federation"));
    });

    it("validates against the pinned Synapse's config schema", function () {
        const validate = loadSynapseValidator();
        if (!validate) {
            if (process.env.CI) throw new Error("../shared/reference is required in CI");
            console.log("    skipped: ../shared/reference/synapse-config.schema.yaml is absent");
            return this.skip();
        }
        assert.ok(validate(hs), JSON.stringify(validate.errors));
    });

    it("routes the delayed-event restart and list endpoints to a worker", () => {
        const routes = routeTable(buildTopology(plan, "matrix"));
        const hit = routes.find((r) => r.group.patterns.some((p) => new RegExp(p).test("/_matrix/client/unstable/org.matrix.msc4140/delayed_events/abc/restart")));
        assert.ok(hit, "no route");
        assert.notEqual(hit!.pool.def.name, "synapse-main");
        assert.ok(hit!.group.patterns.some((p) => new RegExp(p).test("/_matrix/client/unstable/org.matrix.msc4140/delayed_events")));
    });
});
