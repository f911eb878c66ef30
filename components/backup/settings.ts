// The effective backup settings: matrix:backup, or for stacks written before
// it existed, matrix:data.postgres.backup (same target, PostgreSQL schedule and
// retention). Problems are found before any resource exists.
import type { BackupSection, BackupTargetConfig } from "../../config/sections/backup";
import type { DataConfig } from "../../config/sections/data";

export interface BackupSettings extends Omit<BackupSection, "target"> {
    readonly target?: BackupTargetConfig;
}

const LEGACY_KEY = "matrix:data.postgres.backup";

function hostOf(url: string): string {
    try {
        return new URL(url).hostname.toLowerCase();
    } catch {
        return url;
    }
}

/** A host only the cluster resolves: a backup there dies with the cluster. */
const IN_CLUSTER = /(^|\.)(svc|svc\.cluster\.local|cluster\.local)$|^[a-z0-9-]+$/;

export function resolveBackup(
    backup: BackupSection,
    data: Pick<DataConfig, "postgres" | "objectStore">,
): { settings: BackupSettings; problems: string[] } {
    const problems: string[] = [];
    const legacy = data.postgres.backup;
    let settings: BackupSettings = backup;
    if (legacy && backup.target) {
        problems.push(
            `${LEGACY_KEY}: set together with matrix:backup.target (got both); allowed: only matrix:backup (move endpointUrl, bucket, region, credentialsSecret to matrix:backup.target and schedule, retention to matrix:backup.postgres)`,
        );
    } else if (legacy) {
        const { schedule, retention, ...target } = legacy;
        settings = { ...backup, target, postgres: { schedule, retention } };
    }
    const t = settings.target;
    const where = backup.target ? "matrix:backup.target" : LEGACY_KEY;
    if (t) {
        const host = hostOf(t.endpointUrl);
        if (IN_CLUSTER.test(host)) {
            problems.push(`${where}.endpointUrl: a host inside the cluster (got ${JSON.stringify(t.endpointUrl)}); allowed: an S3 endpoint outside the cluster, so backups survive its loss`);
        }
        if (t.bucket === data.objectStore.bucket) {
            problems.push(
                `${where}.bucket: the media bucket itself (got ${JSON.stringify(t.bucket)}); allowed: a bucket other than matrix:data.objectStore.bucket, with its own credentials`,
            );
        }
    }
    return { settings, problems };
}

/** Object key prefixes inside the target bucket, one per kind of data. */
export const BACKUP_PREFIXES = {
    /** Barman Cloud's destinationPath; the plugin adds the server name below it. */
    postgres: "synapse-db",
    mediaCurrent: "media/current",
    mediaDeleted: "media/deleted",
    liDatabase: "li/database",
    keyVault: "li/key-vault",
} as const;
