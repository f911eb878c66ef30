// matrix:backup and the generated pieces that need no running software:
// legacy config still works, a target inside the cluster or the media bucket
// is refused, the job scripts pass shellcheck, the CronJobs carry the schedules.
import { strict as assert } from "node:assert";
import { spawnSync } from "node:child_process";
import { retentionPolicy } from "../../components/backup/barman";
import { keyVaultJob, liDatabaseJob, mediaMirrorJob } from "../../components/backup/jobs";
import { keyVaultScript, liDumpScript, liUploadScript, mediaMirrorScript } from "../../components/backup/scripts";
import { resolveBackup } from "../../components/backup/settings";
import { LI_BACKUP_SOURCES } from "../../components/contracts";
import { parseStackConfig } from "../../config";
import { requireBinary } from "../helpers/binaries";

const BASE = { "matrix:ccu": "100", "matrix:domain": "dev.example.org", "matrix:cluster": JSON.stringify({ provider: "existing", context: "kind-dev" }) };
const TARGET = { endpointUrl: "https://s3.backup.example.org", bucket: "matrix-backups" };

describe("backup settings", () => {
    it("reads matrix:backup, and the legacy matrix:data.postgres.backup as the same target", () => {
        const modern = parseStackConfig({ ...BASE, "matrix:backup": JSON.stringify({ target: TARGET, postgres: { retention: "4w" } }) });
        const r1 = resolveBackup(modern.backup, modern.data);
        assert.deepEqual(r1.problems, []);
        assert.equal(r1.settings.target?.credentialsSecret, "backup-target-s3");
        assert.equal(r1.settings.postgres.retention, "4w");
        const legacy = parseStackConfig({ ...BASE, "matrix:data": JSON.stringify({ postgres: { backup: { ...TARGET, retention: "6m", credentialsSecret: "old-secret" } } }) });
        const r2 = resolveBackup(legacy.backup, legacy.data);
        assert.deepEqual(r2.problems, []);
        assert.deepEqual(r2.settings.target, { ...TARGET, region: "us-east-1", credentialsSecret: "old-secret" });
        assert.equal(r2.settings.postgres.retention, "6m");
    });

    it("refuses both keys at once, a target inside the cluster, and the media bucket", () => {
        const both = parseStackConfig({ ...BASE, "matrix:backup": JSON.stringify({ target: TARGET }), "matrix:data": JSON.stringify({ postgres: { backup: TARGET } }) });
        assert.match(resolveBackup(both.backup, both.data).problems.join("\n"), /^matrix:data\.postgres\.backup: set together with matrix:backup\.target/m);
        const inside = parseStackConfig({ ...BASE, "matrix:backup": JSON.stringify({ target: { endpointUrl: "http://minio.matrix-storage.svc.cluster.local:9000", bucket: "synapse-media" } }) });
        const p = resolveBackup(inside.backup, inside.data).problems;
        assert.equal(p.length, 2, p.join("\n"));
        assert.match(p[0], /^matrix:backup\.target\.endpointUrl: a host inside the cluster/);
        assert.match(p[1], /^matrix:backup\.target\.bucket: the media bucket itself/);
    });

    it("turns retentions into Barman policies", () => {
        assert.equal(retentionPolicy("30d"), "RECOVERY WINDOW OF 30 DAYS");
        assert.equal(retentionPolicy("4w"), "RECOVERY WINDOW OF 4 WEEKS");
        assert.equal(retentionPolicy("6m"), "RECOVERY WINDOW OF 6 MONTHS");
    });

    it("writes job scripts that pass shellcheck as POSIX sh (busybox in the rclone image)", function () {
        requireBinary(this, "shellcheck");
        for (const script of [mediaMirrorScript(), liDumpScript(), liUploadScript(), keyVaultScript()]) {
            const r = spawnSync("shellcheck", ["-s", "sh", "-"], { input: script, encoding: "utf8" });
            assert.equal(r.status, 0, r.stdout);
        }
    });

    it("builds CronJobs with the configured schedules, no overlap, keys only from Secrets", () => {
        const cfg = parseStackConfig({ ...BASE, "matrix:backup": JSON.stringify({ target: TARGET, media: { schedule: "5 * * * *", holdDays: 7 } }) });
        const s = resolveBackup(cfg.backup, cfg.data).settings as Parameters<typeof mediaMirrorJob>[0];
        const media = mediaMirrorJob(s, { endpointUrl: "http://minio.matrix-storage.svc.cluster.local:9000", region: "us-east-1", provider: "Minio", bucket: "synapse-media", readOnlySecret: "backup-media-s3" });
        assert.equal(media.spec.schedule, "5 * * * *");
        assert.equal(media.spec.concurrencyPolicy, "Forbid");
        const pod = (media.spec.jobTemplate as { spec: { template: { spec: { containers: { env: { name: string; value?: string; valueFrom?: unknown }[] }[] } } } }).spec.template.spec;
        const env = Object.fromEntries(pod.containers[0].env.map((e) => [e.name, e]));
        assert.equal(env.HOLD_DAYS.value, "7");
        for (const k of ["RCLONE_CONFIG_BACKUP_SECRET_ACCESS_KEY", "RCLONE_CONFIG_MEDIA_SECRET_ACCESS_KEY"]) assert.ok(env[k].valueFrom && !env[k].value, k);
        assert.equal(liDatabaseJob(s, LI_BACKUP_SOURCES).metadata.namespace, "matrix-li");
        const kv = JSON.stringify(keyVaultJob(s, LI_BACKUP_SOURCES));
        assert.ok(kv.includes(`"claimName":"${LI_BACKUP_SOURCES.keyVault.claim}","readOnly":true`));
    });
});
