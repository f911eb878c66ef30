// Proof that PostgreSQL backups restore: the Barman Cloud commands the plugin
// runs for our ObjectStore (barmanCommands) against Debian's PostgreSQL 15 and
// the pinned MinIO; restore with docs/backup.md's own commands to a point in
// time; retention with the configured recovery window.
import { strict as assert } from "node:assert";
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { Client } from "pg";
import { barmanCommands, retentionPolicy } from "../../components/backup/barman";
import { objectStoreSpec, INITDB } from "../../components/data/postgres/manifests";
import { BACKUP_DEFAULTS } from "../../config/sections/backup";
import { MINIO_BIN, MINIO_INSTALL, rclone, rcloneRemote, s3ClientEnv, startMinio, type TempMinio } from "../helpers/minio";
import { PG_BIN, SUPERUSER_PASSWORD, TempPostgres } from "../helpers/postgres";
import { freePort, ProcessGroup, requireBinaries, sleep, until } from "../helpers/procs";
import { runbookBlocks, runBlocks } from "../helpers/runbook";
import { requireTool, venvProgram } from "../helpers/tools";

const BARMAN_INSTALL = ".ci/install.d/30-barman.sh";
const BUCKET = "db-backups";
const TABLES = ["rooms", "events"] as const;

async function connect(port: number): Promise<Client> {
    const c = new Client({ host: "127.0.0.1", port, user: "postgres", password: SUPERUSER_PASSWORD, database: "postgres", connectionTimeoutMillis: 10000 });
    await c.connect();
    return c;
}

/** One checksum per table over its rows in key order. */
async function checksums(c: Client): Promise<Record<string, { rows: number; md5: string }>> {
    const out: Record<string, { rows: number; md5: string }> = {};
    for (const t of TABLES) {
        const r = await c.query(`SELECT count(*)::int AS n, coalesce(md5(string_agg(${t}::text, '|' ORDER BY id)), '') AS h FROM ${t}`);
        out[t] = { rows: r.rows[0].n, md5: r.rows[0].h };
    }
    return out;
}

const sh = (argv: readonly string[]) => argv.map((a) => (/^[\w@%+=:,./-]+$/.test(a) ? a : `'${a.replace(/'/g, `'\\''`)}'`)).join(" ");

describe("PostgreSQL backups restore for real (Barman Cloud, PostgreSQL 15, MinIO)", function () {
    this.timeout(600_000);
    const procs = new ProcessGroup();
    let minio: TempMinio;
    let pg: TempPostgres | undefined;
    let restored: TempPostgres | undefined;
    let env: Record<string, string>;
    let binDir: string;
    const store = objectStoreSpec({
        namespace: "matrix",
        storageClass: "matrix-nvme",
        backup: { endpointUrl: "http://placeholder", bucket: BUCKET, region: "us-east-1", credentialsSecret: "s", retention: BACKUP_DEFAULTS.postgresRetention, schedule: "0 0 3 * * *" },
    });
    let cmds: ReturnType<typeof barmanCommands>;
    const run = (argv: readonly string[], extra: string[] = []) => {
        const [prog, ...args] = argv;
        const r = spawnSync(path.join(binDir, prog), [...args, ...extra], { encoding: "utf8", env: { ...s3ClientEnv(), ...env }, timeout: 300_000 });
        assert.equal(r.status, 0, `${prog} failed: ${r.stdout}${r.stderr}`);
        return r.stdout;
    };

    before(async function () {
        requireBinaries(this, [`${PG_BIN}/initdb`, `${PG_BIN}/pg_ctl`, "runuser", "rclone"]);
        requireTool(this, MINIO_BIN, MINIO_INSTALL);
        binDir = path.dirname(requireTool(this, venvProgram("barman", "barman-cloud-backup"), BARMAN_INSTALL));
        minio = await startMinio(procs, "target");
        // The program's ObjectStore, pointed at this MinIO: every flag below comes from it.
        const local = { ...store, spec: { ...store.spec, configuration: { ...store.spec.configuration, endpointURL: minio.url } } };
        cmds = barmanCommands(local);
        rclone(["mkdir", `target:${BUCKET}`], rcloneRemote("target", minio));
        env = { AWS_ACCESS_KEY_ID: minio.user, AWS_SECRET_ACCESS_KEY: minio.password, AWS_DEFAULT_REGION: "us-east-1", PGPASSWORD: SUPERUSER_PASSWORD };
        pg = new TempPostgres(await freePort(), INITDB);
        const archive = `env AWS_ACCESS_KEY_ID=${minio.user} AWS_SECRET_ACCESS_KEY=${minio.password} ${binDir}/${sh(cmds.walArchive)} %p`;
        const started = pg.start({ wal_level: "replica", archive_mode: "on", archive_command: `'${archive}'`, archive_timeout: "0", fsync: "off" });
        assert.ok(started.ok, started.log);
    });

    after(async () => {
        restored?.destroy();
        pg?.destroy();
        await procs.stopAll();
        if (minio) fs.rmSync(minio.dir, { recursive: true, force: true });
    });

    let backupId = "";
    let targetTime = "";
    let atTarget: Record<string, { rows: number; md5: string }> = {};

    it("archives WAL and takes a base backup with the plugin's settings, in the plugin's layout", async () => {
        const c = await connect(pg!.port);
        await c.query("CREATE TABLE rooms (id int PRIMARY KEY, name text); CREATE TABLE events (id int PRIMARY KEY, room int, body text)");
        await c.query("INSERT INTO rooms SELECT g, 'room ' || g FROM generate_series(1, 50) g");
        await c.query("INSERT INTO events SELECT g, g % 50 + 1, repeat(md5(g::text), 4) FROM generate_series(1, 2000) g");
        await c.end();
        run(cmds.backup, ["--host", "127.0.0.1", "--port", String(pg!.port), "--user", "postgres"]);
        const list = JSON.parse(run([...cmds.list.slice(0, 1), "--format", "json", ...cmds.list.slice(1)]));
        assert.equal(list.backups_list.length, 1);
        backupId = list.backups_list[0].backup_id;
        const objects = rclone(["lsf", "-R", "--files-only", `target:${BUCKET}`], rcloneRemote("target", minio)).toString();
        // destinationPath s3://bucket/synapse-db, server name synapse-db: what the plugin writes and a restore reads.
        assert.match(objects, new RegExp(`^synapse-db/synapse-db/base/${backupId}/data\\.tar\\.gz$`, "m"), objects);
        assert.match(objects, /^synapse-db\/synapse-db\/wals\/[0-9A-F]{16}\/[0-9A-F]{24}\.gz$/m, objects);
    });

    it("restores with the runbook to a point in time: equal checksums there, nothing written later", async () => {
        const c = await connect(pg!.port);
        await c.query("INSERT INTO events SELECT g, g % 50 + 1, 'after backup ' || g FROM generate_series(2001, 2500) g");
        await c.query("UPDATE rooms SET name = name || ' (renamed)' WHERE id <= 10");
        atTarget = await checksums(c);
        targetTime = (await c.query("SELECT to_char(clock_timestamp() AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI:SS.US') || '+00' AS t")).rows[0].t;
        await sleep(1100);
        await c.query("INSERT INTO events SELECT g, 1, 'too late ' || g FROM generate_series(2501, 2600) g");
        await c.query("DELETE FROM rooms WHERE id > 40");
        assert.notDeepEqual(await checksums(c), atTarget);
        const wal = (await c.query("SELECT pg_walfile_name(pg_current_wal_lsn()) AS w")).rows[0].w;
        await c.query("SELECT pg_switch_wal()");
        const archived = await until(async () => {
            const r = await c.query("SELECT last_archived_wal, failed_count FROM pg_stat_archiver");
            return (r.rows[0].last_archived_wal ?? "") >= wal;
        }, 60_000, 250);
        await c.end();
        assert.ok(archived, `the WAL segment holding the later writes was not archived:\n${fs.readFileSync(path.join(pg!.dir, "server.log"), "utf8").slice(-3000)}`);

        restored = new TempPostgres(await freePort(), INITDB);
        fs.rmSync(restored.data, { recursive: true, force: true });
        const blocks = runbookBlocks("docs/backup.md");
        const r = runBlocks(blocks, ["postgres-list", "postgres-restore"], {
            ...env,
            PATH: `${binDir}:${process.env.PATH}`,
            BACKUP_ENDPOINT: minio.url,
            BACKUP_BUCKET: BUCKET,
            BACKUP_ID: backupId,
            TARGET_TIME: targetTime,
            PGDATA: restored.data,
        });
        assert.ok(r.ok, r.output);
        assert.match(r.stdout, new RegExp(backupId));
        spawnSync("chown", ["-R", "postgres:postgres", restored.data]);
        fs.chmodSync(restored.data, 0o700);
        // restore_command runs in the server's environment: the target's keys and Barman on PATH, as the runbook's shell has them.
        const saved = { ...process.env };
        Object.assign(process.env, env, { PATH: `${binDir}:${process.env.PATH}` });
        let started;
        try {
            started = restored.start({ fsync: "off", archive_mode: "off" });
        } finally {
            for (const k of Object.keys(process.env)) if (!(k in saved)) delete process.env[k];
            Object.assign(process.env, saved);
        }
        assert.ok(started.ok, started.log);
        // The server replays WAL, stops at the target and promotes; connect once it accepts writes.
        const log = () => fs.readFileSync(path.join(restored!.dir, "server.log"), "utf8").slice(-4000);
        const promoted = await until(async () => {
            const c = await connect(restored!.port);
            try {
                return (await c.query("SELECT pg_is_in_recovery() AS r")).rows[0].r === false;
            } finally {
                await c.end();
            }
        }, 120_000, 500);
        assert.ok(promoted, `the restored server did not finish recovery:\n${log()}`);
        const rc = await connect(restored.port);
        assert.deepEqual(await checksums(rc), atTarget);
        const late = await rc.query("SELECT count(*)::int AS n FROM events WHERE body LIKE 'too late%'");
        assert.equal(late.rows[0].n, 0);
        await rc.end();
    });

    it("retention deletes the backups outside the recovery window, and only those", async () => {
        // One more backup; then the two are made to look 40 and 35 days old by their
        // own metadata (backup.info), which is what Barman's retention reads.
        run(cmds.backup, ["--host", "127.0.0.1", "--port", String(pg!.port), "--user", "postgres"]);
        const ids: string[] = JSON.parse(run([...cmds.list.slice(0, 1), "--format", "json", ...cmds.list.slice(1)])).backups_list.map((b: { backup_id: string }) => b.backup_id);
        assert.equal(ids.length, 2);
        const remote = rcloneRemote("target", minio);
        const age = (id: string, days: number) => {
            const key = `target:${BUCKET}/synapse-db/synapse-db/base/${id}/backup.info`;
            const info = rclone(["cat", key], remote).toString();
            const when = new Date(Date.now() - days * 86400_000).toISOString().replace("T", " ").replace("Z", "+00:00");
            const aged = info.replace(/^(begin_time|end_time)=.*$/gm, `$1=${when}`);
            assert.notEqual(aged, info);
            rclone(["rcat", key], remote, aged);
        };
        age(ids[0], 40);
        age(ids[1], 35);
        assert.equal(retentionPolicy(BACKUP_DEFAULTS.postgresRetention), "RECOVERY WINDOW OF 30 DAYS");
        const blocks = runbookBlocks("docs/backup.md");
        assert.ok(blocks.get("postgres-retention")!.includes(`"${retentionPolicy(BACKUP_DEFAULTS.postgresRetention)}"`), "the runbook's retention is not the default policy");
        const walsBefore = rclone(["lsf", "-R", "--files-only", `target:${BUCKET}/synapse-db/synapse-db/wals`], remote).toString().split("\n").filter(Boolean);
        run(cmds.deleteObsolete);
        const left: string[] = JSON.parse(run([...cmds.list.slice(0, 1), "--format", "json", ...cmds.list.slice(1)])).backups_list.map((b: { backup_id: string }) => b.backup_id);
        // 40 days old: outside the window and not needed to reach its start -> gone.
        // 35 days old: the base every point of the window is recovered from -> kept.
        assert.deepEqual(left, [ids[1]]);
        const walsAfter = rclone(["lsf", "-R", "--files-only", `target:${BUCKET}/synapse-db/synapse-db/wals`], remote).toString().split("\n").filter(Boolean);
        assert.ok(walsAfter.length < walsBefore.length, "no WAL of the deleted backup was removed");
        const beginWal = rclone(["cat", `target:${BUCKET}/synapse-db/synapse-db/base/${ids[1]}/backup.info`], remote).toString().match(/^begin_wal=(\S+)/m)![1];
        const walName = (p: string) => path.basename(p).replace(/\..*$/, "");
        assert.ok(walsAfter.every((w) => walName(w) >= beginWal || w.endsWith(".history")), "a WAL needed by a kept backup was deleted");
        assert.ok(walsBefore.filter((w) => walName(w) >= beginWal).every((w) => walsAfter.includes(w)), "a WAL after the kept backup was deleted");
    });
});
