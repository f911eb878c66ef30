// Proof in real Redis 7.0 + Sentinel + HAProxy 2.6 (Debian), all on loopback,
// with the configuration the component generates: writes go through the one
// stable endpoint Synapse uses, the master is killed, and writes come back
// through the same endpoint; replica-acknowledged writes (WAIT) survive.
import { strict as assert } from "assert";
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { DATA_DEFAULTS } from "../../config/sections/data";
import { haproxyCfg, redisAuthConf, redisConf, sentinelAuthConf, sentinelConf } from "../../components/data/redis/config";
import type { RedisGroup } from "../../sizing/types";
import { freePorts, ProcessGroup, requireBinaries, until } from "../helpers/procs";
import { oneShot, RespConnection } from "../helpers/resp";

// The proof is about failover mechanics, not memory: the smallest tier's group.
const GROUP: RedisGroup = { instances: 3, sentinels: 3, cpu: 1, memoryGiB: 2, persistence: "aof" };
const PASSWORD = "Proof0Password0Redis0Loopback01";
const MASTER = "synapse";

describe("Redis HA group in real redis-server, redis-sentinel and HAProxy", function () {
    this.timeout(120_000);
    const procs = new ProcessGroup();
    const dirs: string[] = [];

    after(async () => {
        await procs.stopAll();
        for (const d of dirs) fs.rmSync(d, { recursive: true, force: true });
    });

    // "names": the in-cluster mode (Sentinel resolve/announce-hostnames, replicas and Sentinels announcing a
    // DNS name, as the start scripts do with the pod's FQDN), with `localhost` standing in for the pod names.
    for (const mode of ["addresses", "names"] as const) {
    it(`keeps one endpoint writable across a master kill and loses no WAIT-acknowledged write (${mode})`, async function () {
        requireBinaries(this, ["redis-server", "redis-sentinel", "haproxy"]);
        const host = mode === "names" ? "localhost" : "127.0.0.1";
        const dir = fs.mkdtempSync(path.join(os.tmpdir(), "redis-proof-"));
        dirs.push(dir);
        const [r0, r1, r2, s0, s1, s2, hp] = await freePorts(7);
        const redisPorts = [r0!, r1!, r2!];
        const sentinelPorts = [s0!, s1!, s2!];
        const downAfterMs = DATA_DEFAULTS.sentinelDownAfterMs;
        const failoverTimeoutMs = DATA_DEFAULTS.sentinelFailoverTimeoutMs;
        const checkIntervalMs = DATA_DEFAULTS.haproxyCheckIntervalMs;

        const authFile = path.join(dir, "auth.conf");
        fs.writeFileSync(authFile, redisAuthConf(PASSWORD), { mode: 0o600 });
        const redis = redisPorts.map((port, i) => {
            const data = path.join(dir, `redis-${i}`);
            fs.mkdirSync(data);
            const conf = path.join(dir, `redis-${i}.conf`);
            fs.writeFileSync(conf, redisConf(GROUP, { bind: "127.0.0.1", port, dir: data, authFile }));
            const announce = mode === "names" ? ["--replica-announce-ip", host] : [];
            const args = [conf, ...announce, ...(i === 0 ? [] : ["--replicaof", host, String(redisPorts[0])])];
            return procs.start("redis-server", args);
        });
        sentinelPorts.forEach((port, i) => {
            const sdir = path.join(dir, `sentinel-${i}`);
            fs.mkdirSync(sdir);
            const conf = path.join(dir, `sentinel-${i}.conf`);
            const base = sentinelConf({
                masterName: MASTER,
                bind: "127.0.0.1",
                port,
                dir: sdir,
                initialMaster: { host, port: redisPorts[0]! },
                quorum: 2,
                downAfterMs,
                failoverTimeoutMs,
                hostnames: mode === "names",
            });
            const announce = mode === "names" ? `sentinel announce-ip ${host}\n` : "";
            fs.writeFileSync(conf, base + announce + sentinelAuthConf(MASTER, PASSWORD), { mode: 0o600 });
            procs.start("redis-sentinel", [conf]);
        });
        const hcfg = path.join(dir, "haproxy.cfg");
        fs.writeFileSync(
            hcfg,
            haproxyCfg({
                bind: "127.0.0.1",
                port: hp!,
                servers: redisPorts.map((port, i) => ({ name: `redis-${i}`, host, port })),
                checkIntervalMs,
                dnsResolvers: false,
                passwordEnv: "REDIS_PASSWORD",
            }),
        );
        const env = { ...process.env, REDIS_PASSWORD: PASSWORD };
        const check = spawnSync("haproxy", ["-c", "-f", hcfg], { env, encoding: "utf8" });
        assert.equal(check.status, 0, `haproxy -c rejected the generated config:\n${check.stdout}${check.stderr}`);
        procs.start("haproxy", ["-db", "-f", hcfg], { env });

        const viaProxy = (args: (string | number)[]) => oneShot(hp!, PASSWORD, args, 1500);
        assert.ok(await until(async () => (await viaProxy(["SET", "probe", "1"])) === "OK", 15000), "no write through HAProxy at start");

        // Sentinels must know the replicas and each other before a failover can be elected.
        const sentinelsReady = await until(async () => {
            for (const sp of sentinelPorts) {
                const replicas = await oneShot(sp, PASSWORD, ["SENTINEL", "REPLICAS", MASTER]);
                const peers = await oneShot(sp, PASSWORD, ["SENTINEL", "SENTINELS", MASTER]);
                if (!Array.isArray(replicas) || replicas.length !== 2 || !Array.isArray(peers) || peers.length !== 2) return false;
            }
            return true;
        }, 30000, 250);
        assert.ok(sentinelsReady, "sentinels did not discover 2 replicas and 2 peers");

        // Acknowledged writes: each batch waits until both replicas have it.
        // WAIT covers the writes of its own connection: a connection dropped on the way (a health check
        // delayed on a loaded machine) means writing the whole batch again on a new one, a bounded number of times.
        const KEYS = 200;
        const writeAcked = async (): Promise<unknown> => {
            const conn = await RespConnection.connect(hp!);
            try {
                assert.equal(await conn.command(["AUTH", PASSWORD]), "OK");
                for (let i = 0; i < KEYS; i++) assert.equal(await conn.command(["SET", `acked:${i}`, `v${i}`]), "OK");
                return await conn.command(["WAIT", 2, 5000]);
            } finally {
                conn.close();
            }
        };
        let acks: unknown;
        for (let attempt = 1; attempt <= 3 && acks !== 2; attempt++) {
            try {
                acks = await writeAcked();
            } catch (e) {
                if (attempt === 3) throw e;
            }
        }
        assert.equal(acks, 2, "both replicas acknowledged the writes before the kill");

        const killedAt = Date.now();
        redis[0]!.kill("SIGKILL");
        let attempts = 0;
        const recovered = await until(
            async () => {
                attempts++;
                return (await viaProxy(["SET", "after-failover", String(attempts)])) === "OK";
            },
            downAfterMs + failoverTimeoutMs + 5000,
            100,
        );
        const failoverMs = Date.now() - killedAt;
        assert.ok(recovered, "writes never came back through the stable endpoint");
        console.log(
            `      Redis failover (${mode}): writes through HAProxy resumed ${failoverMs} ms after SIGKILL of the master ` +
                `(down-after ${downAfterMs} ms + failover-timeout ${failoverTimeoutMs} ms = bound ${downAfterMs + failoverTimeoutMs} ms; ${attempts} attempts)`,
        );
        assert.ok(failoverMs < downAfterMs + failoverTimeoutMs, `failover took ${failoverMs} ms`);

        // After the measured recovery, a loaded machine can still delay one health check and make HAProxy
        // drop a connection for a moment: read back with bounded retries, so the check is about data, not timing.
        const settled = async (args: (string | number)[], expect: (v: unknown) => boolean) => {
            let last: unknown;
            const ok = await until(async () => expect((last = await viaProxy(args))), 10000, 100);
            return { ok, last };
        };
        const info = await settled(["INFO", "replication"], (v) => /role:master/.test(String(v)));
        assert.ok(info.ok, `endpoint does not reach a master after failover: ${String(info.last)}`);
        const newMaster = await oneShot(sentinelPorts[0]!, PASSWORD, ["SENTINEL", "GET-MASTER-ADDR-BY-NAME", MASTER]);
        assert.ok(Array.isArray(newMaster) && Number(newMaster[1]) !== redisPorts[0], `master moved away from ${redisPorts[0]}: ${JSON.stringify(newMaster)}`);
        // In the in-cluster mode Sentinel hands out names, not addresses (pods change IP when rescheduled).
        assert.equal(newMaster[0], host);

        for (let i = 0; i < KEYS; i++) {
            const got = await settled(["GET", `acked:${i}`], (v) => v === `v${i}`);
            assert.ok(got.ok, `acked:${i} lost in failover (read ${String(got.last)})`);
        }
        // And the endpoint refuses a client without the password: auth is really on.
        const c = await RespConnection.connect(hp!);
        const unauth = await c.command(["SET", "x", "1"]);
        c.close();
        assert.ok(unauth instanceof Error && /NOAUTH/.test(unauth.message), `unauthenticated write: ${String(unauth)}`);
        await procs.stopAll();
    });
    }
});
