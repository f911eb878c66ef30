// Stack config for the data layer (`matrix:data`): the knobs the sizing plan
// does not own. Sizes, counts and tuning come from the plan only; here live
// endpoints, names, timings and the pool ledger. Pure: no Pulumi imports.

export type ObjectStoreBackend = "minio" | "aws-s3";

export interface PoolLedgerEntry {
    readonly servers: number;
    readonly drivesPerServer: number;
    readonly driveGB: number;
}

export interface DataConfig {
    /**
     * The largest CCU this stack has run at. Volumes (PostgreSQL, Redis) can
     * only grow, so they are sized for max(ccu, storageFloorCcu): set it before
     * moving to a smaller tier, and the smaller tier keeps the bigger volumes.
     */
    readonly storageFloorCcu?: number;
    readonly postgres: {
        readonly backup: {
            readonly endpointUrl: string;
            readonly bucket: string;
            readonly region: string;
            /** Existing Secret in the `matrix` namespace with ACCESS_KEY_ID and ACCESS_SECRET_KEY. */
            readonly credentialsSecret: string;
            /** Barman retention policy, e.g. "30d". */
            readonly retention: string;
            /** Six-field cron, seconds first. */
            readonly schedule: string;
        };
    };
    readonly redis: {
        readonly sentinelDownAfterMs: number;
        readonly sentinelFailoverTimeoutMs: number;
        readonly haproxyReplicas: number;
        readonly haproxyCheckIntervalMs: number;
    };
    readonly objectStore: {
        readonly backend: ObjectStoreBackend;
        readonly bucket: string;
        readonly region: string;
        /** Pools already deployed, oldest first; a tier change only appends (see objectstore/pools.ts). */
        readonly pools?: readonly PoolLedgerEntry[];
    };
}

export const DATA_DEFAULTS = {
    backupRegion: "us-east-1",
    backupCredentialsSecret: "synapse-db-backup-s3",
    backupRetention: "30d",
    backupSchedule: "0 0 3 * * *",
    sentinelDownAfterMs: 5000,
    sentinelFailoverTimeoutMs: 30000,
    haproxyReplicas: 2,
    haproxyCheckIntervalMs: 1000,
    objectStoreBackend: "minio" as ObjectStoreBackend,
    mediaBucket: "synapse-media",
    mediaRegion: "us-east-1",
} as const;

const KEY = "matrix:data";

type Raw = Record<string, unknown>;

function isObject(v: unknown): v is Raw {
    return typeof v === "object" && v !== null && !Array.isArray(v);
}

class Reader {
    constructor(readonly errors: string[]) {}

    object(parent: Raw, key: string, path: string, allowed: readonly string[]): Raw {
        const v = parent[key];
        if (v === undefined) return {};
        if (!isObject(v)) {
            this.errors.push(`${path}: ${JSON.stringify(v)} is not an object; allowed keys: ${allowed.join(", ")}`);
            return {};
        }
        this.unknown(v, path, allowed);
        return v;
    }

    unknown(v: Raw, path: string, allowed: readonly string[]): void {
        for (const k of Object.keys(v)) {
            if (!allowed.includes(k)) this.errors.push(`${path}.${k}: unknown key; allowed: ${allowed.join(", ")}`);
        }
    }

    string(o: Raw, key: string, path: string, fallback: string | undefined, test?: { re: RegExp; what: string }): string {
        const v = o[key];
        if (v === undefined) {
            if (fallback === undefined) this.errors.push(`${path}.${key}: required; ${test?.what ?? "a non-empty string"}`);
            return fallback ?? "";
        }
        if (typeof v !== "string" || v.length === 0 || (test && !test.re.test(v))) {
            this.errors.push(`${path}.${key}: ${JSON.stringify(v)} is invalid; allowed: ${test?.what ?? "a non-empty string"}`);
            return fallback ?? "";
        }
        return v;
    }

    int(o: Raw, key: string, path: string, fallback: number | undefined, min: number, max: number): number | undefined {
        const v = o[key];
        if (v === undefined) return fallback;
        if (typeof v !== "number" || !Number.isInteger(v) || v < min || v > max) {
            this.errors.push(`${path}.${key}: ${JSON.stringify(v)} is invalid; allowed: an integer from ${min} to ${max}`);
            return fallback;
        }
        return v;
    }
}

const BUCKET = { re: /^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/, what: "an S3 bucket name (3-63 lowercase letters, digits, dots, hyphens)" };
const URL_RE = { re: /^https?:\/\/[^\s/]+(\/.*)?$/, what: "an http(s) URL of an S3-compatible endpoint that is not the media store" };
const K8S_NAME = { re: /^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/, what: "a Kubernetes object name" };
const RETENTION = { re: /^[1-9][0-9]*[dwm]$/, what: 'a Barman retention like "30d", "4w" or "6m"' };
const CRON6 = { re: /^(\S+\s+){5}\S+$/, what: 'a six-field cron with seconds first, e.g. "0 0 3 * * *"' };
const REGION = { re: /^[a-z0-9-]{2,32}$/, what: "a region name like us-east-1" };

/** Parses `matrix:data`; every problem is reported at once, each naming key, value and what is allowed. */
export function parseDataSection(raw: unknown): { value: DataConfig; errors: string[] } {
    const errors: string[] = [];
    const r = new Reader(errors);
    const root: Raw = raw === undefined ? {} : isObject(raw) ? raw : (errors.push(`${KEY}: ${JSON.stringify(raw)} is not an object`), {});
    r.unknown(root, KEY, ["storageFloorCcu", "postgres", "redis", "objectStore"]);
    const storageFloorCcu = r.int(root, "storageFloorCcu", KEY, undefined, 1, 20000);

    const pg = r.object(root, "postgres", `${KEY}.postgres`, ["backup"]);
    const bk = r.object(pg, "backup", `${KEY}.postgres.backup`, ["endpointUrl", "bucket", "region", "credentialsSecret", "retention", "schedule"]);
    const bkPath = `${KEY}.postgres.backup`;
    const backup = {
        endpointUrl: r.string(bk, "endpointUrl", bkPath, undefined, URL_RE),
        bucket: r.string(bk, "bucket", bkPath, undefined, BUCKET),
        region: r.string(bk, "region", bkPath, DATA_DEFAULTS.backupRegion, REGION),
        credentialsSecret: r.string(bk, "credentialsSecret", bkPath, DATA_DEFAULTS.backupCredentialsSecret, K8S_NAME),
        retention: r.string(bk, "retention", bkPath, DATA_DEFAULTS.backupRetention, RETENTION),
        schedule: r.string(bk, "schedule", bkPath, DATA_DEFAULTS.backupSchedule, CRON6),
    };

    const rd = r.object(root, "redis", `${KEY}.redis`, ["sentinelDownAfterMs", "sentinelFailoverTimeoutMs", "haproxyReplicas", "haproxyCheckIntervalMs"]);
    const rp = `${KEY}.redis`;
    const redis = {
        sentinelDownAfterMs: r.int(rd, "sentinelDownAfterMs", rp, DATA_DEFAULTS.sentinelDownAfterMs, 1000, 60000)!,
        sentinelFailoverTimeoutMs: r.int(rd, "sentinelFailoverTimeoutMs", rp, DATA_DEFAULTS.sentinelFailoverTimeoutMs, 5000, 600000)!,
        haproxyReplicas: r.int(rd, "haproxyReplicas", rp, DATA_DEFAULTS.haproxyReplicas, 2, 10)!,
        haproxyCheckIntervalMs: r.int(rd, "haproxyCheckIntervalMs", rp, DATA_DEFAULTS.haproxyCheckIntervalMs, 200, 10000)!,
    };

    const os = r.object(root, "objectStore", `${KEY}.objectStore`, ["backend", "bucket", "region", "pools"]);
    const op = `${KEY}.objectStore`;
    const backend = os.backend ?? DATA_DEFAULTS.objectStoreBackend;
    if (backend !== "minio" && backend !== "aws-s3") {
        errors.push(`${op}.backend: ${JSON.stringify(backend)} is invalid; allowed: "minio", "aws-s3"`);
    }
    let pools: PoolLedgerEntry[] | undefined;
    if (os.pools !== undefined) {
        if (!Array.isArray(os.pools)) {
            errors.push(`${op}.pools: ${JSON.stringify(os.pools)} is not a list of {servers, drivesPerServer, driveGB}`);
        } else {
            pools = os.pools.map((p: unknown, i: number) => {
                const path = `${op}.pools[${i}]`;
                const o = isObject(p) ? p : (errors.push(`${path}: not an object`), {});
                r.unknown(o, path, ["servers", "drivesPerServer", "driveGB"]);
                const entry = {
                    servers: r.int(o, "servers", path, undefined, 1, 64) ?? 0,
                    drivesPerServer: r.int(o, "drivesPerServer", path, undefined, 1, 64) ?? 0,
                    driveGB: r.int(o, "driveGB", path, undefined, 1, 1_000_000) ?? 0,
                };
                for (const k of ["servers", "drivesPerServer", "driveGB"] as const) {
                    if (o[k] === undefined) errors.push(`${path}.${k}: required; an integer`);
                }
                return entry;
            });
        }
    }
    const objectStore = {
        backend: backend as ObjectStoreBackend,
        bucket: r.string(os, "bucket", op, DATA_DEFAULTS.mediaBucket, BUCKET),
        region: r.string(os, "region", op, DATA_DEFAULTS.mediaRegion, REGION),
        ...(pools ? { pools } : {}),
    };
    return {
        value: { ...(storageFloorCcu !== undefined ? { storageFloorCcu } : {}), postgres: { backup }, redis, objectStore },
        errors,
    };
}
