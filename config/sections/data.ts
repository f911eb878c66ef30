// Stack config for the data layer (`matrix:data`): the knobs the sizing plan
// does not own. Sizes, counts and tuning come from the plan only; here live
// the backup target, names, failover timings, the MinIO pool ledger and the
// storage floor that keeps volumes from shrinking on a smaller tier.
import { enumOf, integer, INVALID, list, object, optional, string, type Infer } from "../schema";

export const DATA_DEFAULTS = {
    backupRegion: "us-east-1",
    backupCredentialsSecret: "synapse-db-backup-s3",
    backupRetention: "30d",
    backupSchedule: "0 0 3 * * *",
    sentinelDownAfterMs: 5000,
    sentinelFailoverTimeoutMs: 30000,
    haproxyReplicas: 2,
    haproxyCheckIntervalMs: 1000,
    objectStoreBackend: "minio",
    mediaBucket: "synapse-media",
    mediaRegion: "us-east-1",
} as const;

const bucket = (description: string, dflt?: string) =>
    string({
        description,
        ...(dflt ? { default: dflt } : {}),
        pattern: /^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/,
        patternText: "an S3 bucket name (3-63 lowercase letters, digits, dots, hyphens)",
    });
const region = (description: string, dflt: string) =>
    string({ description, default: dflt, pattern: /^[a-z0-9-]{2,32}$/, patternText: "a region name like us-east-1" });

const poolEntry = object(
    {
        servers: integer({ description: "MinIO servers in the pool.", min: 1, max: 64 }),
        drivesPerServer: integer({ description: "Drives per server.", min: 1, max: 64 }),
        driveGB: integer({ description: "Size of each drive in GB.", min: 1, max: 1_000_000 }),
    },
    { description: "One deployed MinIO pool." },
);

export const data = {
    data: object(
        {
            storageFloorCcu: optional(
                integer({
                    description:
                        "The largest CCU this stack has run at. Volumes only grow: PostgreSQL and Redis volumes, and with provider aws the database and storage servers and their EBS volumes, are sized for max(ccu, storageFloorCcu). Set it before moving to a smaller tier.",
                    min: 1,
                    max: 20000,
                }),
            ),
            postgres: object(
                {
                    backup: object(
                        {
                            endpointUrl: string({
                                description: "S3-compatible endpoint for PostgreSQL backups (Barman Cloud). Not the media store.",
                                pattern: /^https?:\/\/[^\s/]+(\/\S*)?$/,
                                patternText: "an http(s) URL",
                            }),
                            bucket: bucket("Bucket for PostgreSQL base backups and WAL."),
                            region: region("Region of the backup bucket.", DATA_DEFAULTS.backupRegion),
                            credentialsSecret: string({
                                description: "Existing Secret in namespace matrix with keys ACCESS_KEY_ID and ACCESS_SECRET_KEY for the backup bucket.",
                                default: DATA_DEFAULTS.backupCredentialsSecret,
                                pattern: /^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/,
                                patternText: "a Kubernetes object name",
                            }),
                            retention: string({
                                description: "Barman retention policy.",
                                default: DATA_DEFAULTS.backupRetention,
                                pattern: /^[1-9][0-9]*[dwm]$/,
                                patternText: 'a Barman retention like "30d", "4w" or "6m"',
                            }),
                            schedule: string({
                                description: "When the daily base backup runs (CloudNativePG cron: six fields, seconds first).",
                                default: DATA_DEFAULTS.backupSchedule,
                                pattern: /^\S+(\s+\S+){5}$/,
                                patternText: 'a six-field cron with seconds first, e.g. "0 0 3 * * *"',
                            }),
                        },
                        {
                            description:
                                "Where and how PostgreSQL is backed up (Barman Cloud). Without it the database has no backups and the program warns on every run.",
                            optional: true,
                        },
                    ),
                },
                { description: "PostgreSQL (CloudNativePG) settings the plan does not own." },
            ),
            redis: object(
                {
                    sentinelDownAfterMs: integer({ description: "Sentinel down-after-milliseconds.", default: DATA_DEFAULTS.sentinelDownAfterMs, min: 1000, max: 60000 }),
                    sentinelFailoverTimeoutMs: integer({ description: "Sentinel failover-timeout.", default: DATA_DEFAULTS.sentinelFailoverTimeoutMs, min: 5000, max: 600000 }),
                    haproxyReplicas: integer({ description: "HAProxy replicas in front of Synapse's Redis master.", default: DATA_DEFAULTS.haproxyReplicas, min: 2, max: 10 }),
                    haproxyCheckIntervalMs: integer({ description: "How often HAProxy asks each Redis node for its role.", default: DATA_DEFAULTS.haproxyCheckIntervalMs, min: 200, max: 10000 }),
                },
                { description: "Redis HA timings." },
            ),
            objectStore: object(
                {
                    backend: enumOf(["minio", "aws-s3"] as const, { description: "Media store: MinIO on the storage servers, or an AWS S3 bucket.", default: DATA_DEFAULTS.objectStoreBackend }),
                    bucket: bucket("Media bucket.", DATA_DEFAULTS.mediaBucket),
                    region: region("Region reported to S3 clients (and of the bucket for aws-s3).", DATA_DEFAULTS.mediaRegion),
                    pools: optional(
                        list(poolEntry, {
                            description:
                                "MinIO pools already deployed, oldest first (copy the stack output objectStorePools here before changing tier). Existing pools are kept as they are; only missing pools are added.",
                        }),
                    ),
                },
                { description: "Media object storage." },
            ),
        },
        { description: "Data layer: PostgreSQL backups, Redis failover timings, media object storage." },
    ),
} as const;

export type DataConfig = Infer<(typeof data)["data"]>;
export type ObjectStoreBackend = DataConfig["objectStore"]["backend"];
export type PoolLedgerEntry = Infer<typeof poolEntry>;

/** Parses a `matrix:data` value alone (tests, tools); every problem at once. */
export function parseDataSection(raw: unknown): { value: DataConfig; errors: string[] } {
    const problems: string[] = [];
    const v = data.data.parse(raw ?? {}, { path: "matrix:data", problems, secret: false });
    return { value: (v === INVALID ? undefined : v) as DataConfig, errors: problems };
}
