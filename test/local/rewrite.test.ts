// The local boot's one rewrite, on files made by the same generators the
// program uses: only addresses, listeners and mounted paths change; every
// other key and line is what the cluster runs.
import * as assert from "node:assert/strict";
import * as YAML from "yaml";
import { computePlan } from "../../sizing";
import { haproxyCfg, redisConf, sentinelConf } from "../../components/data/redis/config";
import { serverArgs } from "../../components/data/objectstore/minio";
import { poolLayout } from "../../components/data/objectstore/pools";
import { bootstrapScript } from "../../components/data/objectstore/minio";
import { haproxyConfig } from "../../components/router/haproxy";
import { synapseConfigFiles } from "../../components/synapse/homeserver";
import { PATHS } from "../../components/synapse/ports";
import { buildTopology } from "../../components/synapse/topology";
import { makeLayout, portsNeeded, synapseInstances } from "../../tools/local/layout";
import {
    mapPath,
    rewriteBootstrapScript,
    rewriteHaproxyCfg,
    rewriteMinioArgs,
    rewriteRedisConf,
    rewriteSentinelConf,
    rewriteSynapseFile,
    RewriteError,
    type AddressMap,
} from "../../tools/local/rewrite";
import { addressMap } from "../../tools/local/boot";
import type { RenderedDeployment } from "../../tools/local/render";
import { SETTINGS } from "../fixtures/synapse-settings";

const plan = computePlan({ ccu: 100, federation: false });
const topo = buildTopology(plan);
const files = synapseConfigFiles(plan, topo, SETTINGS);
const routerCfg = haproxyConfig(topo, { maxBodyBytes: 1000, trustedProxies: ["10.0.0.0/8"], adminNetworks: [] });
const podDirs = [PATHS.configDir, PATHS.secretsDir, "/secrets/signing", "/secrets/redis", PATHS.mediaStore, "/etc/redis-auth"];
const instances = synapseInstances(topo, 2);
const ports = Array.from({ length: portsNeeded(instances.length, 3, 3) }, (_, i) => 20000 + i);
const layout = makeLayout("/w", instances, { servers: 3, sentinels: 3 }, ports, podDirs);
const rendered = {
    topology: topo,
    postgres: { host: SETTINGS.database.host, port: SETTINGS.database.port, database: "synapse", user: "synapse" },
    redisEndpoint: SETTINGS.redis,
    redis: { masterName: "synapse", instances: 3, sentinels: 3, haproxyReplicas: 2 },
    media: SETTINGS.media,
} as unknown as RenderedDeployment;
const addresses: AddressMap = addressMap(rendered, layout);
const ctx = { addresses, mounts: layout.mounts, publicBaseUrl: "http://127.0.0.1:1/" };

/** Deletes the keys the rewrite may change, so the rest can be compared whole. */
function withoutRewritten(doc: Record<string, any>): Record<string, any> {
    const d = structuredClone(doc);
    for (const k of ["public_baseurl", "listeners", "worker_listeners", "instance_map", "database", "redis", "media_storage_providers", "worker_name"]) delete d[k];
    for (const [k, v] of Object.entries(d)) if (typeof v === "string" && v.startsWith("/")) delete d[k];
    return d;
}

describe("local boot: the rewrite of the rendered files", () => {
    it("runs main, every named instance and min(count, max-replicas) of each autoscaled pool", () => {
        const names = instances.map((i) => i.name);
        assert.equal(names[0], topo.main.podName);
        for (const pool of topo.pools) {
            if (pool.def.scalable) assert.equal(names.filter((n) => n.startsWith(`${pool.def.name}-local-`)).length, Math.min(pool.size.count, 2));
            else for (const n of pool.instances) assert.ok(names.includes(n), n);
        }
        assert.equal(synapseInstances(topo, 1).filter((i) => i.kind === "pool").length, topo.pools.filter((p) => p.def.scalable).length);
        assert.equal(new Set(ports).size, ports.length);
    });

    it("homeserver.yaml: addresses to loopback ports, listeners on 127.0.0.1, paths into the work dir, nothing else changed", () => {
        const main = layout.synapse[0]!;
        const out = YAML.parse(rewriteSynapseFile("homeserver.yaml", files["homeserver.yaml"]!, { ...ctx, ports: main.ports }));
        const before = YAML.parse(files["homeserver.yaml"]!);
        assert.deepEqual(withoutRewritten(out), withoutRewritten(before));
        assert.deepEqual(out.listeners.map((l: any) => l.port), [main.ports.http, main.ports.replication, main.ports.metrics]);
        for (const l of out.listeners) assert.deepEqual(l.bind_addresses, ["127.0.0.1"]);
        assert.deepEqual(out.listeners.map((l: any) => l.resources), before.listeners.map((l: any) => l.resources));
        assert.deepEqual(out.database.args, { ...before.database.args, host: "127.0.0.1", port: layout.postgres.port });
        assert.deepEqual(out.redis, { ...before.redis, host: "127.0.0.1", port: layout.redis.endpoint, password_path: "/w/mounts/secrets/redis/password" });
        assert.equal(out.media_storage_providers[0].config.endpoint_url, `http://127.0.0.1:${layout.minio.port}`);
        assert.equal(out.media_storage_providers[0].config.bucket, before.media_storage_providers[0].config.bucket);
        assert.equal(out.public_baseurl, "http://127.0.0.1:1/");
        assert.equal(out.signing_key_path, "/w/mounts/secrets/signing/signing.key");
        assert.equal(out.log_config, "/w/mounts/conf/log.yaml");
        assert.deepEqual(Object.keys(out.instance_map), Object.keys(before.instance_map));
        for (const [name, loc] of Object.entries<any>(out.instance_map)) {
            const inst = layout.synapse.find((s) => (name === "main" ? s.kind === "main" : s.name === name))!;
            assert.deepEqual(loc, { host: "127.0.0.1", port: inst.ports.replication }, name);
        }
        assert.deepEqual(out.stream_writers, before.stream_writers);
    });

    it("a pool's worker file gets the replica's name, as the container's start command renders it", () => {
        const inst = layout.synapse.find((s) => s.kind === "pool")!;
        const out = YAML.parse(rewriteSynapseFile(inst.workerFile!, files[inst.workerFile!]!, { ...ctx, ports: inst.ports, workerName: inst.name }));
        assert.equal(out.worker_name, inst.name);
        assert.equal(out.worker_listeners[0].port, inst.ports.http);
        assert.throws(() => rewriteSynapseFile(inst.workerFile!, files[inst.workerFile!]!, { ...ctx, ports: inst.ports }), RewriteError);
    });

    it("refuses a cluster address it has no process for", () => {
        const text = files["homeserver.yaml"]!.replace("synapse-db-rw.matrix.svc.cluster.local", "other-db.matrix.svc.cluster.local");
        assert.throws(() => rewriteSynapseFile("homeserver.yaml", text, { ...ctx, ports: layout.synapse[0]!.ports }), /no local process for other-db/);
    });

    it("router: DNS discovery -> the started replicas, binds on loopback, every ACL and backend line unchanged", () => {
        const out = rewriteHaproxyCfg("router", routerCfg, { addresses, binds: { 8008: 30001, 8404: 30002 } });
        assert.ok(!/resolvers|svc\.cluster\.local|\b0\.0\.0\.0\b/.test(out), out);
        const kept = (cfg: string) => cfg.split("\n").filter((l) => !/^\s*(server|server-template|bind)\s/.test(l) && !/^resolvers /.test(l));
        const keptBefore = kept(routerCfg).filter((l, i, all) => {
            // The resolvers section's own lines.
            const start = all.findIndex((x) => /^resolvers /.test(x));
            return !(start >= 0 && i > start && /^\s+\S/.test(l) && all.slice(start + 1, i).every((x) => /^\s+\S/.test(x)));
        });
        assert.deepEqual(kept(out), keptBefore.filter((l) => !/^\s+(parse-resolv-conf|accepted_payload_size|resolve_retries|timeout resolve|timeout retry|hold )/.test(l)));
        const sync = layout.synapse.filter((s) => s.pool === "synapse-synchrotron");
        for (const [i, s] of sync.entries()) assert.match(out, new RegExp(`server synchrotron${i + 1} 127\\.0\\.0\\.1:${s.ports.http} check\\n`));
        const main = layout.synapse[0]!;
        assert.match(out, new RegExp(`server main 127\\.0\\.0\\.1:${main.ports.http} check backup`));
        assert.match(out, /bind 127\.0\.0\.1:30001\n/);
        assert.match(out, /bind 127\.0\.0\.1:30002\n/);
    });

    it("Redis: server, Sentinel and master-endpoint files keep every setting but address, dir and auth path", () => {
        const group = plan.redis.synapse;
        const conf = redisConf(group, { bind: "0.0.0.0", port: 6379, dir: "/data", authFile: "/etc/redis-auth/redis-auth.conf" });
        const out = rewriteRedisConf(conf, { port: 7001, dir: "/w/r0", mounts: layout.mounts });
        assert.deepEqual(
            out.split("\n").filter((l) => !/^(bind|port|dir|include) /.test(l)),
            conf.split("\n").filter((l) => !/^(bind|port|dir|include) /.test(l)),
        );
        assert.match(out, /^include \/w\/mounts\/etc\/redis-auth\/redis-auth\.conf$/m);
        const host = "redis-synapse-0.redis-synapse-nodes.matrix.svc.cluster.local";
        const sconf = sentinelConf({ masterName: "synapse", bind: "0.0.0.0", port: 26379, dir: "/data", initialMaster: { host, port: 6379 }, quorum: 2, downAfterMs: 5000, failoverTimeoutMs: 30000, hostnames: true });
        const sout = rewriteSentinelConf(sconf, { port: 7100, dir: "/w/s0", addresses });
        assert.match(sout, new RegExp(`^sentinel monitor synapse 127\\.0\\.0\\.1 ${layout.redis.servers[0]} 2$`, "m"));
        const hcfg = haproxyCfg({
            bind: "0.0.0.0", port: 6379, healthPort: 8405, checkIntervalMs: 1000, dnsResolvers: true, passwordEnv: "REDIS_PASSWORD",
            servers: [0, 1, 2].map((o) => ({ name: `redis-synapse-${o}`, host: `redis-synapse-${o}.redis-synapse-nodes.matrix.svc.cluster.local`, port: 6379 })),
        });
        const hout = rewriteHaproxyCfg("redis", hcfg, { addresses, binds: { 6379: 7200, 8405: 7201 } });
        layout.redis.servers.forEach((p, i) => assert.match(hout, new RegExp(`server redis-synapse-${i} 127\\.0\\.0\\.1:${p} check\\n`)));
        assert.match(hout, /tcp-check expect string role:master/);
    });

    it("MinIO: the same pools and drives per erasure set, as folders of one loopback server", () => {
        const layoutPools = poolLayout(plan).pools;
        const args = serverArgs(layoutPools, "matrix-storage");
        const out = rewriteMinioArgs(args, { port: 9100, consolePort: 9101, dir: "/w/minio" });
        assert.deepEqual(out.slice(0, 3), ["server", "--address", "127.0.0.1:9100"]);
        const pools = out.filter((a) => a.startsWith("/w/minio/"));
        assert.equal(pools.length, layoutPools.length);
        const drives = (arg: string) => [...arg.matchAll(/\{(\d+)\.\.\.(\d+)\}/g)].reduce((n, m) => n * (Number(m[2]) - Number(m[1]) + 1), 1);
        pools.forEach((p, i) => assert.equal(drives(p), layoutPools[i]!.servers * layoutPools[i]!.drivesPerServer));
        assert.deepEqual(out.slice(-2), ["--console-address", "127.0.0.1:9101"]);
    });

    it("MinIO bootstrap: the program's script, pointed at the local server", () => {
        const script = bootstrapScript("synapse-media", ["synapse", "li"]);
        const out = rewriteBootstrapScript(script, { serviceUrl: "http://minio:9000", endpoint: "http://127.0.0.1:9100", policiesDir: "/w/p", home: "/w/h" });
        assert.ok(!out.includes("http://minio:9000"));
        assert.match(out, /mc admin policy create local media-synapse-rw \/w\/p\/media-synapse-rw\.json/);
        assert.match(out, /^export HOME=\/w\/h$/m);
        assert.equal(out.split("\n").length, script.split("\n").length);
    });

    it("maps mounted paths by the longest mount", () => {
        assert.equal(mapPath("/secrets/synapse/form_secret", layout.mounts), "/w/mounts/secrets/synapse/form_secret");
        assert.equal(mapPath("/conf", layout.mounts), "/w/mounts/conf");
        assert.equal(mapPath("/elsewhere/x", layout.mounts), undefined);
    });
});
