// Names and shapes that several components agree on. A component that needs
// another's endpoint imports it from here, so a rename happens in one place.
import type * as pulumi from "@pulumi/pulumi";
import type { DiskType, NodeRole } from "../sizing/types";

/** Node label (and taint key) carrying a server's role. Our own prefix: the
 * NodeRestriction admission plugin rejects kubelet-set node-role.kubernetes.io/*. */
export const ROLE_LABEL = "matrix-scale.io/role";

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

/** Extra node label carrying a server's stable name (e.g. database-0), independent of the tier. */
export const SERVER_LABEL = "matrix-scale.io/server";

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
