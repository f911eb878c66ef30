// The backup CronJobs as plain objects (the component only wraps them). Each
// pod runs as a non-root user on a read-only root filesystem (Pod Security
// "restricted"), gets the target's keys and the media store's read-only keys
// from Secrets as environment variables, and never overlaps itself.
import type * as k8s from "@pulumi/kubernetes";
import { POSTGRES_IMAGE } from "../data/postgres/manifests";
import { restrictedContainer, restrictedPod } from "../data/security";
import { NAMESPACES, ROLE_LABEL, ROLE_VALUES, type LiBackupSources } from "../contracts";
import { remoteEnv, remoteSecretEnv, type RemoteSpec } from "./scripts";
import type { BackupSettings } from "./settings";

export const SCRIPTS_CONFIGMAP = "backup-scripts";
export const KEY_VAULT_KEY_SECRET = "key-vault-backup-key";
export const JOB_NAMES = { media: "media-mirror", liDatabase: "li-database-backup", keyVault: "key-vault-backup" } as const;
/** rclone and pg_dump run as nobody unless a volume's owner says otherwise. */
const NOBODY = 65534;
export const BACKUP_POD_LABEL = "matrix-scale.io/backup";

/** A backup CronJob and when it runs (five-field cron), for the backup-age alerts. */
export interface ScheduledBackupJob {
    readonly name: string;
    readonly namespace: string;
    readonly schedule: string;
}

/** Every backup CronJob the settings create (none without a target); Backups and the alerts both read this. */
export function scheduledBackupJobs(s: BackupSettings): ScheduledBackupJob[] {
    if (!s.target) return [];
    return [
        { name: JOB_NAMES.media, namespace: NAMESPACES.matrix, schedule: s.media.schedule },
        { name: JOB_NAMES.liDatabase, namespace: NAMESPACES.li, schedule: s.li.schedule },
        { name: JOB_NAMES.keyVault, namespace: NAMESPACES.li, schedule: s.keyVault.schedule },
    ];
}

type Env = { name: string; value?: string; valueFrom?: { secretKeyRef: { name: string; key: string } } };

const plain = (vars: Record<string, string>): Env[] => Object.entries(vars).map(([name, value]) => ({ name, value }));
const fromSecrets = (vars: { name: string; secret: string; key: string }[]): Env[] =>
    vars.map((v) => ({ name: v.name, valueFrom: { secretKeyRef: { name: v.secret, key: v.key } } }));

/** The backup target as the rclone remote `backup`. */
export function targetEnv(s: BackupSettings & { target: NonNullable<BackupSettings["target"]> }): Env[] {
    const t = s.target;
    return [
        ...plain(remoteEnv("backup", { endpointUrl: t.endpointUrl, region: t.region, provider: "Other" })),
        ...fromSecrets(remoteSecretEnv("backup", t.credentialsSecret, { id: "ACCESS_KEY_ID", secret: "ACCESS_SECRET_KEY" })),
        { name: "BACKUP_BUCKET", value: t.bucket },
        // No config file: everything is in the environment. HOME is the scratch volume (read-only root).
        { name: "RCLONE_CONFIG", value: "/dev/null" },
        { name: "HOME", value: "/work" },
    ];
}

const container = (name: string, image: string, script: string, env: Env[], mounts: { name: string; mountPath: string; readOnly?: boolean }[]) => ({
    name,
    image,
    command: ["/bin/sh", `/scripts/${script}`],
    env,
    securityContext: { ...restrictedContainer, readOnlyRootFilesystem: true },
    resources: { requests: { cpu: "100m", memory: "128Mi" }, limits: { memory: "512Mi" } },
    volumeMounts: [{ name: "scripts", mountPath: "/scripts", readOnly: true }, { name: "work", mountPath: "/work" }, ...mounts],
});

export interface CronJobObject {
    readonly metadata: { readonly name: string; readonly namespace: string; readonly labels: Record<string, string> };
    readonly spec: k8s.types.input.batch.v1.CronJobSpec;
}

function cronJob(name: string, namespace: string, schedule: string, pod: k8s.types.input.core.v1.PodSpec): CronJobObject {
    return {
        metadata: { name, namespace, labels: { [BACKUP_POD_LABEL]: name } },
        spec: {
            schedule,
            // A slow run is never doubled: the next one waits (and a missed one alerts, docs/backup.md).
            concurrencyPolicy: "Forbid",
            startingDeadlineSeconds: 3600,
            successfulJobsHistoryLimit: 3,
            failedJobsHistoryLimit: 3,
            jobTemplate: {
                spec: {
                    backoffLimit: 2,
                    template: { metadata: { labels: { [BACKUP_POD_LABEL]: name } }, spec: { restartPolicy: "Never", automountServiceAccountToken: false, ...pod } },
                },
            },
        },
    };
}

const scratch = (name: string) => ({ name, emptyDir: {} });
const scripts = { name: "scripts", configMap: { name: SCRIPTS_CONFIGMAP, defaultMode: 0o555 } };

export interface MediaSource extends RemoteSpec {
    readonly bucket: string;
    /** Secret (namespace matrix) with read-only AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY. */
    readonly readOnlySecret: string;
}

export function mediaMirrorJob(s: BackupSettings & { target: NonNullable<BackupSettings["target"]> }, media: MediaSource) {
    const env = [
        ...targetEnv(s),
        ...plain(remoteEnv("media", media)),
        ...fromSecrets(remoteSecretEnv("media", media.readOnlySecret, { id: "AWS_ACCESS_KEY_ID", secret: "AWS_SECRET_ACCESS_KEY" })),
        { name: "MEDIA_BUCKET", value: media.bucket },
        { name: "HOLD_DAYS", value: String(s.media.holdDays) },
    ];
    return cronJob(JOB_NAMES.media, NAMESPACES.matrix, s.media.schedule, {
        securityContext: restrictedPod(NOBODY),
        containers: [container("mirror", s.rcloneImage, "media-mirror.sh", env, [])],
        volumes: [scripts, scratch("work")],
    });
}

const liPlacement = {
    nodeSelector: { [ROLE_LABEL]: ROLE_VALUES.li },
    tolerations: [{ key: ROLE_LABEL, operator: "Equal", value: ROLE_VALUES.li, effect: "NoSchedule" }],
};

export function liDatabaseJob(s: BackupSettings & { target: NonNullable<BackupSettings["target"]> }, li: LiBackupSources) {
    const db = li.database;
    const pgEnv: Env[] = [
        { name: "PGHOST", value: `${db.service}.${NAMESPACES.li}.svc.cluster.local` },
        { name: "PGPORT", value: String(db.port) },
        { name: "PGDATABASE", value: db.database },
        { name: "PGUSER", valueFrom: { secretKeyRef: { name: db.credentialsSecret, key: "username" } } },
        { name: "PGPASSWORD", valueFrom: { secretKeyRef: { name: db.credentialsSecret, key: "password" } } },
        { name: "DUMP_DIR", value: "/work" },
    ];
    return cronJob(JOB_NAMES.liDatabase, NAMESPACES.li, s.li.schedule, {
        ...liPlacement,
        securityContext: restrictedPod(NOBODY),
        // pg_dump first (PostgreSQL's image, same major as the server), then rclone uploads from the shared volume.
        initContainers: [container("dump", POSTGRES_IMAGE, "li-dump.sh", pgEnv, [])],
        containers: [
            container("upload", s.rcloneImage, "li-upload.sh", [...targetEnv(s), { name: "DUMP_DIR", value: "/work" }, { name: "RETENTION_DAYS", value: String(s.li.retentionDays) }], []),
        ],
        volumes: [scripts, scratch("work")],
    });
}

export function keyVaultJob(s: BackupSettings & { target: NonNullable<BackupSettings["target"]> }, li: LiBackupSources) {
    const kv = li.keyVault;
    const env: Env[] = [
        ...targetEnv(s),
        { name: "VAULT_DIR", value: "/vault" },
        { name: "KEY_DIR", value: "/keys" },
        { name: "WORK_DIR", value: "/work" },
        { name: "RETENTION_DAYS", value: String(s.keyVault.retentionDays) },
    ];
    return cronJob(JOB_NAMES.keyVault, NAMESPACES.li, s.keyVault.schedule, {
        ...liPlacement,
        // key_vault's claim is ReadWriteOnce: only a pod on the same node can mount it.
        affinity: {
            podAffinity: { requiredDuringSchedulingIgnoredDuringExecution: [{ labelSelector: { matchLabels: { ...kv.podLabels } }, topologyKey: "kubernetes.io/hostname" }] },
        },
        securityContext: restrictedPod(kv.runAsUser),
        containers: [
            container("archive", s.rcloneImage, "key-vault.sh", env, [
                { name: "vault", mountPath: "/vault", readOnly: true },
                { name: "keys", mountPath: "/keys", readOnly: true },
            ]),
        ],
        volumes: [
            scripts,
            scratch("work"),
            { name: "vault", persistentVolumeClaim: { claimName: kv.claim, readOnly: true } },
            { name: "keys", secret: { secretName: KEY_VAULT_KEY_SECRET, defaultMode: 0o400 } },
        ],
    });
}
