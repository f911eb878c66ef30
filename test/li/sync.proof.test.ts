// Proof in real PostgreSQL 15: a main server with a streaming replica, and the
// LI server, on loopback. The generated sync script (the CronJob's very file)
// must make LI identical to main reading only from the replica, overwrite
// LI-side changes, refuse a second concurrent run, release its lock when
// killed, and leave LI on its previous copy when the dump or restore fails.
import { strict as assert } from "assert";
import { spawn, spawnSync, type ChildProcess } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { Client } from "pg";
import { LI_SYNC_METRICS } from "../../components/contracts";
import { INITDB, LI_SYNC_CONNECTION_LIMIT, LI_SYNC_ROLE } from "../../components/data/postgres/manifests";
import { LI_DB_ROLE, liRoleSql } from "../../components/li/manifests";
import { liSizing } from "../../components/li/sizing";
import { computePlan } from "../../sizing";
import { EXIT_LOCKED, LI_DATABASES, LI_SYNC_LOCK_KEY, syncScript } from "../../components/li/sync-script";
import { hasBinary } from "../helpers/binaries";
import { PG_BIN, SUPERUSER_PASSWORD, TempPostgres } from "../helpers/postgres";
import { freePorts, requireBinaries } from "../helpers/procs";
import { CHECKSUM_QUERY, fill, SCHEMA, SEQUENCES_QUERY } from "./synapse-shaped";

const APP_PASSWORD = "proofAppPassword0";
const SYNC_PASSWORD = "proofSyncPassword0";
const LI_PASSWORD = "proofLiPassword0";
const FAST = { fsync: "off", synchronous_commit: "off", full_page_writes: "off", log_connections: "on" };
const SERVER = "example.org";

interface Run {
    readonly child: ChildProcess;
    readonly done: Promise<{ code: number | null; signal: NodeJS.Signals | null; stderr: string }>;
}

describe("LI database sync in real PostgreSQL 15 (main + streaming replica + LI)", function () {
    this.timeout(300_000);
    let primary: TempPostgres | undefined;
    let replica: TempPostgres | undefined;
    let li: TempPostgres | undefined;
    let dir = "";
    let ports: number[] = [];
    const running: ChildProcess[] = [];

    const q = async (port: number, sql: string, params: unknown[] = [], opts: { user?: string; password?: string; database?: string } = {}) => {
        const c = new Client({ host: "127.0.0.1", port, user: opts.user ?? "postgres", password: opts.password ?? SUPERUSER_PASSWORD, database: opts.database ?? "postgres" });
        await c.connect();
        try {
            return (await c.query(sql, params)).rows;
        } finally {
            await c.end();
        }
    };
    const mainDb = (sql: string) => q(ports[0]!, sql, [], { user: "synapse", password: APP_PASSWORD, database: "synapse" });
    const liDb = (sql: string) => q(ports[2]!, sql, [], { database: LI_DATABASES.live });

    const env = (over: Record<string, string> = {}) => ({
        PATH: `${PG_BIN}:/usr/bin:/bin`,
        SOURCE_HOST: "127.0.0.1",
        SOURCE_PORT: String(ports[1]),
        SOURCE_DB: "synapse",
        SOURCE_USER: LI_SYNC_ROLE,
        SOURCE_PASSWORD_FILE: path.join(dir, "source-password"),
        LI_HOST: "127.0.0.1",
        LI_PORT: String(ports[2]),
        LI_USER: "synapse",
        LI_PASSWORD_FILE: path.join(dir, "li-password"),
        WORK_DIR: path.join(dir, "work"),
        METRICS_FILE: path.join(dir, "state", "li_sync.prom"),
        ...over,
    });

    function start(over: Record<string, string> = {}): Run {
        // Its own process group, so a SIGKILL reaches everything it started, as when a pod dies.
        const child = spawn("bash", [path.join(dir, "li-sync.sh")], { env: env(over), detached: true, stdio: ["ignore", "ignore", "pipe"] });
        running.push(child);
        let stderr = "";
        child.stderr!.on("data", (d) => (stderr += d));
        const done = new Promise<{ code: number | null; signal: NodeJS.Signals | null; stderr: string }>((resolve) =>
            child.on("exit", (code, signal) => resolve({ code, signal, stderr })),
        );
        return { child, done };
    }
    const sync = (over: Record<string, string> = {}) => start(over).done;

    async function replicaCaughtUp(): Promise<void> {
        const [{ lsn }] = await q(ports[0]!, "SELECT pg_current_wal_lsn()::text AS lsn");
        for (let i = 0; i < 200; i++) {
            const [{ ok }] = await q(ports[1]!, "SELECT pg_last_wal_replay_lsn() >= $1::pg_lsn AS ok", [lsn]);
            if (ok) return;
            await new Promise((r) => setTimeout(r, 50));
        }
        throw new Error("replica did not catch up");
    }
    const checksums = async (port: number) => ({
        tables: await q(port, CHECKSUM_QUERY, [], { database: "synapse" }),
        sequences: await q(port, SEQUENCES_QUERY, [], { database: "synapse" }),
    });
    const metrics = () => {
        const text = fs.readFileSync(env().METRICS_FILE, "utf8");
        const value = (name: string) => Number(new RegExp(`^${name} (\\S+)$`, "m").exec(text)?.[1]);
        return { text, value };
    };

    before(async function () {
        requireBinaries(this, [`${PG_BIN}/initdb`, `${PG_BIN}/pg_ctl`, `${PG_BIN}/pg_basebackup`, `${PG_BIN}/pg_dump`, `${PG_BIN}/pg_restore`, `${PG_BIN}/psql`, "runuser", "bash"]);
        ports = await freePorts(3);
        dir = fs.mkdtempSync(path.join(os.tmpdir(), "li-sync-"));
        fs.writeFileSync(path.join(dir, "source-password"), SYNC_PASSWORD, { mode: 0o600 });
        fs.writeFileSync(path.join(dir, "li-password"), LI_PASSWORD, { mode: 0o600 });
        fs.mkdirSync(path.join(dir, "state"));
        fs.writeFileSync(path.join(dir, "li-sync.sh"), syncScript({ jobs: LI_SYNC_CONNECTION_LIMIT - 1, maxSeconds: 240, intervalSeconds: 3600 }), { mode: 0o755 });

        primary = new TempPostgres(ports[0]!, INITDB);
        let s = primary.start({ ...FAST, wal_level: "replica", max_wal_senders: "4" });
        assert.ok(s.ok, s.log);
        // The roles as the data layer's Cluster declares them: the app owner, and the read-only sync role with its connection cap.
        await q(ports[0]!, `CREATE ROLE synapse LOGIN PASSWORD '${APP_PASSWORD}'`);
        await q(ports[0]!, `CREATE ROLE ${LI_SYNC_ROLE} LOGIN PASSWORD '${SYNC_PASSWORD}' CONNECTION LIMIT ${LI_SYNC_CONNECTION_LIMIT} IN ROLE pg_read_all_data`);
        await q(ports[0]!, `CREATE DATABASE synapse OWNER synapse TEMPLATE template0 ENCODING 'UTF8' LC_COLLATE 'C' LC_CTYPE 'C'`);
        await mainDb(SCHEMA + fill(1000, SERVER));

        replica = new TempPostgres(ports[1]!, { standbyOf: ports[0]! });
        s = replica.start({ ...FAST, hot_standby: "on" });
        assert.ok(s.ok, s.log);
        await replicaCaughtUp();

        li = new TempPostgres(ports[2]!, INITDB);
        // The LI server runs with the plan's LI tuning (100 CCU tier): real PostgreSQL 15 must accept it.
        s = li.start({ ...liSizing(computePlan({ ccu: 100, federation: false })).postgres.parameters, ...FAST });
        assert.ok(s.ok, s.log);
        // The LI server's own role and live database, by the very SQL the LI PostgreSQL pod runs at initdb.
        const init = spawnSync(`${PG_BIN}/psql`, ["-X", "-v", "ON_ERROR_STOP=1", "-h", "127.0.0.1", "-p", String(ports[2]), "-U", "postgres", "-d", "postgres", "-v", `pw=${LI_PASSWORD}`], {
            input: liRoleSql(),
            env: { ...process.env, PGPASSWORD: SUPERUSER_PASSWORD },
            encoding: "utf8",
        });
        assert.equal(init.status, 0, init.stderr);
        assert.equal(LI_DB_ROLE, "synapse");
    });

    after(() => {
        for (const c of running) if (c.exitCode === null && c.signalCode === null && c.pid) {
            try {
                process.kill(-c.pid, "SIGKILL");
            } catch {
                /* already gone */
            }
        }
        li?.destroy();
        replica?.destroy();
        primary?.destroy();
        if (dir) fs.rmSync(dir, { recursive: true, force: true });
    });

    it("is clean shell (shellcheck)", function () {
        if (!hasBinary("shellcheck")) {
            if (process.env.CI) throw new Error("shellcheck is required in CI");
            this.skip();
        }
        const r = spawnSync("shellcheck", ["-s", "bash", path.join(dir, "li-sync.sh")], { encoding: "utf8" });
        assert.equal(r.status, 0, r.stdout + r.stderr);
    });

    it("makes LI identical to main (row counts, per-table checksums, sequences), reading only from the replica", async () => {
        const primaryLogBefore = fs.readFileSync(path.join(primary!.dir, "server.log"), "utf8").length;
        const r = await sync();
        assert.equal(r.code, 0, r.stderr);
        const want = await checksums(ports[0]!);
        assert.ok(want.tables.length === 8 && want.tables.every((t) => Number(t.rows) > 0), `every table has rows: ${JSON.stringify(want.tables)}`);
        assert.deepEqual(await checksums(ports[2]!), want);
        const primaryLog = fs.readFileSync(path.join(primary!.dir, "server.log"), "utf8").slice(primaryLogBefore);
        assert.doesNotMatch(primaryLog, new RegExp(`user=${LI_SYNC_ROLE}`), "the sync never connected to the primary");
        assert.match(fs.readFileSync(path.join(replica!.dir, "server.log"), "utf8"), new RegExp(`connection authorized: user=${LI_SYNC_ROLE} database=synapse`));
        const dbs = (await q(ports[2]!, "SELECT datname FROM pg_database WHERE NOT datistemplate ORDER BY 1")).map((d) => d.datname);
        assert.deepEqual(dbs, ["postgres", LI_DATABASES.live], "no copy left behind");
        const m = metrics();
        assert.equal(m.value(LI_SYNC_METRICS.lastRunSuccess), 1);
        assert.ok(Math.abs(m.value(LI_SYNC_METRICS.lastSuccessTimestamp) - Date.now() / 1000) < 60);
        assert.equal(m.value(LI_SYNC_METRICS.intervalSeconds), 3600);
        if (hasBinary("promtool")) {
            const check = spawnSync("promtool", ["check", "metrics"], { input: m.text, encoding: "utf8" });
            assert.equal(check.status, 0, check.stdout + check.stderr);
        }
    });

    it("refuses to dump from the primary, and LI keeps its copy", async () => {
        const before = await checksums(ports[2]!);
        await q(ports[0]!, `ALTER ROLE ${LI_SYNC_ROLE} CONNECTION LIMIT ${LI_SYNC_CONNECTION_LIMIT}`); // same role exists on the primary
        const r = await sync({ SOURCE_PORT: String(ports[0]) });
        assert.notEqual(r.code, 0);
        assert.match(r.stderr, /not a replica/);
        assert.deepEqual(await checksums(ports[2]!), before);
    });

    it("overwrites an LI-side password reset and brings new main data on the next sync", async () => {
        await liDb(`UPDATE users SET password_hash = 'reset-by-investigator' WHERE name = '@u1:${SERVER}'`);
        await mainDb(`INSERT INTO users (name, password_hash, creation_ts) VALUES ('@late:${SERVER}', 'h', 1)`);
        await replicaCaughtUp();
        const r = await sync();
        assert.equal(r.code, 0, r.stderr);
        const [u1] = await liDb(`SELECT password_hash FROM users WHERE name = '@u1:${SERVER}'`);
        const [m1] = await mainDb(`SELECT password_hash FROM users WHERE name = '@u1:${SERVER}'`);
        assert.equal(u1.password_hash, m1.password_hash);
        assert.equal((await liDb(`SELECT count(*)::int AS n FROM users WHERE name = '@late:${SERVER}'`))[0].n, 1);
        assert.deepEqual(await checksums(ports[2]!), await checksums(ports[0]!));
    });

    it("refuses a second sync while one runs, and the lock goes when the first is killed with SIGKILL", async () => {
        const before = await checksums(ports[2]!);
        // Hold the first sync inside pg_dump: an ACCESS EXCLUSIVE lock on the primary is replayed on the
        // replica, where pg_dump's ACCESS SHARE lock then waits.
        const holder = new Client({ host: "127.0.0.1", port: ports[0]!, user: "postgres", password: SUPERUSER_PASSWORD, database: "synapse" });
        await holder.connect();
        try {
            await holder.query("BEGIN");
            await holder.query("LOCK TABLE events IN ACCESS EXCLUSIVE MODE");
            await mainDb("CREATE TABLE flush_wal (x int); DROP TABLE flush_wal"); // a commit flushes the lock record to the replica
            await replicaCaughtUp();
            const first = start();
            const lockHeld = async () =>
                (await q(ports[2]!, "SELECT count(*)::int AS n FROM pg_locks WHERE locktype = 'advisory' AND granted AND ((classid::bigint << 32) | objid::bigint) = $1", [LI_SYNC_LOCK_KEY]))[0].n === 1;
            const waitingOnReplica = async () =>
                (await q(ports[1]!, "SELECT count(*)::int AS n FROM pg_stat_activity WHERE usename = $1 AND wait_event_type = 'Lock'", [LI_SYNC_ROLE]))[0].n > 0;
            for (let i = 0; i < 300 && !((await lockHeld()) && (await waitingOnReplica())); i++) await new Promise((r) => setTimeout(r, 100));
            assert.ok(await lockHeld(), "the first sync holds the advisory lock");
            assert.ok(await waitingOnReplica(), "the first sync is inside pg_dump");

            const second = await sync();
            assert.equal(second.code, EXIT_LOCKED, second.stderr);
            assert.match(second.stderr, /refused: another LI sync holds the lock/);
            assert.deepEqual(await checksums(ports[2]!), before, "LI answers with its copy meanwhile");

            process.kill(-first.child.pid!, "SIGKILL");
            const killed = await first.done;
            assert.equal(killed.signal, "SIGKILL");
            let released = false;
            for (let i = 0; i < 100 && !released; i++) {
                released = !(await lockHeld());
                if (!released) await new Promise((r) => setTimeout(r, 100));
            }
            assert.ok(released, "PostgreSQL released the lock when the killed sync's session ended");
        } finally {
            await holder.query("ROLLBACK").catch(() => undefined);
            await holder.end();
        }
        // The killed run's replica sessions end once their lock wait is over; then a new sync runs to completion.
        for (let i = 0; i < 100; i++) {
            const [{ n }] = await q(ports[1]!, "SELECT count(*)::int AS n FROM pg_stat_activity WHERE usename = $1", [LI_SYNC_ROLE]);
            if (n === 0) break;
            await new Promise((r) => setTimeout(r, 100));
        }
        const next = await sync();
        assert.equal(next.code, 0, next.stderr);
        assert.deepEqual(await checksums(ports[2]!), await checksums(ports[0]!));
    });

    it("exits non-zero on a corrupted dump, and synapse-li's database still answers with the previous data", async () => {
        const before = await checksums(ports[2]!);
        const lastSuccess = metrics().value(LI_SYNC_METRICS.lastSuccessTimestamp);
        await mainDb(`INSERT INTO users (name, creation_ts) VALUES ('@after-corruption:${SERVER}', 2)`);
        await replicaCaughtUp();
        // A pg_dump whose output gets damaged on disk after it finished (the largest data file is cut and overwritten).
        const bin = path.join(dir, "corrupting-bin");
        fs.mkdirSync(bin, { recursive: true });
        fs.writeFileSync(
            path.join(bin, "pg_dump"),
            `#!/bin/bash
set -e
${PG_BIN}/pg_dump "$@"
for a in "$@"; do case "$a" in --file=*) out="\${a#--file=}" ;; esac; done
f=$(ls -S "$out"/*.dat.gz | head -n 1)
size=$(stat -c %s "$f")
head -c $((size / 2)) "$f" > "$f.cut" && printf 'garbage%.0s' $(seq 1 200) >> "$f.cut" && mv "$f.cut" "$f"
`,
            { mode: 0o755 },
        );
        const r = await sync({ PATH: `${bin}:${PG_BIN}:/usr/bin:/bin` });
        assert.notEqual(r.code, 0, "a corrupted dump is a failure");
        assert.match(r.stderr, /pg_restore into .* failed/);
        assert.deepEqual(await checksums(ports[2]!), before);
        const m = metrics();
        assert.equal(m.value(LI_SYNC_METRICS.lastRunSuccess), 0);
        assert.equal(m.value(LI_SYNC_METRICS.lastSuccessTimestamp), lastSuccess, "a failure does not move the last success");
    });

    it("exits non-zero when the restore fails midway, and LI keeps the previous copy", async () => {
        const before = await checksums(ports[2]!);
        // Rows that are valid on main but violate a CHECK on LI (the check reads a setting only the LI role has):
        // COPY into that table fails after other tables were restored.
        await mainDb(`CREATE FUNCTION restore_probe_ok() RETURNS boolean LANGUAGE sql STABLE AS $$ SELECT coalesce(current_setting('proof.reject', true), '') <> 'on' $$;
            CREATE TABLE zz_restore_probe (x int CHECK (restore_probe_ok())); INSERT INTO zz_restore_probe SELECT generate_series(1, 100);`);
        await replicaCaughtUp();
        await q(ports[2]!, "ALTER ROLE synapse SET proof.reject = 'on'");
        try {
            const r = await sync();
            assert.notEqual(r.code, 0);
            assert.match(r.stderr, /pg_restore into .* failed/);
            assert.match(r.stderr, /zz_restore_probe/);
            assert.deepEqual(await checksums(ports[2]!), before);
        } finally {
            await q(ports[2]!, "ALTER ROLE synapse RESET proof.reject");
            await mainDb("DROP TABLE zz_restore_probe; DROP FUNCTION restore_probe_ok()");
            await replicaCaughtUp();
        }
        const r = await sync();
        assert.equal(r.code, 0, r.stderr);
        assert.deepEqual(await checksums(ports[2]!), await checksums(ports[0]!));
    });
});
