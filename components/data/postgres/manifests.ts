// The CloudNativePG objects for Synapse's database, as plain data. The
// component only wraps them in CustomResources; tests validate them against the
// CRD schemas and the PostgreSQL proof uses the same initdb and role settings.
import type { Plan } from "../../../sizing/types";
import { WORKER_RULES } from "../../../sizing/workers";
import type { WorkerType } from "../../../sizing/types";
import { ROLE_LABEL, ROLE_VALUES, ROLLING_MAX_SURGE } from "../../contracts";
import { selectCnpgParameters } from "./parameters";

export const CLUSTER_NAME = "synapse-db";
export const DATABASE = "synapse";
export const APP_ROLE = "synapse";
/** Read-only role for the lawful-intercept instance's database sync. */
export const LI_SYNC_ROLE = "li_sync";
export const APP_SECRET = "synapse-db-app";
export const LI_SYNC_SECRET = "synapse-db-li-sync";
export const BARMAN_PLUGIN = "barman-cloud.cloudnative-pg.io";
export const OBJECT_STORE_NAME = "synapse-db-backup";
/** CloudNativePG's Services: -rw always reaches the primary. */
export const PRIMARY_SERVICE = `${CLUSTER_NAME}-rw`;
/** CloudNativePG's Service over the hot standbys only (never the primary): the LI sync dumps from here. */
export const REPLICA_SERVICE = `${CLUSTER_NAME}-ro`;
/** Label CloudNativePG puts on every instance pod of the Cluster. */
export const INSTANCE_POD_LABELS = { "cnpg.io/cluster": CLUSTER_NAME } as const;
export const POSTGRES_PORT = 5432;

/** PostgreSQL 15: the same major as Debian 12's server the proofs run against. */
export const POSTGRES_IMAGE = "ghcr.io/cloudnative-pg/postgresql:15.17-standard-trixie";

/** Synapse refuses a database whose collation or ctype is not C, or whose encoding is not UTF8. */
export const INITDB = { database: DATABASE, owner: APP_ROLE, encoding: "UTF8", localeCollate: "C", localeCType: "C" } as const;

export interface PostgresInputs {
    readonly namespace: string;
    readonly storageClass: string;
    /** Floor (the storageFloorCcu tier's size): storage only ever grows (CloudNativePG resizes in place, never shrinks). */
    readonly minStorageGB?: number;
    /** Absent: no backups (the component warns). */
    readonly backup?: BackupTarget;
}

export interface BackupTarget {
    readonly endpointUrl: string; readonly bucket: string; readonly region: string; readonly credentialsSecret: string; readonly retention: string; readonly schedule: string;
}

export function storageGB(plan: Plan, minStorageGB?: number): number {
    return Math.max(plan.postgres.storageGB, minStorageGB ?? 0);
}

/**
 * Synchronous standbys: one acknowledgement from any standby before COMMIT
 * returns, so a failover never loses a committed transaction. "preferred"
 * keeps the primary writable when every standby is down (availability of the
 * chat service over strictness); quorum `any` so the fastest standby answers.
 */
export function synchronousReplication(instances: number) {
    return { method: "any", number: Math.min(1, instances - 1), dataDurability: "preferred" } as const;
}

export function clusterSpec(plan: Plan, i: PostgresInputs) {
    const db = ROLE_VALUES.database;
    return {
        apiVersion: "postgresql.cnpg.io/v1",
        kind: "Cluster",
        metadata: { name: CLUSTER_NAME, namespace: i.namespace },
        spec: {
            instances: plan.postgres.instances,
            imageName: POSTGRES_IMAGE,
            primaryUpdateStrategy: "unsupervised",
            postgresql: {
                parameters: selectCnpgParameters(plan.postgres.parameters).accepted,
                synchronous: synchronousReplication(plan.postgres.instances),
            },
            bootstrap: { initdb: { ...INITDB, secret: { name: APP_SECRET } } },
            enableSuperuserAccess: false,
            // The nvme class is local volumes on the database servers' own disks (docs/cluster.md): they grow
            // underneath the claim, and a claim on a class without expansion must never be patched larger.
            storage: { size: `${storageGB(plan, i.minStorageGB)}G`, storageClass: i.storageClass, resizeInUseVolumes: false },
            resources: {
                requests: { cpu: String(plan.postgres.pod.cpu), memory: `${plan.postgres.pod.memoryGiB}Gi` },
                limits: { memory: `${plan.postgres.pod.memoryGiB}Gi` },
            },
            affinity: {
                nodeSelector: { [ROLE_LABEL]: db },
                tolerations: [{ key: ROLE_LABEL, operator: "Equal", value: db, effect: "NoSchedule" }],
                // One instance per database server: losing a server loses at most one copy.
                enablePodAntiAffinity: true,
                podAntiAffinityType: "required",
                topologyKey: "kubernetes.io/hostname",
            },
            managed: {
                roles: [
                    {
                        // The owner created by initdb, managed so its pool ceiling is enforced by the server:
                        // Synapse can never take the slots kept for maintenance and administrators.
                        name: APP_ROLE,
                        ensure: "present",
                        login: true,
                        connectionLimit: appConnectionLimit(plan),
                        passwordSecret: { name: APP_SECRET },
                    },
                    {
                        name: LI_SYNC_ROLE,
                        ensure: "present",
                        login: true,
                        inherit: true,
                        // pg_read_all_data (PostgreSQL 14+): SELECT on everything, no writes.
                        inRoles: ["pg_read_all_data"],
                        connectionLimit: LI_SYNC_CONNECTION_LIMIT,
                        passwordSecret: { name: LI_SYNC_SECRET },
                    },
                ],
            },
            ...(i.backup ? { plugins: [{ name: BARMAN_PLUGIN, isWALArchiver: true, parameters: { barmanObjectName: OBJECT_STORE_NAME } }] } : {}),
        },
    };
}

/**
 * Synapse's role limit: every process at the HPA maxima, plus the surge pods of
 * a rolling update of each autoscaled pool (ROLLING_MAX_SURGE each, with its
 * cp_max). Tighter and the rollout's new pods fail to connect.
 */
export function appConnectionLimit(plan: Plan): number {
    const w = plan.synapse.workers;
    const surge = (Object.keys(w) as WorkerType[])
        .filter((t) => WORKER_RULES[t].autoscaled && w[t].count > 0)
        .reduce((a, t) => a + ROLLING_MAX_SURGE * w[t].cpMax, 0);
    return plan.postgres.connections.totalAtMaxReplicas + surge;
}

/** The LI sync copies in a few sessions; a cap keeps it out of Synapse's budget. Counted in the reserve. */
export const LI_SYNC_CONNECTION_LIMIT = 4;

export function objectStoreSpec(i: PostgresInputs & { backup: BackupTarget }) {
    return {
        apiVersion: "barmancloud.cnpg.io/v1",
        kind: "ObjectStore",
        metadata: { name: OBJECT_STORE_NAME, namespace: i.namespace },
        spec: {
            retentionPolicy: i.backup.retention,
            configuration: {
                destinationPath: `s3://${i.backup.bucket}/${CLUSTER_NAME}`,
                endpointURL: i.backup.endpointUrl,
                s3Credentials: {
                    accessKeyId: { name: i.backup.credentialsSecret, key: "ACCESS_KEY_ID" },
                    secretAccessKey: { name: i.backup.credentialsSecret, key: "ACCESS_SECRET_KEY" },
                },
                wal: { compression: "gzip", maxParallel: 4 },
                data: { compression: "gzip", jobs: 2 },
            },
        },
    };
}

export function scheduledBackupSpec(i: PostgresInputs & { backup: BackupTarget }) {
    return {
        apiVersion: "postgresql.cnpg.io/v1",
        kind: "ScheduledBackup",
        metadata: { name: `${CLUSTER_NAME}-daily`, namespace: i.namespace },
        spec: {
            schedule: i.backup.schedule,
            cluster: { name: CLUSTER_NAME },
            method: "plugin",
            pluginConfiguration: { name: BARMAN_PLUGIN },
            backupOwnerReference: "self",
            immediate: true,
        },
    };
}

/** Replaces the deprecated spec.monitoring.enablePodMonitor. */
export function podMonitorSpec(namespace: string) {
    return {
        apiVersion: "monitoring.coreos.com/v1",
        kind: "PodMonitor",
        metadata: { name: CLUSTER_NAME, namespace },
        spec: {
            selector: { matchLabels: { ...INSTANCE_POD_LABELS } },
            podMetricsEndpoints: [{ port: "metrics" }],
        },
    };
}

/** CloudNativePG's instance manager (status, used by the operator) and the metrics exporter. */
export const INSTANCE_STATUS_PORT = 8000;
export const METRICS_PORT = 9187;

/**
 * Who may open a connection to the database pods: Synapse's processes (and
 * their media cleanup sidecars), the other instances (streaming replication),
 * the operator (status and management), the LI instance's read-only sync, and
 * monitoring (metrics). Nothing else, whatever the namespace.
 */
export function postgresNetworkPolicy(i: { namespace: string; liNamespace: string; operatorNamespace: string; monitoringNamespace: string; clientPodLabels: Record<string, string> }) {
    const ns = (n: string) => ({ namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": n } } });
    const instances = { podSelector: { matchLabels: { "cnpg.io/cluster": CLUSTER_NAME } } };
    const tcp = (...ports: number[]) => ports.map((port) => ({ protocol: "TCP", port }));
    return {
        metadata: { name: CLUSTER_NAME, namespace: i.namespace },
        spec: {
            podSelector: { matchLabels: { "cnpg.io/cluster": CLUSTER_NAME } },
            policyTypes: ["Ingress"],
            ingress: [
                { from: [{ podSelector: { matchLabels: i.clientPodLabels } }, instances], ports: tcp(POSTGRES_PORT) },
                { from: [ns(i.liNamespace)], ports: tcp(POSTGRES_PORT) },
                { from: [ns(i.operatorNamespace)], ports: tcp(POSTGRES_PORT, INSTANCE_STATUS_PORT) },
                { from: [instances], ports: tcp(INSTANCE_STATUS_PORT) },
                { from: [ns(i.monitoringNamespace)], ports: tcp(METRICS_PORT) },
            ],
        },
    };
}
