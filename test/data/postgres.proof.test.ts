// Proof in real PostgreSQL 15 (Debian) for every tier: the parameters the
// CloudNativePG Cluster carries are accepted by the server, and the connection
// budget holds in fact, not just in arithmetic.
import { strict as assert } from "assert";
import { Client } from "pg";
import { computePlan, TIER_CCUS } from "../../sizing";
import { selectCnpgParameters } from "../../components/data/postgres/parameters";
import { APP_ROLE, clusterSpec, INITDB } from "../../components/data/postgres/manifests";
import { freePort, requireBinaries } from "../helpers/procs";
import { PG_BIN, sameSetting, SUPERUSER_PASSWORD, TempPostgres, withBaseUnit } from "../helpers/postgres";

const APP_PASSWORD = "proofAppPassword0";
const MONITOR_PASSWORD = "proofMonitorPassword0";
/** PostgreSQL's default, which CloudNativePG does not change and the plan does not set. */
const DEFAULT_SUPERUSER_RESERVED = 3;
/**
 * The budget test is about connection slots, not memory: the tier's
 * shared_buffers (up to 32GB) would not fit this machine, and slot accounting
 * does not depend on it. The acceptance test validates the real value.
 */
const BUDGET_SHARED_BUFFERS = "128MB";
const TEST_PARAMS = { fsync: "off", synchronous_commit: "off", full_page_writes: "off" };

const testCluster = (plan: ReturnType<typeof computePlan>) =>
    clusterSpec(plan, {
        namespace: "matrix",
        storageClass: "matrix-nvme",
        backup: { endpointUrl: "https://backup.example", bucket: "b", region: "r", credentialsSecret: "s", retention: "30d", schedule: "0 0 3 * * *" },
    });

async function connect(port: number, user: string, password: string): Promise<Client> {
    const c = new Client({ host: "127.0.0.1", port, user, password, database: "postgres", connectionTimeoutMillis: 10000 });
    await c.connect();
    return c;
}

async function attempt(port: number, user: string, password: string): Promise<{ client?: Client; error?: string }> {
    try {
        return { client: await connect(port, user, password) };
    } catch (e) {
        return { error: (e as Error).message };
    }
}

async function openMany(port: number, user: string, password: string, n: number): Promise<Client[]> {
    const out: Client[] = [];
    for (let i = 0; i < n; i += 50) {
        const batch = await Promise.all(Array.from({ length: Math.min(50, n - i) }, () => connect(port, user, password)));
        out.push(...batch);
    }
    return out;
}

async function closeAll(clients: Client[]): Promise<void> {
    await Promise.all(clients.map((c) => c.end().catch(() => undefined)));
}

describe("PostgreSQL parameters and connection budget in real PostgreSQL 15", function () {
    this.timeout(600_000);
    let pg: TempPostgres | undefined;
    let port = 0;

    before(async function () {
        requireBinaries(this, [`${PG_BIN}/initdb`, `${PG_BIN}/pg_ctl`, `${PG_BIN}/postgres`, "runuser"]);
        port = await freePort();
        // Synapse's locale demands, from the same object the Cluster is built from.
        pg = new TempPostgres(port, INITDB);
        const started = pg.start(TEST_PARAMS);
        assert.ok(started.ok, started.log);
        const su = await connect(port, "postgres", SUPERUSER_PASSWORD);
        const enc = await su.query("SELECT pg_encoding_to_char(encoding) AS e, datcollate, datctype FROM pg_database WHERE datname = 'template1'");
        assert.deepEqual(enc.rows[0], { e: "UTF8", datcollate: "C", datctype: "C" });
        await su.query(`CREATE ROLE ${APP_ROLE} LOGIN PASSWORD '${APP_PASSWORD}'`);
        await su.query(`CREATE ROLE monitor LOGIN PASSWORD '${MONITOR_PASSWORD}' IN ROLE pg_monitor`);
        await su.end();
    });

    after(() => pg?.destroy());

    for (const ccu of TIER_CCUS) {
        const plan = computePlan({ ccu, federation: false });
        const params = selectCnpgParameters(plan.postgres.parameters).accepted;

        it(`${ccu} CCU: every Cluster parameter is accepted by the server and in effect after a restart`, async function () {
            assert.deepEqual(testCluster(plan).spec.postgresql.parameters, params, "the proof uses what the Cluster carries");
            assert.ok(Object.keys(params).length >= 10, "the tier's tuning block is there");
            const started = pg!.start(TEST_PARAMS);
            assert.ok(started.ok, started.log);
            const su = await connect(port, "postgres", SUPERUSER_PASSWORD);
            const units = new Map<string, string | null>();
            try {
                for (const row of (await su.query("SELECT name, unit FROM pg_settings")).rows) units.set(row.name, row.unit);
                await su.query("ALTER SYSTEM RESET ALL");
                for (const [name, value] of Object.entries(params)) {
                    // ALTER SYSTEM checks the name and the value against the server's own limits without applying it.
                    await su.query(`ALTER SYSTEM SET ${name} = '${value}'`).catch((e: Error) => {
                        throw new Error(`${ccu} CCU: PostgreSQL rejected ${name} = '${value}': ${e.message}`);
                    });
                }
                // Control: the same path does reject a bad value, so acceptance above means something.
                await assert.rejects(su.query("ALTER SYSTEM SET work_mem = '20 parsecs'"));
            } finally {
                await su.end();
            }
            for (const [name, value] of Object.entries(params)) {
                const fromFiles = pg!.configValue(name);
                assert.ok(fromFiles.ok, `${name}: ${fromFiles.value}`);
                const read = withBaseUnit(fromFiles.value, units.get(name) ?? null);
                assert.ok(sameSetting(value, read), `${ccu} CCU ${name}: configured ${value}, server reads ${read}`);
            }
            let restart = pg!.start(TEST_PARAMS);
            let memoryOverride = false;
            if (!restart.ok && /shared memory|could not map/i.test(restart.log)) {
                // Only shared_buffers can make the start fail on a small machine; its value was read back above.
                memoryOverride = true;
                restart = pg!.start({ ...TEST_PARAMS, shared_buffers: BUDGET_SHARED_BUFFERS });
            }
            assert.ok(restart.ok, restart.log);
            const c = await connect(port, "postgres", SUPERUSER_PASSWORD);
            try {
                for (const [name, value] of Object.entries(params)) {
                    if (memoryOverride && name === "shared_buffers") continue;
                    const shown = (await c.query(`SHOW ${name}`)).rows[0][name] as string;
                    assert.ok(sameSetting(value, shown), `${ccu} CCU ${name}: configured ${value}, SHOW says ${shown}`);
                }
            } finally {
                await c.end();
            }
            console.log(
                `      ${ccu} CCU: ${Object.keys(params).length} parameters accepted by ALTER SYSTEM, read back by postgres -C, in effect after restart` +
                    (memoryOverride ? ` (shared_buffers=${params.shared_buffers} exceeds this machine's memory: started with ${BUDGET_SHARED_BUFFERS}, value checked from the config files)` : ""),
            );
        });

        it(`${ccu} CCU: ${plan.postgres.connections.total} pool connections fit, the reserve stays free, max_connections is a hard wall`, async function () {
            const max = plan.postgres.maxConnections;
            const total = plan.postgres.connections.total;
            const appLimit = testCluster(plan).spec.managed.roles.find((r) => r.name === APP_ROLE)!.connectionLimit;
            const started = pg!.start({ ...TEST_PARAMS, max_connections: String(max), shared_buffers: BUDGET_SHARED_BUFFERS });
            assert.ok(started.ok, started.log);
            const admin = await connect(port, "postgres", SUPERUSER_PASSWORD);
            await admin.query("ALTER SYSTEM RESET ALL");
            await admin.query(`ALTER ROLE ${APP_ROLE} CONNECTION LIMIT ${appLimit}`);
            const reserved = Number((await admin.query("SHOW superuser_reserved_connections")).rows[0].superuser_reserved_connections);
            assert.equal(reserved, DEFAULT_SUPERUSER_RESERVED);
            const held: Client[] = [admin];
            try {
                // Every Synapse process at its cp_max, at once.
                held.push(...(await openMany(port, APP_ROLE, APP_PASSWORD, total)));
                const count = await admin.query("SELECT count(*)::int AS n FROM pg_stat_activity WHERE usename = $1", [APP_ROLE]);
                assert.equal(count.rows[0].n, total);
                // Autoscaling up to the HPA maxima still fits; one more is refused by the role limit, not by the server.
                held.push(...(await openMany(port, APP_ROLE, APP_PASSWORD, appLimit - total)));
                const overRole = await attempt(port, APP_ROLE, APP_PASSWORD);
                assert.match(overRole.error ?? "no error", /too many connections for role/);
                const used = held.length; // app at its ceiling + the admin session
                const free = max - used;
                assert.ok(free >= max * 0.15 - 1, `reserve ${free} of ${max} with Synapse at its ceiling`);
                // What really holds: only superuser_reserved_connections slots are the server's own; the rest of the
                // 15% is shared headroom that monitoring and maintenance sessions draw from.
                held.push(...(await openMany(port, "monitor", MONITOR_PASSWORD, free - reserved)));
                const overShared = await attempt(port, "monitor", MONITOR_PASSWORD);
                assert.match(overShared.error ?? "no error", /reserved for (non-replication )?superuser/);
                held.push(...(await openMany(port, "postgres", SUPERUSER_PASSWORD, reserved)));
                const beyond = await attempt(port, "postgres", SUPERUSER_PASSWORD);
                assert.match(beyond.error ?? "no error", /too many clients already/);
                const appBeyond = await attempt(port, APP_ROLE, APP_PASSWORD);
                assert.ok(appBeyond.error, "an application connection beyond max_connections must fail");
                console.log(
                    `      ${ccu} CCU: max_connections=${max}: Synapse pools ${total} (ceiling ${appLimit} by role limit) + ` +
                        `${free - reserved} monitoring + ${reserved} superuser-reserved = ${held.length} open; next: "${beyond.error}"`,
                );
            } finally {
                await closeAll(held);
            }
        });
    }
});
