// Names and shapes that several components agree on. A component that needs
// another's endpoint imports it from here, so a rename happens in one place.
import type * as pulumi from "@pulumi/pulumi";
import { ROLLING_SURGE_PODS } from "../sizing/connections";
import type { DiskType, NodeRole } from "../sizing/types";

/** Prefix of node labels kubelets cannot set on themselves (the NodeRestriction
 * admission plugin refuses them from a node's own credentials): a node cannot
 * claim a role or a server name and attract its workloads or local volumes. */
export const NODE_RESTRICTED_PREFIX = "node-restriction.kubernetes.io/";

/** Node label (and taint key) carrying a server's role. Set by the cluster
 * (provider aws: the control plane, from the instance's EC2 tags), never by
 * the kubelet. A taint key need not be protected (kubelets may register
 * taints), but one key for both keeps selector and toleration in step. */
export const ROLE_LABEL = `${NODE_RESTRICTED_PREFIX}matrix-scale-role`;

/** Label values, one per role of the sizing plan. */
export const ROLE_VALUES: Readonly<Record<NodeRole, string>> = {
    controlPlane: "control-plane",
    app: "app",
    database: "database",
    storage: "storage",
    calls: "calls",
    li: "li",
    monitoring: "monitoring",
};

/** Roles whose servers carry a NoSchedule taint `${ROLE_LABEL}=<value>`: only
 * workloads that tolerate it (the role's own) land there. */
export const TAINTED_ROLES: readonly NodeRole[] = ["database", "storage", "calls", "li", "monitoring"];

/** Default StorageClass name per disk type (the existing-cluster provider may rename them). */
export const DEFAULT_STORAGE_CLASSES: Readonly<Record<DiskType, string>> = {
    ssd: "matrix-ssd",
    nvme: "matrix-nvme",
    hdd: "matrix-hdd",
};

export const NAMESPACES = {
    /** Synapse, its workers, router, Element Web, PostgreSQL and Redis for Synapse. */
    matrix: "matrix",
    /** The isolated lawful-intercept instance. */
    li: "matrix-li",
    /** The LI proxy alone: it binds the LI server's host port, which no `restricted` namespace allows. */
    liProxy: "matrix-li-proxy",
    /** Object storage (MinIO). */
    storage: "matrix-storage",
    /** LiveKit, coturn and their Redis. */
    calls: "matrix-calls",
    monitoring: "monitoring",
} as const;

/** A key inside a Kubernetes Secret. */
export interface SecretKeyRef {
    readonly name: string;
    readonly key: string;
}

/** What the data layer hands to Synapse (and the LI instance). */
export interface DataEndpoints {
    readonly postgres: {
        /** Service that always reaches the primary, e.g. synapse-db-rw.matrix.svc.cluster.local */
        readonly host: pulumi.Input<string>;
        readonly port: number;
        readonly database: string;
        readonly user: string;
        readonly password: SecretKeyRef;
    };
    readonly redis: {
        /** One stable endpoint that always reaches the current master (Synapse cannot use Sentinel). */
        readonly host: pulumi.Input<string>;
        readonly port: number;
        readonly password: SecretKeyRef;
    };
    readonly media: {
        readonly endpointUrl: pulumi.Input<string>;
        readonly bucket: string;
        readonly region: string;
        /** Secret with AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY for Synapse (read-write). */
        readonly credentialsSecret: string;
        /** Secret in the matrix namespace with read-only AWS_* keys: the media mirror reads with these. */
        readonly backupCredentialsSecret: string;
        /** In-cluster object store pods (MinIO), for egress policies; absent when the store is outside the cluster (AWS S3). */
        readonly inCluster?: { readonly namespace: string; readonly podLabels: Readonly<Record<string, string>>; readonly port: number };
    };
    /** What the lawful-intercept instance reads, all read-only; its Secrets live in the LI namespace. */
    readonly li: {
        /** Service that reaches only replicas of the main cluster, never the primary (CloudNativePG `-ro`). */
        readonly replicaHost: pulumi.Input<string>;
        readonly port: number;
        readonly database: string;
        /** Role with pg_read_all_data and a connection cap, for pg_dump. */
        readonly syncUser: string;
        readonly syncPassword: SecretKeyRef;
        /** Labels of the main cluster's PostgreSQL pods (namespace NAMESPACES.matrix), for the sync's egress policy. */
        readonly postgresPodLabels: Readonly<Record<string, string>>;
        /** Cap on the sync role's sessions (pg_dump uses jobs + 1). */
        readonly syncConnectionLimit: number;
        /** Secret with read-only AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY for the media bucket (a write through them fails). */
        readonly mediaCredentialsSecret: string;
    };
}

/** A port range, both ends included. */
export interface PortRange {
    readonly from: number;
    readonly to: number;
}

/**
 * Ports the call servers expose to the internet on their host network. The
 * calls component configures LiveKit and coturn with these; the cluster
 * provider opens exactly these. coturn's relay range and LiveKit's RTC range
 * must not overlap: at 100 CCU both share the same call servers (guide §3).
 */
export const CALL_PORTS = {
    turn: 3478, // coturn listening port, UDP and TCP
    turnTls: 5349, // coturn TURN over TLS, TCP
    livekitTcp: 7881, // LiveKit ICE over TCP
    // Both UDP ranges sit inside the IANA dynamic range 49152-65535, the only
    // high UDP range the policy pack lets the internet reach.
    livekitUdp: { from: 50000, to: 59999 } as PortRange, // LiveKit RTC, UDP
    turnRelay: { from: 60000, to: 65535 } as PortRange, // coturn relay ports, UDP
} as const;

/**
 * Ports LiveKit and coturn also occupy on the call servers' host network but
 * that stay inside the cluster (the security groups never open them): LiveKit's
 * HTTP/WebSocket signalling, reached only through the edge, and the metrics
 * endpoints Prometheus scrapes. Listed here so "nothing overlaps on a call
 * server" is checked over every port in use there.
 */
export const CALL_HOST_PORTS = {
    livekitSignal: 7880, // LiveKit HTTP API and WebSocket signalling (Service target for the edge)
    livekitMetrics: 6789, // LiveKit Prometheus endpoint
    turnMetrics: 9641, // coturn Prometheus endpoint
} as const;

/**
 * NodePorts the public HTTPS edge forwards to on the app servers: the gateway
 * component exposes its listeners as a NodePort Service with these numbers
 * (provider aws puts an internet-facing NLB in front: 443 -> https, 80 -> http
 * when enabled). Federation uses 443 as well: the deployment publishes
 * `.well-known/matrix/server` with port 443, so 8448 is never opened.
 */
export const EDGE_NODE_PORTS = {
    https: 30443,
    http: 30080,
} as const;

/** Host port the LI server serves its admin HTTPS on; reachable only from the LI admin CIDRs. */
export const LI_ADMIN_HOST_PORT = 443;

/** Extra node label carrying a server's stable name (e.g. database-0), independent
 * of the tier; local PersistentVolumes are pinned by it, so it is node-restricted too. */
export const SERVER_LABEL = `${NODE_RESTRICTED_PREFIX}matrix-scale-server`;
/**
 * The longest HTTP request the deployment serves, and the one timeout every
 * hop (edge, router, Synapse's listener) allows for it. A /sync long-polls for
 * the client's `timeout` (30 s in Element and the spec's examples); an upload
 * of the plan's max_upload_size must finish at MIN_CLIENT_UPLOAD_BPS. Every hop
 * uses HTTP_REQUEST_TIMEOUT_SECONDS; a test checks it covers every plan's
 * longest request, so a larger upload limit cannot silently outgrow it.
 */
export const SYNC_LONG_POLL_SECONDS = 30;
/** Slowest client upload speed supported: 1 Mbit/s (a weak mobile uplink). */
export const MIN_CLIENT_UPLOAD_BPS = 1_000_000;
/** Time Synapse may need after the body arrived (thumbnailing, the synchronous S3 write, antivirus). */
export const SERVER_PROCESSING_SECONDS = 60;
export const HTTP_REQUEST_TIMEOUT_SECONDS = 900;

/** Seconds the longest allowed request takes, for a plan's max_upload_size in bytes. */
export function longestRequestSeconds(maxUploadBytes: number): number {
    const upload = Math.ceil((maxUploadBytes * 8) / MIN_CLIENT_UPLOAD_BPS);
    return Math.max(SYNC_LONG_POLL_SECONDS, upload) + SERVER_PROCESSING_SECONDS;
}

/** maxSurge of every autoscaled Synapse Deployment: during a rollout at the HPA maximum, this many extra pods
 * per pool hold database connections, and the PostgreSQL role's connection limit leaves room for them. */
export const ROLLING_MAX_SURGE = ROLLING_SURGE_PODS;

/**
 * What a component exposes for the monitoring stack to scrape: its pods carry
 * `podLabels` in `namespace`, with a container port named `portName`
 * (number `port`) serving Prometheus text at `path`. The monitoring
 * component builds one PodMonitor per entry; the owning component must name
 * its container port exactly so (tests check both sides for the components
 * that exist).
 */
export interface ScrapeContract {
    readonly namespace: string;
    readonly podLabels: Readonly<Record<string, string>>;
    readonly portName: string;
    readonly port: number;
    readonly path: string;
    /** A Secret in `namespace` whose key holds the bearer token the endpoint requires (the PodMonitor's `authorization`); absent: no auth. */
    readonly bearerToken?: SecretKeyRef;
}

/**
 * Labels of the monitoring stack's Prometheus pods (namespace
 * NAMESPACES.monitoring), for NetworkPolicies that admit Prometheus and nothing
 * else of that namespace. The Prometheus operator v0.93 gives a Prometheus
 * CR's pods `app.kubernetes.io/name: prometheus` and `operator.prometheus.io/name:
 * <CR name>` (pkg/prometheus/server/statefulset.go); kube-prometheus-stack names
 * its CR `<fullname>-prometheus`, and components/monitoring/operator.ts sets
 * fullnameOverride "kps" (a test checks the two agree).
 */
export const PROMETHEUS_POD_LABELS = { "app.kubernetes.io/name": "prometheus", "operator.prometheus.io/name": "kps-prometheus" } as const;

/** Scrape contracts of the call and LI components (built by their own components). */
export const SCRAPE_CONTRACTS = {
    /** LiveKit's `prometheus.port`. */
    livekit: { namespace: NAMESPACES.calls, podLabels: { "app.kubernetes.io/name": "livekit" }, portName: "metrics", port: 6789, path: "/metrics" },
    /** coturn's `prometheus` listener (never with username labels: memory leak with REST usernames). */
    coturn: { namespace: NAMESPACES.calls, podLabels: { "app.kubernetes.io/name": "coturn" }, portName: "metrics", port: 9641, path: "/metrics" },
    /** The lawful-intercept sync job's own exporter. */
    liSync: { namespace: NAMESPACES.li, podLabels: { "app.kubernetes.io/name": "li-sync" }, portName: "metrics", port: 9102, path: "/metrics" },
    /** ClamAV's daemon is scraped through an exporter sidecar in the antivirus pods. */
    clamav: { namespace: NAMESPACES.matrix, podLabels: { "app.kubernetes.io/name": "clamav" }, portName: "metrics", port: 9906, path: "/metrics" },
    /**
     * MinIO's cluster metrics (v2), on its S3 port (MinIO has no separate metrics listener). Every server answers
     * with the same cluster-wide figures, so rules and dashboards take max(), never sum(), over the servers.
     * MINIO_PROMETHEUS_AUTH_TYPE=jwt: the request carries a JWT (HS512, iss "prometheus", sub = a MinIO user
     * whose only permission is admin:Prometheus), signed with that user's secret key, as `mc admin prometheus
     * generate` makes it. The data layer creates the user, and this Secret holding the token.
     */
    minio: {
        namespace: NAMESPACES.storage,
        podLabels: { "app.kubernetes.io/name": "minio" },
        portName: "s3",
        port: 9000,
        path: "/minio/v2/metrics/cluster",
        bearerToken: { name: "minio-prometheus-token", key: "token" },
    },
} as const satisfies Readonly<Record<string, ScrapeContract>>;

/**
 * Metric names the alert rules read from components that are not built yet;
 * each component must export them under these names.
 */
export const CONTRACT_METRICS = {
    /** Gauge, Unix seconds: end of the LI sync's last successful run. */
    liSyncLastSuccess: "matrix_li_sync_last_success_timestamp_seconds",
    /** Gauge, seconds: the LI sync's configured interval (so the alert needs no copy of it). */
    liSyncInterval: "matrix_li_sync_interval_seconds",
    /** Counter on Synapse's metrics listener (the antivirus module's check_media_file_for_spam): uploads rejected as infected. */
    infectedUploads: "matrix_antivirus_infected_uploads_total",
} as const;

/**
 * What the lawful-intercept instance's database sync publishes for the
 * monitoring stack (alert: last success older than two schedule intervals).
 * Served in the Prometheus text format by the `li-sync-metrics` Service in
 * the LI namespace, at `path` on `port`.
 */
export const LI_SYNC_METRICS = {
    service: "li-sync-metrics",
    port: 9102,
    path: "/metrics",
    /** Unix time of the end of the last sync that switched synapse-li to a fresh copy. */
    lastSuccessTimestamp: "matrix_li_sync_last_success_timestamp_seconds",
    /** Wall-clock seconds the last successful sync took (dump, restore, switch). */
    lastSuccessDuration: "matrix_li_sync_last_success_duration_seconds",
    /** Unix time of the end of the last sync attempt, successful or not. */
    lastRunTimestamp: "matrix_li_sync_last_run_timestamp_seconds",
    /** 1 when the last attempt succeeded, 0 when it failed (LI kept its previous copy). */
    lastRunSuccess: "matrix_li_sync_last_run_success",
    /** The configured schedule interval in seconds, so the alert needs no copy of the schedule. */
    intervalSeconds: "matrix_li_sync_interval_seconds",
} as const;

/** key_vault's Service in the LI namespace; the main Synapse processes forward key-storage requests here. */
export const KEY_VAULT_SERVICE = "key-vault";

/** clamd's TCP port (INSTREAM): the antivirus Service listens here, Synapse's scanner module connects here. */
export const CLAMD_PORT = 3310;

/**
 * What the lawful-intercept instance provides for its backups (components/li
 * must create exactly these): its PostgreSQL read-write Service, database and a
 * kubernetes.io/basic-auth Secret in matrix-li; key_vault's ReadWriteOnce claim,
 * its pod's labels (the backup pod joins that node) and the uid owning its files.
 */
export interface LiBackupSources {
    readonly database: { readonly service: string; readonly port: number; readonly database: string; readonly credentialsSecret: string };
    readonly keyVault: { readonly claim: string; readonly podLabels: Readonly<Record<string, string>>; readonly runAsUser: number };
}

export const LI_BACKUP_SOURCES: LiBackupSources = {
    database: { service: "li-db-rw", port: 5432, database: "synapse_li", credentialsSecret: "li-db-backup" },
    keyVault: { claim: "key-vault-data", podLabels: { "app.kubernetes.io/name": "key-vault" }, runAsUser: 10001 },
};
