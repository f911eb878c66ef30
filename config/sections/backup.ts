// Stack config for backups (`matrix:backup`): one off-cluster target with its
// own credentials, and per kind of data its schedule and retention. The
// PostgreSQL part used to live in matrix:data.postgres.backup; that key is
// still read (see resolveBackup) so existing stacks keep their backups.
import { integer, object, string, type Infer } from "../schema";

export const BACKUP_DEFAULTS = {
    region: "us-east-1",
    credentialsSecret: "backup-target-s3",
    postgresRetention: "30d",
    postgresSchedule: "0 0 3 * * *",
    mediaSchedule: "17 * * * *",
    mediaHoldDays: 30,
    liSchedule: "30 3 * * *",
    liRetentionDays: 30,
    keyVaultSchedule: "45 3 * * *",
    keyVaultRetentionDays: 90,
} as const;

const K8S_NAME = { pattern: /^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/, patternText: "a Kubernetes object name" };
const cron5 = (description: string, dflt: string) =>
    string({ description, default: dflt, pattern: /^\S+(\s+\S+){4}$/, patternText: 'a five-field cron (Kubernetes CronJob), e.g. "17 * * * *"' });
const days = (description: string, dflt: number) => integer({ description, default: dflt, min: 1, max: 3650 });

export const targetFields = {
    endpointUrl: string({
        description: "S3-compatible endpoint of the backup target, outside the cluster. Never the media store.",
        pattern: /^https?:\/\/[^\s/]+(\/\S*)?$/,
        patternText: "an http(s) URL",
    }),
    bucket: string({
        description: "Bucket that receives every backup (PostgreSQL, media mirror, LI database, key vault), each under its own prefix.",
        pattern: /^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/,
        patternText: "an S3 bucket name (3-63 lowercase letters, digits, dots, hyphens)",
    }),
    region: string({ description: "Region of the backup bucket.", default: BACKUP_DEFAULTS.region, pattern: /^[a-z0-9-]{2,32}$/, patternText: "a region name like us-east-1" }),
    credentialsSecret: string({
        description:
            "Existing Secret with keys ACCESS_KEY_ID and ACCESS_SECRET_KEY for the backup bucket only (not the media store's keys), in the namespaces matrix and matrix-li.",
        default: BACKUP_DEFAULTS.credentialsSecret,
        ...K8S_NAME,
    }),
} as const;

export const backup = {
    backup: object(
        {
            target: object(targetFields, {
                description: "Where backups go: an S3-compatible bucket off the cluster, with credentials of its own. Without it nothing is backed up and the program warns.",
                optional: true,
            }),
            postgres: object(
                {
                    schedule: string({
                        description: "When the daily base backup runs (CloudNativePG cron: six fields, seconds first). WAL is archived continuously.",
                        default: BACKUP_DEFAULTS.postgresSchedule,
                        pattern: /^\S+(\s+\S+){5}$/,
                        patternText: 'a six-field cron with seconds first, e.g. "0 0 3 * * *"',
                    }),
                    retention: string({
                        description: "Barman recovery window: base backups and WAL older than needed to restore any point in it are deleted.",
                        default: BACKUP_DEFAULTS.postgresRetention,
                        pattern: /^[1-9][0-9]*[dwm]$/,
                        patternText: 'a Barman retention like "30d", "4w" or "6m"',
                    }),
                },
                { description: "Synapse's PostgreSQL (Barman Cloud: base backups and continuous WAL archiving)." },
            ),
            media: object(
                {
                    schedule: cron5("When the media bucket is mirrored to the target (incremental).", BACKUP_DEFAULTS.mediaSchedule),
                    holdDays: days("Days a file deleted from the media store stays restorable in the mirror.", BACKUP_DEFAULTS.mediaHoldDays),
                },
                { description: "Mirror of the media bucket." },
            ),
            li: object(
                {
                    schedule: cron5("When the lawful-intercept database is dumped.", BACKUP_DEFAULTS.liSchedule),
                    retentionDays: days("Days a dump of the LI database is kept.", BACKUP_DEFAULTS.liRetentionDays),
                },
                { description: "The lawful-intercept instance's database." },
            ),
            keyVault: object(
                {
                    schedule: cron5("When key_vault's volume is archived (encrypted before it leaves the cluster).", BACKUP_DEFAULTS.keyVaultSchedule),
                    retentionDays: days("Days an encrypted key_vault archive is kept.", BACKUP_DEFAULTS.keyVaultRetentionDays),
                },
                { description: "The LI instance's key_vault volume." },
            ),
            rcloneImage: string({
                description: "rclone image for the media mirror and the LI backups (the version the mirror script is proven with).",
                default: "rclone/rclone:1.60.1",
                pattern: /^[a-z0-9][a-z0-9./_-]*(:[A-Za-z0-9._-]+|@sha256:[a-f0-9]{64})$/,
                patternText: "an image reference with a tag or digest",
            }),
        },
        { description: "Backups: the off-cluster target, and schedule and retention per kind of data." },
    ),
} as const;

export type BackupSection = Infer<(typeof backup)["backup"]>;
export type BackupTargetConfig = NonNullable<BackupSection["target"]>;
