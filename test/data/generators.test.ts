// The data layer's pure generators, for every tier, plus checks by the real
// tools that read them (shellcheck, haproxy -c, redis-server, CRD schemas).
import { strict as assert } from "assert";
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { DATA_DEFAULTS, parseDataSection } from "../../config/sections/data";
import { NAMESPACES } from "../../components/contracts";
import { bootstrapScript } from "../../components/data/objectstore/minio";
import { bucketPolicy } from "../../components/data/objectstore/policies";
import { ledgerOf, poolLayout } from "../../components/data/objectstore/pools";
import { CNPG_MANAGED_PARAMETERS, selectCnpgParameters } from "../../components/data/postgres/parameters";
import { clusterSpec, objectStoreSpec, scheduledBackupSpec } from "../../components/data/postgres/manifests";
import { maxmemoryMiB } from "../../components/data/redis/config";
import { configData, type RedisGroupInputs } from "../../components/data/redis/manifests";
import { computePlan, TIER_CCUS } from "../../sizing";
import { crdValidator } from "../helpers/crds";
import { freePort, ProcessGroup, requireBinaries, until } from "../helpers/procs";
import { oneShot } from "../helpers/resp";

const plans = TIER_CCUS.map((ccu) => computePlan({ ccu, federation: false }));
const pgInputs = {
    namespace: NAMESPACES.matrix,
    storageClass: "matrix-nvme",
    backup: { endpointUrl: "https://backup.example.net", bucket: "db-backups", region: "eu-west-1", credentialsSecret: "synapse-db-backup-s3", retention: "30d", schedule: "0 0 3 * * *" },
};
const redisInputs = (ccu: number, group: "synapse" | "livekit"): RedisGroupInputs => {
    const plan = computePlan({ ccu, federation: false });
    return {
        group,
        namespace: group === "synapse" ? NAMESPACES.matrix : NAMESPACES.calls,
        plan: plan.redis[group],
        storageClass: "matrix-ssd",
        volumeGiB: 10,
        downAfterMs: DATA_DEFAULTS.sentinelDownAfterMs,
        failoverTimeoutMs: DATA_DEFAULTS.sentinelFailoverTimeoutMs,
        ...(group === "synapse" ? { haproxy: { replicas: 2, checkIntervalMs: 1000, serviceName: "redis-synapse" } } : {}),
    };
};

describe("data layer generators", () => {
    describe("PostgreSQL parameters for CloudNativePG", () => {
        for (const plan of plans) {
            it(`${plan.ccu} CCU: carries every tunable plan parameter and none the operator manages`, () => {
                const { accepted, excluded } = selectCnpgParameters(plan.postgres.parameters);
                assert.equal(accepted.max_connections, String(plan.postgres.maxConnections));
                for (const name of Object.keys(accepted)) assert.ok(!CNPG_MANAGED_PARAMETERS.has(name), name);
                assert.deepEqual(Object.keys(accepted).length + excluded.length, Object.keys(plan.postgres.parameters).length);
            });
        }
        it("reports, rather than passes on, a parameter the operator fixes", () => {
            const { accepted, excluded } = selectCnpgParameters({ work_mem: "4MB", ssl: "on", log_destination: "stderr", archive_mode: "on" });
            assert.deepEqual(accepted, { work_mem: "4MB" });
            assert.deepEqual(excluded.map((e) => e.name), ["archive_mode", "log_destination", "ssl"]);
        });
    });

    describe("CloudNativePG objects against the CRD schemas", () => {
        const cases: [string, string, (ccu: number) => unknown][] = [
            ["Cluster", "postgresql.cnpg.io_clusters.yaml", (ccu) => clusterSpec(computePlan({ ccu, federation: false }), pgInputs)],
            ["ScheduledBackup", "postgresql.cnpg.io_scheduledbackups.yaml", () => scheduledBackupSpec(pgInputs)],
            ["ObjectStore", "barmancloud.cnpg.io_objectstores.yaml", () => objectStoreSpec(pgInputs)],
        ];
        for (const [kind, file, make] of cases) {
            it(`${kind} is valid for every tier`, function () {
                const validate = crdValidator(file);
                if (typeof validate === "string") {
                    console.log(`      SKIP: ${validate}`);
                    this.skip();
                }
                for (const ccu of TIER_CCUS) assert.deepEqual(validate(make(ccu)), [], `${kind} at ${ccu} CCU`);
            });
        }
        it("the schema check can fail (a misspelt field type is caught)", function () {
            const validate = crdValidator("postgresql.cnpg.io_clusters.yaml");
            if (typeof validate === "string") this.skip();
            const bad = clusterSpec(plans[0]!, pgInputs) as { spec: Record<string, unknown> };
            assert.notDeepEqual(validate({ ...bad, spec: { ...bad.spec, instances: "three" } }), []);
        });
        it("Cluster: placement, anti-affinity, locale, synchronous replication and storage come from the plan", () => {
            for (const plan of plans) {
                const c = clusterSpec(plan, pgInputs).spec;
                assert.equal(c.instances, plan.postgres.instances);
                assert.equal(c.storage.size, `${plan.postgres.storageGB}G`);
                assert.equal(c.storage.storageClass, "matrix-nvme");
                assert.equal(c.affinity.podAntiAffinityType, "required");
                assert.deepEqual(c.affinity.nodeSelector, { "node-restriction.kubernetes.io/matrix-scale-role": "database" });
                assert.deepEqual(c.affinity.tolerations, [{ key: "node-restriction.kubernetes.io/matrix-scale-role", operator: "Equal", value: "database", effect: "NoSchedule" }]);
                assert.deepEqual(
                    [c.bootstrap.initdb.encoding, c.bootstrap.initdb.localeCollate, c.bootstrap.initdb.localeCType],
                    ["UTF8", "C", "C"],
                );
                assert.equal(c.postgresql.synchronous.number, 1);
                assert.equal(c.managed.roles[0]!.connectionLimit, plan.postgres.connections.totalAtMaxReplicas);
            }
            assert.match(scheduledBackupSpec(pgInputs).spec.schedule, /^(\S+\s+){5}\S+$/);
        });
        it("storage never shrinks below the configured floor", () => {
            const c = clusterSpec(plans[0]!, { ...pgInputs, minStorageGB: 4000 }).spec;
            assert.equal(c.storage.size, "4000G");
        });
    });

    describe("Redis configuration accepted by real redis-server for every tier", function () {
        const procs = new ProcessGroup();
        let dir = "";
        after(async () => {
            await procs.stopAll();
            if (dir) fs.rmSync(dir, { recursive: true, force: true });
        });
        for (const ccu of TIER_CCUS) {
            for (const group of ["synapse", "livekit"] as const) {
                it(`${ccu} CCU ${group}: maxmemory, persistence and eviction in effect`, async function () {
                    requireBinaries(this, ["redis-server"]);
                    dir ||= fs.mkdtempSync(path.join(os.tmpdir(), "redis-conf-"));
                    const inputs = redisInputs(ccu, group);
                    const auth = path.join(dir, "auth.conf");
                    fs.writeFileSync(auth, "requirepass confCheckPassword01\n");
                    const conf = path.join(dir, `${ccu}-${group}.conf`);
                    const data = fs.mkdtempSync(path.join(dir, "d-"));
                    // Only the Secret's mount path and the data volume's path differ from what the pod reads.
                    const text = configData(inputs)["redis.conf"]!.replace("/etc/redis-auth/redis-auth.conf", auth).replace(/^dir \/data$/m, `dir ${data}`);
                    assert.notEqual(text, configData(inputs)["redis.conf"]);
                    fs.writeFileSync(conf, text);
                    const port = await freePort();
                    const p = procs.start("redis-server", [conf, "--bind", "127.0.0.1", "--port", String(port), "--dir", data]);
                    const up = await until(async () => (await oneShot(port, "confCheckPassword01", ["PING"])) === "PONG", 5000);
                    assert.ok(up, procs.output(p));
                    const get = async (k: string) => ((await oneShot(port, "confCheckPassword01", ["CONFIG", "GET", k])) as string[])[1];
                    assert.equal(Number(await get("maxmemory")), maxmemoryMiB(inputs.plan) * 1024 * 1024);
                    assert.equal(await get("appendonly"), group === "synapse" ? "yes" : "no");
                    assert.equal(await get("maxmemory-policy"), group === "synapse" ? "volatile-lru" : "noeviction");
                    assert.equal(await get("min-replicas-to-write"), "1");
                    p.kill("SIGTERM");
                });
            }
        }
    });

    describe("scripts and HAProxy configuration checked by the real tools", () => {
        it("shellcheck accepts the Redis, Sentinel and MinIO bootstrap scripts", function () {
            requireBinaries(this, ["shellcheck"]);
            const data = configData(redisInputs(1000, "synapse"));
            for (const [name, script] of [
                ["start-redis.sh", data["start-redis.sh"]!],
                ["start-sentinel.sh", data["start-sentinel.sh"]!],
                ["bootstrap.sh", bootstrapScript("synapse-media", ["synapse", "li"])],
            ]) {
                const r = spawnSync("shellcheck", ["-s", "sh", "-"], { input: script, encoding: "utf8" });
                assert.equal(r.status, 0, `${name}:\n${r.stdout}${r.stderr}`);
            }
        });
        it("haproxy -c accepts the in-cluster HAProxy configuration (DNS resolvers, pod names)", function () {
            requireBinaries(this, ["haproxy"]);
            const dir = fs.mkdtempSync(path.join(os.tmpdir(), "haproxy-conf-"));
            try {
                const cfg = path.join(dir, "haproxy.cfg");
                fs.writeFileSync(cfg, configData(redisInputs(20000, "synapse"))["haproxy.cfg"]!);
                const r = spawnSync("haproxy", ["-c", "-f", cfg], { encoding: "utf8", env: { ...process.env, REDIS_PASSWORD: "x" } });
                assert.equal(r.status, 0, r.stdout + r.stderr);
            } finally {
                fs.rmSync(dir, { recursive: true, force: true });
            }
        });
        it("no password in any ConfigMap payload", () => {
            for (const ccu of TIER_CCUS) {
                for (const g of ["synapse", "livekit"] as const) {
                    const all = Object.values(configData(redisInputs(ccu, g))).join("\n");
                    assert.doesNotMatch(all, /requirepass|masterauth|auth-pass/);
                }
            }
        });
    });

    describe("MinIO pools", () => {
        it("EC:4 on 4 servers x 2 drives; usable = raw x data/(data+parity); capacity vs the §10 growth model", () => {
            for (const plan of plans) {
                const layout = poolLayout(plan);
                assert.equal(layout.pools.length, plan.objectStore.pools);
                for (const p of layout.pools) assert.ok(p.servers * p.drivesPerServer >= 2 * plan.objectStore.parity);
                assert.equal(layout.usableGB, plan.objectStore.usableGB);
                assert.equal(layout.rawGB, plan.objectStore.rawGB);
                console.log(
                    `      ${plan.ccu} CCU: ${layout.pools.length} pool(s), ${layout.rawGB} GB raw, ${layout.usableGB} GB usable, ` +
                        `growth ${plan.media.annualGrowthGB} GB/year -> ${layout.yearsCovered.toFixed(2)} years`,
                );
                assert.equal(layout.warnings.some((w) => /growth model/.test(w)), layout.yearsCovered < 1);
            }
        });
        it("every pair of tiers: with the ledger carried over, existing pools are identical and only appended to", () => {
            for (const from of plans) {
                const before = poolLayout(from);
                for (const to of plans) {
                    const after = poolLayout(to, ledgerOf(before));
                    assert.ok(after.pools.length >= before.pools.length, `${from.ccu}->${to.ccu} removed a pool`);
                    before.pools.forEach((p, i) => assert.deepEqual(after.pools[i], p, `${from.ccu}->${to.ccu} pool ${i}`));
                    assert.equal(after.pools.length, Math.max(before.pools.length, to.objectStore.pools));
                }
            }
        });
        it("without the ledger the plan alone would reshape pool 0 (why the ledger exists)", () => {
            const small = poolLayout(plans[0]!).pools[0]!;
            const large = poolLayout(plans[2]!).pools[0]!;
            assert.equal(small.name, large.name);
            assert.notEqual(small.driveGB, large.driveGB);
        });
        it("a ledger pool too small for EC:4 is an error naming the key", () => {
            const l = poolLayout(plans[0]!, [{ servers: 2, drivesPerServer: 2, driveGB: 100 }]);
            assert.match(l.errors.join(), /matrix:data\.objectStore\.pools\[0\].*EC:4 needs at least 8 drives/);
        });
        it("policies: Synapse may write, the LI instance may only read", () => {
            const rw = JSON.stringify(bucketPolicy("m", "synapse"));
            const ro = JSON.stringify(bucketPolicy("m", "li"));
            assert.match(rw, /s3:PutObject/);
            assert.doesNotMatch(ro, /Put|Delete/);
            assert.doesNotMatch(rw + ro, /"s3:\*"|"\*"/);
        });
    });

    describe("matrix:data config", () => {
        const ok = { postgres: { backup: { endpointUrl: "https://s3.backup.example", bucket: "db-backups" } } };
        it("defaults fill what is optional", () => {
            const { value, errors } = parseDataSection(ok);
            assert.deepEqual(errors, []);
            assert.equal(value.objectStore.backend, "minio");
            assert.equal(value.postgres.backup.schedule, "0 0 3 * * *");
        });
        it("reports every problem at once, naming key, value and what is allowed", () => {
            const { errors } = parseDataSection({
                postgres: { backup: { bucket: "X", schedule: "0 3 * * *" }, extra: 1 },
                redis: { haproxyReplicas: 1 },
                objectStore: { backend: "gcs" },
            });
            const all = errors.join("\n");
            for (const needle of [
                "matrix:data.postgres.extra: unknown key",
                "matrix:data.postgres.backup.endpointUrl: required but not set; allowed: an http(s) URL",
                'matrix:data.postgres.backup.bucket: does not match (got "X"); allowed: an S3 bucket name',
                'matrix:data.postgres.backup.schedule: does not match (got "0 3 * * *"); allowed: a six-field cron',
                "matrix:data.redis.haproxyReplicas: out of range (got 1); allowed: an integer from 2 to 10",
                'matrix:data.objectStore.backend: not a known value (got "gcs"); allowed: one of "minio", "aws-s3"',
            ]) {
                assert.ok(all.includes(needle), `missing: ${needle}\n${all}`);
            }
        });
    });
});
