// Proof of the media mirror between two real MinIO servers on loopback: the
// generated script (what the CronJob runs) copies new objects, holds deleted
// ones back for holdDays, then drops them; docs/backup.md restores them.
import { strict as assert } from "node:assert";
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import { mediaMirrorScript, remoteEnv } from "../../components/backup/scripts";
import { BACKUP_DEFAULTS } from "../../config/sections/backup";
import { MINIO_BIN, MINIO_INSTALL, rclone, rcloneRemote, s3ClientEnv, startMinio, type TempMinio } from "../helpers/minio";
import { ProcessGroup, requireBinaries } from "../helpers/procs";
import { runbookBlocks, runBlocks } from "../helpers/runbook";
import { requireTool } from "../helpers/tools";

const MEDIA_BUCKET = "synapse-media";
const BACKUP_BUCKET = "backups";
const DAY = 86400;

describe("media mirror between two real MinIO servers (rclone)", function () {
    this.timeout(300_000);
    const procs = new ProcessGroup();
    let media: TempMinio;
    let target: TempMinio;
    let jobEnv: Record<string, string>;
    const start = Math.floor(Date.now() / 1000);

    const mirror = (nowEpoch: number) => {
        const r = spawnSync("sh", ["-c", mediaMirrorScript()], { encoding: "utf8", env: { ...s3ClientEnv(), RCLONE_CONFIG: "/dev/null", ...jobEnv, NOW_EPOCH: String(nowEpoch) }, timeout: 120_000 });
        assert.equal(r.status, 0, `${r.stdout}${r.stderr}`);
        return r.stdout;
    };
    const m = () => rcloneRemote("m", media);
    const t = () => rcloneRemote("t", target);
    const ls = (remote: Record<string, string>, p: string) => rclone(["lsf", "-R", "--files-only", p], remote).toString().split("\n").filter(Boolean).sort();
    const put = (key: string, body: string) => rclone(["rcat", `m:${MEDIA_BUCKET}/${key}`], m(), body);

    before(async function () {
        requireBinaries(this, ["rclone"]);
        requireTool(this, MINIO_BIN, MINIO_INSTALL);
        [media, target] = await Promise.all([startMinio(procs, "media"), startMinio(procs, "backup")]);
        rclone(["mkdir", `m:${MEDIA_BUCKET}`], m());
        rclone(["mkdir", `t:${BACKUP_BUCKET}`], t());
        // Exactly what the CronJob sets: plain settings from remoteEnv, keys from the two Secrets.
        jobEnv = {
            ...remoteEnv("media", { endpointUrl: media.url, region: "us-east-1", provider: "Minio" }),
            ...remoteEnv("backup", { endpointUrl: target.url, region: "us-east-1", provider: "Other" }),
            RCLONE_CONFIG_MEDIA_ACCESS_KEY_ID: media.user,
            RCLONE_CONFIG_MEDIA_SECRET_ACCESS_KEY: media.password,
            RCLONE_CONFIG_BACKUP_ACCESS_KEY_ID: target.user,
            RCLONE_CONFIG_BACKUP_SECRET_ACCESS_KEY: target.password,
            MEDIA_BUCKET,
            BACKUP_BUCKET,
            HOLD_DAYS: String(BACKUP_DEFAULTS.mediaHoldDays),
        };
    });

    after(async () => {
        await procs.stopAll();
        for (const x of [media, target]) if (x) fs.rmSync(x.dir, { recursive: true, force: true });
    });

    it("copies new objects, holds a deleted one for the hold period, then removes it", () => {
        put("local_content/aa/bb/first", "first file");
        put("local_content/cc/dd/second", "second file");
        mirror(start);
        assert.deepEqual(ls(t(), `t:${BACKUP_BUCKET}/media/current`), ["local_content/aa/bb/first", "local_content/cc/dd/second"]);

        put("local_thumbnails/ee/ff/third", "third file");
        rclone(["deletefile", `m:${MEDIA_BUCKET}/local_content/aa/bb/first`], m());
        mirror(start + 60);
        assert.deepEqual(ls(t(), `t:${BACKUP_BUCKET}/media/current`), ["local_content/cc/dd/second", "local_thumbnails/ee/ff/third"]);
        const held = ls(t(), `t:${BACKUP_BUCKET}/media/deleted`);
        assert.equal(held.length, 1, held.join(","));
        assert.match(held[0], new RegExp(`^${start + 60}_\\d{8}T\\d{6}Z/local_content/aa/bb/first$`));
        assert.equal(rclone(["cat", `t:${BACKUP_BUCKET}/media/deleted/${held[0]}`], t()).toString(), "first file");

        // A day before the hold ends: still there, and a second run in between changes nothing.
        mirror(start + 60 + (BACKUP_DEFAULTS.mediaHoldDays - 1) * DAY);
        assert.deepEqual(ls(t(), `t:${BACKUP_BUCKET}/media/deleted`), held);
        // After the hold: gone; current objects untouched.
        const out = mirror(start + 60 + (BACKUP_DEFAULTS.mediaHoldDays + 1) * DAY);
        assert.match(out, /hold period over/);
        assert.deepEqual(ls(t(), `t:${BACKUP_BUCKET}/media/deleted`), []);
        assert.deepEqual(ls(t(), `t:${BACKUP_BUCKET}/media/current`), ["local_content/cc/dd/second", "local_thumbnails/ee/ff/third"]);
    });

    it("restores a deleted file and the whole bucket with the runbook's commands", () => {
        put("local_content/gg/hh/fourth", "fourth file");
        mirror(start + 100 * DAY);
        rclone(["deletefile", `m:${MEDIA_BUCKET}/local_content/gg/hh/fourth`], m());
        mirror(start + 100 * DAY + 60);
        const blocks = runbookBlocks("docs/backup.md");
        const env = {
            RCLONE_CONFIG: "/dev/null",
            TARGET_ACCESS_KEY_ID: target.user,
            TARGET_SECRET_ACCESS_KEY: target.password,
            BACKUP_ENDPOINT: target.url,
            BACKUP_REGION: "us-east-1",
            BACKUP_BUCKET,
            MEDIA_ENDPOINT: media.url,
            MEDIA_REGION: "us-east-1",
            MEDIA_ACCESS_KEY_ID: media.user,
            MEDIA_SECRET_ACCESS_KEY: media.password,
            MEDIA_BUCKET,
            MEDIA_KEY: "local_content/gg/hh/fourth",
        };
        // media-restore-all first: it defines the media remote that media-restore-deleted writes to.
        rclone(["purge", `m:${MEDIA_BUCKET}/local_thumbnails`], m());
        const r = runBlocks(blocks, ["target-env", "media-restore-all", "media-restore-deleted"], env);
        assert.ok(r.ok, r.output);
        assert.equal(rclone(["cat", `m:${MEDIA_BUCKET}/local_content/gg/hh/fourth`], m()).toString(), "fourth file");
        assert.equal(rclone(["cat", `m:${MEDIA_BUCKET}/local_thumbnails/ee/ff/third`], m()).toString(), "third file");
    });
});
