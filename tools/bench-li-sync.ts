// npm run bench:li-sync [-- --scale=N] — dump + restore throughput of the
// generated LI sync script on loopback: a PostgreSQL 15 primary filled with
// Synapse-shaped rows, a streaming replica (the sync's source) and the LI
// server. Prints the database size, the sync's wall time and MB/s (database
// size on disk / wall time), the number the plan report's expected sync
// duration is computed from (components/li/sync-estimate.ts). A script, not a
// test: it needs root (initdb runs as `postgres`) and a few minutes.
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { Client } from "pg";
import { INITDB, LI_SYNC_CONNECTION_LIMIT, LI_SYNC_ROLE } from "../components/data/postgres/manifests";
import { LI_DB_ROLE, liRoleSql } from "../components/li/manifests";
import { syncScript } from "../components/li/sync-script";
import { PG_BIN, SUPERUSER_PASSWORD, TempPostgres } from "../test/helpers/postgres";
import { freePorts } from "../test/helpers/procs";
import { fill, SCHEMA } from "../test/li/synapse-shaped";

const args = new Map(process.argv.slice(2).map((a) => a.replace(/^--/, "").split("=") as [string, string]));
/** Users; events are 20 per user (about 25 kB of database per user). */
const SCALE = Number(args.get("scale") ?? 100_000);
const JOBS = Number(args.get("jobs") ?? LI_SYNC_CONNECTION_LIMIT - 1);
const FAST = { fsync: "off", synchronous_commit: "off", full_page_writes: "off" };

async function sql(port: number, text: string, database = "postgres", user = "postgres", password = SUPERUSER_PASSWORD) {
    const c = new Client({ host: "127.0.0.1", port, user, password, database });
    await c.connect();
    try {
        return (await c.query(text)).rows;
    } finally {
        await c.end();
    }
}

async function main(): Promise<void> {
    const [pPort, rPort, lPort] = await freePorts(3);
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "bench-li-sync-"));
    const servers: TempPostgres[] = [];
    // Interrupted (Ctrl-C, timeout): stop the servers it started before exiting.
    for (const sig of ["SIGINT", "SIGTERM"] as const) {
        process.once(sig, () => {
            for (const s of servers.reverse()) s.destroy();
            fs.rmSync(dir, { recursive: true, force: true });
            process.exit(130);
        });
    }
    try {
        const primary = new TempPostgres(pPort!, INITDB);
        servers.push(primary);
        if (!primary.start({ ...FAST, wal_level: "replica", max_wal_senders: "4", max_wal_size: "8GB" }).ok) throw new Error("primary did not start");
        await sql(pPort!, "CREATE ROLE synapse LOGIN PASSWORD 'benchApp0'");
        await sql(pPort!, `CREATE ROLE ${LI_SYNC_ROLE} LOGIN PASSWORD 'benchSync0' CONNECTION LIMIT ${LI_SYNC_CONNECTION_LIMIT} IN ROLE pg_read_all_data`);
        await sql(pPort!, "CREATE DATABASE synapse OWNER synapse TEMPLATE template0 ENCODING 'UTF8' LC_COLLATE 'C' LC_CTYPE 'C'");
        const t0 = Date.now();
        await sql(pPort!, SCHEMA + fill(SCALE), "synapse", "synapse", "benchApp0");
        const [{ bytes }] = await sql(pPort!, "SELECT pg_database_size('synapse')::bigint AS bytes");
        const mb = Number(bytes) / 1e6;
        console.log(`generated ${mb.toFixed(0)} MB (scale ${SCALE}) in ${((Date.now() - t0) / 1000).toFixed(0)} s`);

        const replica = new TempPostgres(rPort!, { standbyOf: pPort! });
        servers.push(replica);
        if (!replica.start({ ...FAST, hot_standby: "on" }).ok) throw new Error("replica did not start");
        const li = new TempPostgres(lPort!, INITDB);
        servers.push(li);
        // The LI server as deployed: its own tuning is the plan's; here the loopback machine's defaults plus no fsync.
        if (!li.start({ ...FAST, wal_level: "minimal", max_wal_senders: "0", maintenance_work_mem: "512MB" }).ok) throw new Error("LI did not start");
        const roles = spawnSync(path.join(PG_BIN, "psql"), ["-X", "-v", "ON_ERROR_STOP=1", "-h", "127.0.0.1", "-p", String(lPort), "-U", "postgres", "-d", "postgres", "-v", "pw=benchLi0"], {
            input: liRoleSql(),
            env: { ...process.env, PGPASSWORD: SUPERUSER_PASSWORD },
            encoding: "utf8",
        });
        if (roles.status !== 0) throw new Error(roles.stderr);

        fs.writeFileSync(path.join(dir, "src"), "benchSync0");
        fs.writeFileSync(path.join(dir, "li"), "benchLi0");
        fs.writeFileSync(path.join(dir, "sync.sh"), syncScript({ jobs: JOBS, maxSeconds: 6 * 3600, intervalSeconds: 86400 }));
        const t1 = Date.now();
        const r = spawnSync("bash", [path.join(dir, "sync.sh")], {
            encoding: "utf8",
            env: {
                PATH: `${PG_BIN}:/usr/bin:/bin`,
                SOURCE_HOST: "127.0.0.1", SOURCE_PORT: String(rPort), SOURCE_DB: "synapse", SOURCE_USER: LI_SYNC_ROLE, SOURCE_PASSWORD_FILE: path.join(dir, "src"),
                LI_HOST: "127.0.0.1", LI_PORT: String(lPort), LI_USER: LI_DB_ROLE, LI_PASSWORD_FILE: path.join(dir, "li"),
                WORK_DIR: path.join(dir, "work"), METRICS_FILE: path.join(dir, "li_sync.prom"),
            },
        });
        const seconds = (Date.now() - t1) / 1000;
        if (r.status !== 0) throw new Error(`sync failed:\n${r.stderr}`);
        process.stdout.write(r.stderr);
        console.log(`sync (dump + restore + analyze + switch) of ${mb.toFixed(0)} MB with ${JOBS} jobs: ${seconds.toFixed(1)} s -> ${(mb / seconds).toFixed(1)} MB/s on ${os.cpus().length} cores (${os.cpus()[0]?.model ?? "unknown CPU"})`);
    } finally {
        for (const s of servers.reverse()) s.destroy();
        fs.rmSync(dir, { recursive: true, force: true });
    }
}

main().catch((e) => {
    console.error(e instanceof Error ? e.message : e);
    process.exit(1);
});
