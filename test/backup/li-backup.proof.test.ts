// Proof of the LI backups with the generated scripts (what the CronJobs run):
// the database dump restores into a fresh database with the runbook; the
// key_vault archive is unreadable in the bucket and restores byte for byte;
// retention removes only archives older than the configured days.
import { strict as assert } from "node:assert";
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { Client } from "pg";
import { keyVaultScript, liDumpScript, liUploadScript, remoteEnv } from "../../components/backup/scripts";
import { BACKUP_DEFAULTS } from "../../config/sections/backup";
import { MINIO_BIN, MINIO_INSTALL, rclone, rcloneRemote, s3ClientEnv, startMinio, type TempMinio } from "../helpers/minio";
import { PG_BIN, SUPERUSER_PASSWORD, TempPostgres } from "../helpers/postgres";
import { freePort, ProcessGroup, requireBinaries } from "../helpers/procs";
import { runbookBlocks, runBlocks } from "../helpers/runbook";
import { requireTool } from "../helpers/tools";

const BUCKET = "backups";

describe("LI database and key_vault backups (pg_dump, rclone crypt, MinIO)", function () {
    this.timeout(300_000);
    const procs = new ProcessGroup();
    let target: TempMinio;
    let pg: TempPostgres | undefined;
    let work: string;
    let base: Record<string, string>;

    const sh = (script: string, env: Record<string, string>) => {
        const r = spawnSync("sh", ["-c", script], { encoding: "utf8", env: { ...s3ClientEnv(), RCLONE_CONFIG: "/dev/null", PATH: `${PG_BIN}:${process.env.PATH}`, ...base, ...env }, timeout: 120_000 });
        assert.equal(r.status, 0, `${r.stdout}${r.stderr}`);
        return r.stdout;
    };
    const t = () => rcloneRemote("t", target);
    const ls = (p: string) => rclone(["lsf", "-R", "--files-only", p], t()).toString().split("\n").filter(Boolean).sort();
    const age = (p: string) => rclone(["touch", "--no-create", "-t", "2020-01-01T00:00:00", p], t());
    const runbookEnv = () => ({
        RCLONE_CONFIG: "/dev/null",
        PATH: `${PG_BIN}:${process.env.PATH}`,
        TARGET_ACCESS_KEY_ID: target.user,
        TARGET_SECRET_ACCESS_KEY: target.password,
        BACKUP_ENDPOINT: target.url,
        BACKUP_REGION: "us-east-1",
        BACKUP_BUCKET: BUCKET,
    });

    before(async function () {
        requireBinaries(this, ["rclone", "tar", `${PG_BIN}/pg_dump`, `${PG_BIN}/pg_restore`, `${PG_BIN}/initdb`, "runuser"]);
        requireTool(this, MINIO_BIN, MINIO_INSTALL);
        target = await startMinio(procs, "li-target");
        rclone(["mkdir", `t:${BUCKET}`], t());
        work = fs.mkdtempSync(path.join(os.tmpdir(), "li-backup-"));
        base = {
            ...remoteEnv("backup", { endpointUrl: target.url, region: "us-east-1", provider: "Other" }),
            RCLONE_CONFIG_BACKUP_ACCESS_KEY_ID: target.user,
            RCLONE_CONFIG_BACKUP_SECRET_ACCESS_KEY: target.password,
            BACKUP_BUCKET: BUCKET,
        };
        pg = new TempPostgres(await freePort(), { encoding: "UTF8", localeCollate: "C", localeCType: "C" });
        const started = pg.start({ fsync: "off" });
        assert.ok(started.ok, started.log);
    });

    after(async () => {
        pg?.destroy();
        await procs.stopAll();
        if (target) fs.rmSync(target.dir, { recursive: true, force: true });
        if (work) fs.rmSync(work, { recursive: true, force: true });
    });

    const q = async (db: string, sql: string) => {
        const c = new Client({ host: "127.0.0.1", port: pg!.port, user: "postgres", password: SUPERUSER_PASSWORD, database: db });
        await c.connect();
        try {
            return (await c.query(sql)).rows;
        } finally {
            await c.end();
        }
    };

    it("dumps the LI database, prunes old dumps, and the runbook restores it", async () => {
        await q("postgres", "CREATE DATABASE li");
        await q("li", "CREATE TABLE intercepts (id int PRIMARY KEY, target text, at timestamptz DEFAULT now()); INSERT INTO intercepts SELECT g, '@user' || g || ':example.org' FROM generate_series(1, 300) g");
        const want = await q("li", "SELECT md5(string_agg(id || target, ',' ORDER BY id)) AS h FROM intercepts");
        const dumps = path.join(work, "dumps");
        fs.mkdirSync(dumps);
        const pgEnv = { PGHOST: "127.0.0.1", PGPORT: String(pg!.port), PGUSER: "postgres", PGPASSWORD: SUPERUSER_PASSWORD, PGDATABASE: "li", DUMP_DIR: dumps, RETENTION_DAYS: String(BACKUP_DEFAULTS.liRetentionDays) };
        sh(liDumpScript(), { ...pgEnv, NOW_EPOCH: String(Math.floor(Date.now() / 1000) - 7200) });
        sh(liUploadScript(), pgEnv);
        const first = ls(`t:${BUCKET}/li/database`);
        assert.equal(first.length, 1);
        age(`t:${BUCKET}/li/database/${first[0]}`);
        fs.rmSync(dumps, { recursive: true });
        fs.mkdirSync(dumps);
        sh(liDumpScript(), pgEnv);
        sh(liUploadScript(), pgEnv);
        const left = ls(`t:${BUCKET}/li/database`);
        assert.equal(left.length, 1, left.join(","));
        assert.notEqual(left[0], first[0], "the dump older than the retention was not removed (or the new one was)");

        await q("postgres", "CREATE DATABASE li_restored");
        const restoreDir = path.join(work, "restore-db");
        fs.mkdirSync(restoreDir);
        const r = runBlocks(runbookBlocks("docs/backup.md"), ["target-env", "li-database-restore"], {
            ...runbookEnv(),
            PGHOST: "127.0.0.1", PGPORT: String(pg!.port), PGUSER: "postgres", PGPASSWORD: SUPERUSER_PASSWORD,
            LI_DATABASE: "li_restored",
            RESTORE_DIR: restoreDir,
        });
        assert.ok(r.ok, r.output);
        assert.deepEqual(await q("li_restored", "SELECT md5(string_agg(id || target, ',' ORDER BY id)) AS h FROM intercepts"), want);
    });

    it("archives key_vault encrypted, prunes old archives, and the runbook restores it byte for byte", () => {
        const vault = path.join(work, "vault");
        fs.mkdirSync(path.join(vault, "keys"), { recursive: true });
        const secret = "PLAINTEXT-PRIVATE-KEY-MATERIAL-0123456789";
        fs.writeFileSync(path.join(vault, "keys", "room-key.json"), JSON.stringify({ key: secret }));
        fs.writeFileSync(path.join(vault, "vault.db"), Buffer.concat([Buffer.from(secret), Buffer.alloc(4096, 7)]));
        const keys = path.join(work, "keys");
        fs.mkdirSync(keys);
        fs.writeFileSync(path.join(keys, "password"), "generated-password-0123456789abcdef");
        fs.writeFileSync(path.join(keys, "salt"), "generated-salt-0123456789abcdef");
        const env = { VAULT_DIR: vault, KEY_DIR: keys, WORK_DIR: work, RETENTION_DAYS: String(BACKUP_DEFAULTS.keyVaultRetentionDays) };
        sh(keyVaultScript(), { ...env, NOW_EPOCH: String(Math.floor(Date.now() / 1000) - 7200) });
        const stored = ls(`t:${BUCKET}/li/key-vault`);
        assert.equal(stored.length, 1);
        // Names and content are encrypted: nothing in the bucket reveals either.
        assert.doesNotMatch(stored[0], /key-vault|tar/);
        const raw = rclone(["cat", `t:${BUCKET}/li/key-vault/${stored[0]}`], t());
        assert.ok(!raw.includes(Buffer.from(secret)) && !raw.includes(Buffer.from("room-key")), "plaintext found in the stored archive");
        age(`t:${BUCKET}/li/key-vault/${stored[0]}`);
        sh(keyVaultScript(), env);
        const left = ls(`t:${BUCKET}/li/key-vault`);
        assert.equal(left.length, 1);
        assert.notEqual(left[0], stored[0]);

        const restoreDir = path.join(work, "restore-vault");
        fs.mkdirSync(restoreDir);
        const r = runBlocks(runbookBlocks("docs/backup.md"), ["target-env", "key-vault-restore"], {
            ...runbookEnv(),
            KEY_PASSWORD: fs.readFileSync(path.join(keys, "password"), "utf8"),
            KEY_SALT: fs.readFileSync(path.join(keys, "salt"), "utf8"),
            RESTORE_DIR: restoreDir,
        });
        assert.ok(r.ok, r.output);
        for (const f of ["keys/room-key.json", "vault.db"]) {
            assert.ok(fs.readFileSync(path.join(restoreDir, f)).equals(fs.readFileSync(path.join(vault, f))), f);
        }
    });
});
