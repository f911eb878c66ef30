// The media workers' local cache. With `store_local: true` Synapse keeps every
// upload, thumbnail and fetched remote file on the pod's disk (an emptyDir)
// after writing it to object storage; nothing removes them, so the disk fills
// and the pod is evicted. A sidecar in each media pod runs the S3 storage
// provider's own cleanup (`s3_media_upload`) on a timer: files not accessed
// for KEEP_DAYS, already in the bucket, are deleted locally; Synapse fetches
// them back from the bucket on the next access. A CronJob cannot do this: an
// emptyDir is only visible inside its own pod.
//
// Not Synapse's `media_retention.local_media_lifetime` (guide §10.4): that
// deletes the media itself (its database rows), not a cache (sizing/errata.ts).
import * as YAML from "yaml";
import type { Plan } from "../../sizing/types";
import { PATHS } from "./ports";

/** Local copies untouched this long are removed (s3_media_upload's finest unit is a day). */
export const KEEP_DAYS = 1;
/** How often the sidecar runs the cleanup. */
export const CLEANUP_INTERVAL_SECONDS = 3600;
/** Thumbnails and remote media cached alongside uploads, relative to the uploads themselves. */
export const CACHE_OVERHEAD = 1.5;
/** Floor of the cache volume: room for the largest upload while it is written, thumbnailed and scanned. */
export const MIN_CACHE_GIB = 5;
/** Where the sidecar works (its cache.db and database.yaml); its own emptyDir. */
export const CLEANUP_WORKDIR = "/work";
export const CLEANUP_DB_FILE = "database.yaml";
export const CLEANUP_SCRIPT = "media-cleanup.sh";
/** Touched by the loop at the start of every run; the sidecar's probes read its age. */
export const CLEANUP_HEARTBEAT = "heartbeat";
/** A run may take this long before the sidecar counts as hung and is restarted (one interval plus a long run). */
export const CLEANUP_STALE_SECONDS = 6 * CLEANUP_INTERVAL_SECONDS;
/** ConfigMap holding the sidecar's files, mounted at CLEANUP_CONFIG_DIR (not Synapse's config: Synapse never reads them). */
export const CLEANUP_CONFIG_MAP = "synapse-media-cleanup";
export const CLEANUP_CONFIG_DIR = "/cleanup";

export interface MediaCachePlan {
    /** Upload volume per media worker per day, from the plan's §10 growth model. */
    readonly dailyGiBPerWorker: number;
    /** sizeLimit of the media emptyDir. */
    readonly sizeLimitGiB: number;
}

/**
 * The cache holds at most what arrived in KEEP_DAYS plus one cleanup interval
 * (uploads spread over the media workers), with thumbnails and remote media on
 * top, and twice that as headroom for a missed run.
 */
export function mediaCachePlan(plan: Plan): MediaCachePlan {
    const workers = Math.max(1, plan.synapse.workers.mediaRepository.count);
    const dailyGiBPerWorker = plan.media.annualGrowthGB / 365 / workers;
    const held = dailyGiBPerWorker * (KEEP_DAYS + CLEANUP_INTERVAL_SECONDS / 86400) * CACHE_OVERHEAD;
    return { dailyGiBPerWorker, sizeLimitGiB: Math.max(MIN_CACHE_GIB, Math.ceil(2 * held)) };
}

/** database.yaml for s3_media_upload: libpq keywords; the password comes from PGPASSWORD. */
export function cleanupDatabaseYaml(db: { host: string; port: number; database: string; user: string }): string {
    return YAML.stringify({ postgres: { host: db.host, port: db.port, dbname: db.database, user: db.user } });
}

/** The three s3_media_upload steps, as argument vectors (the test runs these very vectors). */
export function cleanupCommands(media: { bucket: string; endpointUrl: string }, mediaStore: string = PATHS.mediaStore): string[][] {
    const tool = ["s3_media_upload", "--no-progress"];
    return [
        // Record media not accessed for KEEP_DAYS in the sidecar's cache.db.
        [...tool, "update-db", `${KEEP_DAYS}d`],
        // Forget those whose files are already gone.
        [...tool, "check-deleted", mediaStore],
        // Upload any that are missing from the bucket (none with store_synchronous), then delete the local copy.
        [...tool, "upload", mediaStore, media.bucket, "--delete", "--endpoint-url", media.endpointUrl],
    ];
}

const quote = (a: string) => (/^[A-Za-z0-9_@%+=:,./-]+$/.test(a) ? a : `'${a.replace(/'/g, `'\\''`)}'`);

/** The sidecar's loop. A failed run is logged and retried next interval; the sidecar never exits on its own. */
export function cleanupScript(media: { bucket: string; endpointUrl: string }, configDir: string = CLEANUP_CONFIG_DIR): string {
    const steps = cleanupCommands(media).map((c) => c.map(quote).join(" "));
    return [
        "set -u",
        `cd ${CLEANUP_WORKDIR} || exit 1`,
        `cp ${configDir}/${CLEANUP_DB_FILE} database.yaml || exit 1`,
        "while true; do",
        `  touch ${CLEANUP_HEARTBEAT}`,
        `  if ${steps.join(" && ")}; then`,
        '    echo "media cache cleanup done"',
        "  else",
        '    echo "media cache cleanup failed; retrying next interval" >&2',
        "  fi",
        `  sleep ${CLEANUP_INTERVAL_SECONDS}`,
        "done",
        "",
    ].join("\n");
}

/** The sidecar's probes: ready once the loop has started, alive while it started a run recently enough. */
export function cleanupProbes(workdir: string = CLEANUP_WORKDIR) {
    const beat = `${workdir}/${CLEANUP_HEARTBEAT}`;
    return {
        readinessProbe: { exec: { command: ["test", "-f", beat] }, periodSeconds: 30 },
        livenessProbe: {
            exec: { command: ["sh", "-c", `test $(( $(date +%s) - $(stat -c %Y ${beat}) )) -lt ${CLEANUP_STALE_SECONDS}`] },
            initialDelaySeconds: 60,
            periodSeconds: 300,
            failureThreshold: 2,
            timeoutSeconds: 10,
        },
    };
}

/** The sidecar's ConfigMap data: the loop and the database settings. */
export function cleanupFiles(s: { database: { host: string; port: number; database: string; user: string }; media: { bucket: string; endpointUrl: string } }): Record<string, string> {
    return { [CLEANUP_SCRIPT]: cleanupScript(s.media), [CLEANUP_DB_FILE]: cleanupDatabaseYaml(s.database) };
}
