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
import { selectCnpgParameters } from "../../components/data/postgres/parameters";
import { clusterSpec, objectStoreSpec, scheduledBackupSpec } from "../../components/data/postgres/manifests";
import { configData, redisStatefulSet, type RedisGroupInputs } from "../../components/data/redis/manifests";
import { computePlan, TIER_CCUS } from "../../sizing";
import { crdValidator } from "../helpers/crds";
import { requireReference } from "../helpers/reference";
import { freePort, ProcessGroup, requireBinaries, until } from "../helpers/procs";
import { oneShot } from "../helpers/resp";

const plans = TIER_CCUS.map((ccu) => computePlan({ ccu, federation: false }));

/** Redis RAM per instance in GB, from the guide's tier sections ("Resources per instance"). */
const GUIDE_REDIS_GB: Readonly<Record<number, { synapse: number; livekit: number }>> = {
    100: { synapse: 2, livekit: 1 },
    1000: { synapse: 4, livekit: 2 },
    5000: { synapse: 8, livekit: 4 },
    10000: { synapse: 16, livekit: 8 },
    20000: { synapse: 24, livekit: 12 },
};
/**
 * maxmemory in MiB: three quarters of the container, so an AOF rewrite's fork
 * (copy-on-write), replication buffers and the allocator fit in the rest.
 * Written out, not computed from the code's share.
 */
const MAXMEMORY_MIB: Readonly<Record<number, { synapse: number; livekit: number }>> = {
    100: { synapse: 1536, livekit: 768 },
    1000: { synapse: 3072, livekit: 1536 },
    5000: { synapse: 6144, livekit: 3072 },
    10000: { synapse: 12288, livekit: 6144 },
    20000: { synapse: 18432, livekit: 9216 },
};
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

/**
 * FixedConfigurationParameters in cloudnative-pg pkg/postgres/configuration.go
 * (1.2x, the operator of chart 0.27): parameters its webhook refuses in a
 * Cluster. Copied by name from upstream, not from the implementation.
 */
const CNPG_UPSTREAM_FIXED = [
    // restart
    "allow_system_table_mods", "archive_mode", "bonjour", "bonjour_name", "cluster_name", "config_file", "data_directory",
    "data_sync_retry", "event_source", "external_pid_file", "hba_file", "hot_standby", "ident_file", "jit_provider",
    "listen_addresses", "logging_collector", "port", "primary_conninfo", "primary_slot_name", "recovery_target",
    "recovery_target_action", "recovery_target_inclusive", "recovery_target_lsn", "recovery_target_name",
    "recovery_target_time", "recovery_target_timeline", "recovery_target_xid", "restore_command", "shared_preload_libraries",
    "temp_tablespaces", "unix_socket_directories", "unix_socket_group", "unix_socket_permissions",
    // reload
    "archive_cleanup_command", "archive_command", "log_destination", "log_directory", "log_file_mode", "log_filename",
    "log_rotation_age", "log_rotation_size", "log_truncate_on_rotation", "pg_failover_slots.primary_dsn",
    "pg_failover_slots.standby_slot_names", "promote_trigger_file", "recovery_end_command", "recovery_min_apply_delay",
    "restart_after_crash", "ssl", "ssl_ca_file", "ssl_cert_file", "ssl_crl_file", "ssl_dh_params_file", "ssl_ecdh_curve",
    "ssl_key_file", "ssl_passphrase_command", "ssl_passphrase_command_supports_reload", "ssl_prefer_server_ciphers",
    "stats_temp_directory", "synchronous_standby_names", "synchronized_standby_slots", "syslog_facility", "syslog_ident",
    "syslog_sequence_numbers", "syslog_split_messages",
];

describe("data layer generators", () => {
    describe("PostgreSQL parameters for CloudNativePG", () => {
        for (const plan of plans) {
            it(`${plan.ccu} CCU: carries every tunable plan parameter and none the operator manages`, () => {
                const { accepted, excluded } = selectCnpgParameters(plan.postgres.parameters);
                assert.equal(accepted.max_connections, String(plan.postgres.maxConnections));
                for (const name of Object.keys(accepted)) assert.ok(!CNPG_UPSTREAM_FIXED.includes(name), name);
                assert.deepEqual(Object.keys(accepted).length + excluded.length, Object.keys(plan.postgres.parameters).length);
            });
        }
        it("excludes every parameter CloudNativePG's source fixes or blocks, and no other", () => {
            const { accepted, excluded } = selectCnpgParameters(Object.fromEntries([...CNPG_UPSTREAM_FIXED, "work_mem", "max_wal_size"].map((n) => [n, "1"])));
            assert.deepEqual(excluded.map((e) => e.name).sort(), [...CNPG_UPSTREAM_FIXED].sort());
            assert.deepEqual(Object.keys(accepted).sort(), ["max_wal_size", "work_mem"]);
        });
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
                requireReference(this, `crds/${file}`);
                const validate = crdValidator(file);
                if (typeof validate === "string") throw new Error(validate);
                for (const ccu of TIER_CCUS) assert.deepEqual(validate(make(ccu)), [], `${kind} at ${ccu} CCU`);
            });
        }
        it("the schema check can fail (a misspelt field type is caught)", function () {
            requireReference(this, "crds/postgresql.cnpg.io_clusters.yaml");
            const validate = crdValidator("postgresql.cnpg.io_clusters.yaml");
            if (typeof validate === "string") throw new Error(validate);
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
                // Room for every pool at its HPA maximum plus one surge pod of each autoscaled pool (synchrotron, generic).
                const w = plan.synapse.workers;
                assert.equal(c.managed.roles[0]!.connectionLimit, plan.postgres.connections.totalAtMaxReplicas + w.synchrotron.cpMax + w.generic.cpMax);
                assert.ok(c.managed.roles[0]!.connectionLimit < plan.postgres.maxConnections);
            }
            assert.match(scheduledBackupSpec(pgInputs).spec.schedule, /^(\S+\s+){5}\S+$/);
        });
        it("storage never shrinks below the configured floor", () => {
            const c = clusterSpec(plans[0]!, { ...pgInputs, minStorageGB: 4000 }).spec;
            assert.equal(c.storage.size, "4000G");
        });
    });

    describe("Redis memory against the container limit", () => {
        for (const ccu of TIER_CCUS) {
            for (const group of ["synapse", "livekit"] as const) {
                it(`${ccu} CCU ${group}: container holds the guide's RAM; maxmemory leaves a quarter of it free`, () => {
                    const inputs = redisInputs(ccu, group);
                    const redis = redisStatefulSet(inputs).spec.template.spec.containers.find((c: { name: string }) => c.name === "redis")!;
                    assert.equal(redis.resources.limits.memory, `${GUIDE_REDIS_GB[ccu]![group]}Gi`);
                    const conf = configData(inputs)["redis.conf"]!;
                    const mib = Number(/^maxmemory (\d+)mb$/m.exec(conf)?.[1]);
                    assert.equal(mib, MAXMEMORY_MIB[ccu]![group]);
                    assert.ok(mib <= GUIDE_REDIS_GB[ccu]![group] * 1024 * 0.75, `${mib} MiB in a ${GUIDE_REDIS_GB[ccu]![group]} GiB container`);
                });
            }
        }
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
                    assert.equal(Number(await get("maxmemory")), MAXMEMORY_MIB[ccu]![group] * 1024 * 1024);
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
            // Written out per tier: pools of 4 servers x 2 drives; EC:4 on 8 drives keeps half of raw; years = usable / growth.
            const EXPECTED: Readonly<Record<number, { pools: number; driveGB: number; rawGB: number; usableGB: number; years: number }>> = {
                100: { pools: 1, driveGB: 500, rawGB: 4000, usableGB: 2000, years: 10 },
                1000: { pools: 1, driveGB: 1000, rawGB: 8000, usableGB: 4000, years: 2 },
                5000: { pools: 1, driveGB: 2000, rawGB: 16000, usableGB: 8000, years: 0.8 },
                10000: { pools: 2, driveGB: 2000, rawGB: 32000, usableGB: 16000, years: 0.8 },
                20000: { pools: 3, driveGB: 2000, rawGB: 48000, usableGB: 24000, years: 0.6 },
            };
            for (const plan of plans) {
                const layout = poolLayout(plan);
                const want = EXPECTED[plan.ccu]!;
                assert.equal(layout.pools.length, want.pools, `${plan.ccu} pools`);
                for (const p of layout.pools) assert.deepEqual([p.servers, p.drivesPerServer, p.driveGB], [4, 2, want.driveGB], `${plan.ccu} ${p.name}`);
                assert.equal(layout.rawGB, want.rawGB, `${plan.ccu} raw`);
                assert.equal(layout.usableGB, want.usableGB, `${plan.ccu} usable`);
                assert.ok(Math.abs(layout.yearsCovered - want.years) < 1e-9, `${plan.ccu}: ${layout.yearsCovered} years`);
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
            assert.equal(value.postgres.backup?.schedule, "0 0 3 * * *");
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
