// The backup jobs' scripts, as pure functions of the settings. Each runs in a
// pinned image (rclone's is Alpine: busybox sh) and reads everything it needs
// from the environment, so the proofs run the very same text on loopback.
// rclone remotes come from RCLONE_CONFIG_<NAME>_* variables (remoteEnv).
import { BACKUP_PREFIXES } from "./settings";

/** A stamp that sorts and compares as a number: <epoch seconds>_<UTC time>. */
const STAMP = `now="\${NOW_EPOCH:-$(date -u +%s)}"
stamp="\${now}_$(date -u -d "@\${now}" +%Y%m%dT%H%M%SZ)"`;

/**
 * Incremental mirror of the media bucket. Files deleted (or replaced) at the
 * source are moved to media/deleted/<stamp>/ instead of being dropped, and
 * stay there for HOLD_DAYS; only then are they removed.
 */
export function mediaMirrorScript(): string {
    return `#!/bin/sh
# Media mirror: media:$MEDIA_BUCKET -> backup:$BACKUP_BUCKET/${BACKUP_PREFIXES.mediaCurrent}
set -eu
${STAMP}
current="backup:\${BACKUP_BUCKET}/${BACKUP_PREFIXES.mediaCurrent}"
held="backup:\${BACKUP_BUCKET}/${BACKUP_PREFIXES.mediaDeleted}"
rclone sync "media:\${MEDIA_BUCKET}" "\${current}" --backup-dir "\${held}/\${stamp}" --fast-list --checkers 16 --transfers 8
cutoff=$((now - HOLD_DAYS * 86400))
rclone lsf --dirs-only "\${held}/" | while IFS= read -r dir; do
    dir="\${dir%/}"
    taken="\${dir%%_*}"
    case "\${taken}" in
        ''|*[!0-9]*) echo "media mirror: leaving \${dir} (not a mirror stamp)" >&2; continue ;;
    esac
    if [ "\${taken}" -lt "\${cutoff}" ]; then
        echo "media mirror: hold period over, removing \${dir}"
        rclone purge "\${held}/\${dir}"
    fi
done
echo "media mirror: done at \${stamp}"
`;
}

/** Step 1 of the LI database backup (PostgreSQL image): a custom-format dump into the shared volume. */
export function liDumpScript(): string {
    return `#!/bin/sh
# LI database dump; PGHOST, PGPORT, PGUSER, PGPASSWORD, PGDATABASE from the environment.
set -eu
${STAMP}
pg_dump --format=custom --no-owner --no-privileges --file="\${DUMP_DIR}/li-database-\${stamp}.dump"
echo "li database: dumped \${stamp}"
`;
}

/** Step 2 (rclone image): upload the dump, then drop dumps older than RETENTION_DAYS. */
export function liUploadScript(): string {
    return `#!/bin/sh
set -eu
dest="backup:\${BACKUP_BUCKET}/${BACKUP_PREFIXES.liDatabase}"
rclone copy "\${DUMP_DIR}" "\${dest}" --include "li-database-*.dump"
rclone delete --min-age "\${RETENTION_DAYS}d" "\${dest}"
echo "li database: uploaded, dumps older than \${RETENTION_DAYS} days removed"
`;
}

/**
 * key_vault's volume, archived and encrypted before it leaves the pod: an
 * rclone crypt remote over the target (content and names encrypted with the
 * key in KEY_DIR, which never leaves the cluster's Secret).
 */
export function keyVaultScript(): string {
    return `#!/bin/sh
set -eu
${STAMP}
export RCLONE_CONFIG_VAULT_TYPE=crypt
export RCLONE_CONFIG_VAULT_REMOTE="backup:\${BACKUP_BUCKET}/${BACKUP_PREFIXES.keyVault}"
# The crypt keys come from the mounted Secret at run time; rclone wants them obscured.
OBSCURED_KEY="$(rclone obscure "$(cat "\${KEY_DIR}/password")")"
OBSCURED_SALT="$(rclone obscure "$(cat "\${KEY_DIR}/salt")")"
RCLONE_CONFIG_VAULT_PASSWORD=$OBSCURED_KEY
RCLONE_CONFIG_VAULT_PASSWORD2=$OBSCURED_SALT
export RCLONE_CONFIG_VAULT_PASSWORD RCLONE_CONFIG_VAULT_PASSWORD2
archive="\${WORK_DIR}/key-vault-\${stamp}.tar"
tar -C "\${VAULT_DIR}" -cf "\${archive}" .
rclone copyto "\${archive}" "vault:key-vault-\${stamp}.tar"
rm -f "\${archive}"
rclone delete --min-age "\${RETENTION_DAYS}d" "vault:"
echo "key vault: archived \${stamp} (encrypted), archives older than \${RETENTION_DAYS} days removed"
`;
}

export interface RemoteSpec {
    readonly endpointUrl: string;
    readonly region: string;
    /** rclone's S3 provider name; "Other" is any S3-compatible store. */
    readonly provider: "Minio" | "AWS" | "Other";
}

/** Plain (non-secret) rclone settings of a remote; the keys come from Secrets (see remoteSecretEnv). */
export function remoteEnv(name: string, r: RemoteSpec): Record<string, string> {
    const p = `RCLONE_CONFIG_${name.toUpperCase()}_`;
    return {
        [`${p}TYPE`]: "s3",
        [`${p}PROVIDER`]: r.provider,
        [`${p}ENDPOINT`]: r.endpointUrl,
        [`${p}REGION`]: r.region,
        // Buckets exist already (the media store's bootstrap, the operator for the target); never create one.
        [`${p}NO_CHECK_BUCKET`]: "true",
    };
}

/** The two rclone variables that carry a remote's keys, and which Secret keys fill them. */
export function remoteSecretEnv(name: string, secret: string, keys: { id: string; secret: string }) {
    const p = `RCLONE_CONFIG_${name.toUpperCase()}_`;
    return [
        { name: `${p}ACCESS_KEY_ID`, secret, key: keys.id },
        { name: `${p}SECRET_ACCESS_KEY`, secret, key: keys.secret },
    ];
}
