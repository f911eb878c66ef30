// What the Barman Cloud plugin runs for an ObjectStore, as the barman-cloud-*
// command lines: the same flags (compression, parallelism, endpoint), the same
// destination layout (<destinationPath>/<serverName>/{base,wals}) and the
// retention policy in Barman's own words. The proofs run exactly these against
// a real PostgreSQL and MinIO, and docs/backup.md restores with them.
import { CLUSTER_NAME, objectStoreSpec } from "../data/postgres/manifests";

type ObjectStore = ReturnType<typeof objectStoreSpec>;

/** Barman's server name under destinationPath: the plugin uses the Cluster's name. */
export const BARMAN_SERVER_NAME = CLUSTER_NAME;

const UNITS: Readonly<Record<string, string>> = { d: "DAYS", w: "WEEKS", m: "MONTHS" };

/** "30d" -> "RECOVERY WINDOW OF 30 DAYS" (what the plugin passes to barman-cloud-backup-delete). */
export function retentionPolicy(retention: string): string {
    const m = /^([1-9][0-9]*)([dwm])$/.exec(retention);
    if (!m) throw new Error(`not a Barman retention: ${retention}`);
    return `RECOVERY WINDOW OF ${m[1]} ${UNITS[m[2]]}`;
}

function common(store: ObjectStore): string[] {
    return ["--cloud-provider", "aws-s3", "--endpoint-url", store.spec.configuration.endpointURL];
}

const compressionFlag = (c: string) => `--${c}`;

export interface BarmanCommands {
    readonly destination: string;
    readonly server: string;
    /** archive_command, before the %p PostgreSQL appends. */
    readonly walArchive: readonly string[];
    readonly backup: readonly string[];
    readonly deleteObsolete: readonly string[];
    readonly list: readonly string[];
    /** Then: <backup id> <target directory>. */
    readonly restore: readonly string[];
    /** restore_command, before %f %p. */
    readonly walRestore: readonly string[];
}

export function barmanCommands(store: ObjectStore): BarmanCommands {
    const cfg = store.spec.configuration;
    const dest = cfg.destinationPath;
    const server = BARMAN_SERVER_NAME;
    const c = common(store);
    return {
        destination: dest,
        server,
        walArchive: ["barman-cloud-wal-archive", ...c, compressionFlag(cfg.wal.compression), dest, server],
        backup: ["barman-cloud-backup", ...c, compressionFlag(cfg.data.compression), "--jobs", String(cfg.data.jobs), dest, server],
        deleteObsolete: ["barman-cloud-backup-delete", ...c, "--retention-policy", retentionPolicy(store.spec.retentionPolicy), dest, server],
        list: ["barman-cloud-backup-list", ...c, dest, server],
        restore: ["barman-cloud-restore", ...c, dest, server],
        walRestore: ["barman-cloud-wal-restore", ...c, dest, server],
    };
}
