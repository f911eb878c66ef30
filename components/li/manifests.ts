// Kubernetes object specs of the LI instance, as plain data (the component
// only wraps them in resources; tests read them directly). Every pod runs on
// the LI server only (role selector + toleration), as non-root with no
// capabilities; names never depend on the tier.
import { LI_ADMIN_HOST_PORT, LI_SYNC_METRICS, NAMESPACES, ROLE_LABEL, ROLE_VALUES } from "../contracts";
import { HTTP_PORT, METRICS_PORT, PATHS } from "../synapse/ports";
import { LI_DATABASES } from "./sync-script";
import { LI_PROXY_HEALTH_PORT, LI_PROXY_PATHS, LI_PROXY_PORT, proxyCommand } from "./proxy";

export const LI_NAMES = {
    postgres: "li-postgres",
    postgresSecret: "li-postgres",
    postgresSuperuserSecret: "li-postgres-superuser",
    postgresInit: "li-postgres-init",
    synapse: "synapse-li",
    synapseConfig: "synapse-li-config",
    synapseSecrets: "synapse-li-secrets",
    signingKey: "synapse-li-signing-key",
    element: "element-web-li",
    admin: "synapse-admin-li",
    keyVault: "key-vault",
    keyVaultData: "key-vault-data",
    sync: "li-db-sync",
    syncScripts: "li-db-sync-scripts",
    syncWork: "li-sync-work",
    syncState: "li-sync-state",
    metrics: LI_SYNC_METRICS.service,
    proxy: "li-proxy",
    proxyConfig: "li-proxy-config",
    proxyTls: "li-proxy-tls",
    accessLog: "li-access-log",
} as const;

/** LI PostgreSQL's application role: owns the LI databases, may create them and end synapse-li's sessions for the switch. */
export const LI_DB_ROLE = "synapse";
export const LI_POSTGRES_PORT = 5432;
export const WEB_PORT = 8080;
/** UIDs of the images' own unprivileged users. */
export const UIDS = { postgres: 999, synapse: 991, nginx: 101, haproxy: 99, keyVault: 10001 } as const;

/** The postgres image's init hook: the LI role and the live database, with the password from a mounted Secret (psql variable, never in a file). */
export function liRoleSql(): string {
    return `CREATE ROLE ${LI_DB_ROLE} LOGIN CREATEDB PASSWORD :'pw' IN ROLE pg_signal_backend;
CREATE DATABASE ${LI_DATABASES.live} OWNER ${LI_DB_ROLE} TEMPLATE template0 ENCODING 'UTF8' LC_COLLATE 'C' LC_CTYPE 'C';
`;
}

export function liPostgresInitScript(): string {
    return `#!/bin/sh
set -eu
psql -v ON_ERROR_STOP=1 --username "$POSTGRES_USER" --dbname postgres -v pw="$(cat /secrets/li/password)" -f /init/roles.sql
`;
}

export const placement = {
    nodeSelector: { [ROLE_LABEL]: ROLE_VALUES.li },
    tolerations: [{ key: ROLE_LABEL, operator: "Equal", value: ROLE_VALUES.li, effect: "NoSchedule" }],
};

export const podSecurity = (uid: number) => ({ runAsUser: uid, runAsGroup: uid, fsGroup: uid, runAsNonRoot: true, seccompProfile: { type: "RuntimeDefault" } });
export const containerSecurity = { allowPrivilegeEscalation: false, capabilities: { drop: ["ALL"] } };
/** For programs that write only to mounted volumes (each pod mounts an emptyDir wherever its program writes). */
export const readOnlyContainerSecurity = { ...containerSecurity, readOnlyRootFilesystem: true };

export const appLabels = (name: string) => ({ "app.kubernetes.io/name": name, "app.kubernetes.io/part-of": "matrix-li" });

const gib = (g: number) => `${Math.max(64, Math.round(g * 1024))}Mi`;
const milli = (c: number) => `${Math.max(10, Math.round(c * 1000))}m`;

export function claim(name: string, namespace: string, storageClass: string, sizeGB: number) {
    return {
        metadata: { name, namespace, labels: { "app.kubernetes.io/part-of": "matrix-li" }, annotations: { "pulumi.com/skipAwait": "true" } },
        spec: { accessModes: ["ReadWriteOnce"], storageClassName: storageClass, resources: { requests: { storage: `${sizeGB}G` } } },
    };
}

/** pg_isready on the local socket: 0 accepting, 1 rejecting (starting, recovering), 2 no answer. */
const PG_ANSWERS = ["sh", "-c", "pg_isready -q -h /var/run/postgresql -U postgres; [ $? -ne 2 ]"];

export function postgresStatefulSet(i: { image: string; cpu: number; memoryGiB: number; parameters: Readonly<Record<string, string>>; storageClass: string }) {
    const labels = appLabels(LI_NAMES.postgres);
    return {
        metadata: { name: LI_NAMES.postgres, namespace: NAMESPACES.li, labels },
        spec: {
            serviceName: LI_NAMES.postgres,
            replicas: 1,
            selector: { matchLabels: labels },
            template: {
                metadata: { labels },
                spec: {
                    ...placement,
                    automountServiceAccountToken: false,
                    securityContext: podSecurity(UIDS.postgres),
                    containers: [
                        {
                            name: "postgres",
                            image: i.image,
                            // Writes only PGDATA, its socket directory and /tmp (the entrypoint's scratch files).
                            securityContext: readOnlyContainerSecurity,
                            args: Object.entries(i.parameters).flatMap(([k, v]) => ["-c", `${k}=${v}`]),
                            env: [
                                { name: "POSTGRES_PASSWORD_FILE", value: "/secrets/superuser/password" },
                                { name: "POSTGRES_INITDB_ARGS", value: "--encoding=UTF8 --locale=C" },
                                { name: "PGDATA", value: "/var/lib/postgresql/data/pgdata" },
                            ],
                            ports: [{ name: "postgres", containerPort: LI_POSTGRES_PORT }],
                            readinessProbe: { exec: { command: ["pg_isready", "-h", "127.0.0.1", "-U", "postgres"] }, periodSeconds: 10 },
                            // Alive while the postmaster answers on its socket, also while it starts or recovers
                            // (pg_isready exits 1, "rejecting"); only no answer at all (2) restarts it. The startup
                            // probe covers initdb and the first start, when nothing answers yet.
                            startupProbe: { exec: { command: PG_ANSWERS }, periodSeconds: 10, failureThreshold: 60, timeoutSeconds: 5 },
                            livenessProbe: { exec: { command: PG_ANSWERS }, periodSeconds: 20, failureThreshold: 6, timeoutSeconds: 5 },
                            resources: { requests: { cpu: milli(i.cpu), memory: gib(i.memoryGiB) }, limits: { memory: gib(i.memoryGiB) } },
                            volumeMounts: [
                                { name: "data", mountPath: "/var/lib/postgresql/data" },
                                { name: "run", mountPath: "/var/run/postgresql" },
                                { name: "tmp", mountPath: "/tmp" },
                                { name: "superuser", mountPath: "/secrets/superuser", readOnly: true },
                                { name: "li-password", mountPath: "/secrets/li", readOnly: true },
                                { name: "init", mountPath: "/docker-entrypoint-initdb.d", readOnly: true },
                                { name: "init-sql", mountPath: "/init", readOnly: true },
                            ],
                        },
                    ],
                    volumes: [
                        { name: "run", emptyDir: {} },
                        { name: "tmp", emptyDir: { sizeLimit: "256Mi" } },
                        { name: "superuser", secret: { secretName: LI_NAMES.postgresSuperuserSecret } },
                        { name: "li-password", secret: { secretName: LI_NAMES.postgresSecret } },
                        { name: "init", configMap: { name: LI_NAMES.postgresInit, items: [{ key: "init.sh", path: "init.sh" }] } },
                        { name: "init-sql", configMap: { name: LI_NAMES.postgresInit, items: [{ key: "roles.sql", path: "roles.sql" }] } },
                    ],
                },
            },
            // The real claim (data-li-postgres-0, sized from the plan) is created beforehand and adopted; see the component.
            volumeClaimTemplates: [{ metadata: { name: "data" }, spec: { accessModes: ["ReadWriteOnce"], storageClassName: i.storageClass, resources: { requests: { storage: "1Gi" } } } }],
        },
    };
}

export function synapseDeployment(i: { image: string; cpu: number; memoryGiB: number; checksum: string; mediaCredentialsSecret: string }) {
    const labels = appLabels(LI_NAMES.synapse);
    return {
        metadata: { name: LI_NAMES.synapse, namespace: NAMESPACES.li, labels },
        spec: {
            replicas: 1,
            // One process on one database: never two at once.
            strategy: { type: "Recreate" },
            selector: { matchLabels: labels },
            template: {
                metadata: { labels, annotations: { "matrix-scale.io/config-checksum": i.checksum } },
                spec: {
                    ...placement,
                    automountServiceAccountToken: false,
                    securityContext: podSecurity(UIDS.synapse),
                    containers: [
                        {
                            name: "synapse",
                            image: i.image,
                            command: ["python", "-m", "synapse.app.homeserver", "--config-path", PATHS.homeserver],
                            // Like the main Synapse: media cache and /tmp are volumes, nothing else is written.
                            securityContext: readOnlyContainerSecurity,
                            env: [
                                { name: "PGPASSWORD", valueFrom: { secretKeyRef: { name: LI_NAMES.postgresSecret, key: "password" } } },
                                { name: "AWS_ACCESS_KEY_ID", valueFrom: { secretKeyRef: { name: i.mediaCredentialsSecret, key: "AWS_ACCESS_KEY_ID" } } },
                                { name: "AWS_SECRET_ACCESS_KEY", valueFrom: { secretKeyRef: { name: i.mediaCredentialsSecret, key: "AWS_SECRET_ACCESS_KEY" } } },
                            ],
                            ports: [{ name: "http", containerPort: HTTP_PORT }, { name: "metrics", containerPort: METRICS_PORT }],
                            readinessProbe: { httpGet: { path: "/health", port: "http" }, periodSeconds: 10 },
                            livenessProbe: { httpGet: { path: "/health", port: "http" }, periodSeconds: 30, initialDelaySeconds: 120, failureThreshold: 5 },
                            resources: { requests: { cpu: milli(i.cpu), memory: gib(i.memoryGiB) }, limits: { memory: gib(i.memoryGiB) } },
                            volumeMounts: [
                                { name: "config", mountPath: PATHS.configDir, readOnly: true },
                                { name: "secrets", mountPath: PATHS.secretsDir, readOnly: true },
                                { name: "signing", mountPath: PATHS.signingKey.replace(/\/[^/]+$/, ""), readOnly: true },
                                { name: "media", mountPath: PATHS.mediaStore },
                                { name: "tmp", mountPath: "/tmp" },
                            ],
                        },
                    ],
                    volumes: [
                        { name: "config", configMap: { name: LI_NAMES.synapseConfig } },
                        { name: "secrets", secret: { secretName: LI_NAMES.synapseSecrets } },
                        { name: "signing", secret: { secretName: LI_NAMES.signingKey } },
                        // Media fetched from the bucket is cached here only; LI never adds media.
                        { name: "media", emptyDir: { sizeLimit: "10Gi" } },
                        { name: "tmp", emptyDir: { sizeLimit: "256Mi" } },
                    ],
                },
            },
        },
    };
}

/**
 * A static web app on an unprivileged nginx; synapse-admin's files are copied out of its image first.
 * The root filesystem is read-only: nginx-unprivileged keeps its pid and temp files in /tmp, and the
 * Element Web image (`nginxTemplates`) also renders /etc/nginx/conf.d from its templates and copies
 * config.json to /tmp/element-web-config at start; those are emptyDirs.
 */
export function webDeployment(name: string, i: { image: string; checksum: string; copyFrom?: { image: string; path: string }; configMount: string; nginxTemplates?: boolean }) {
    const labels = appLabels(name);
    const site = "/usr/share/nginx/html";
    const check = { httpGet: { path: "/config.json", port: "http" } };
    return {
        metadata: { name, namespace: NAMESPACES.li, labels },
        spec: {
            replicas: 1,
            selector: { matchLabels: labels },
            template: {
                metadata: { labels, annotations: { "matrix-scale.io/config-checksum": i.checksum } },
                spec: {
                    ...placement,
                    automountServiceAccountToken: false,
                    securityContext: podSecurity(UIDS.nginx),
                    ...(i.copyFrom
                        ? {
                              initContainers: [
                                  {
                                      name: "copy-site",
                                      image: i.copyFrom.image,
                                      command: ["sh", "-c", `cp -R ${i.copyFrom.path}/. /site/`],
                                      securityContext: readOnlyContainerSecurity,
                                      resources: { requests: { cpu: "10m", memory: "16Mi" }, limits: { memory: "64Mi" } },
                                      volumeMounts: [{ name: "site", mountPath: "/site" }],
                                  },
                              ],
                          }
                        : {}),
                    containers: [
                        {
                            name: "web",
                            image: i.image,
                            securityContext: readOnlyContainerSecurity,
                            env: [{ name: "ELEMENT_WEB_PORT", value: String(WEB_PORT) }],
                            ports: [{ name: "http", containerPort: WEB_PORT }],
                            readinessProbe: { ...check, periodSeconds: 10 },
                            livenessProbe: { ...check, periodSeconds: 20, failureThreshold: 3, timeoutSeconds: 5 },
                            resources: { requests: { cpu: "50m", memory: "64Mi" }, limits: { memory: "128Mi" } },
                            volumeMounts: [
                                ...(i.copyFrom ? [{ name: "site", mountPath: site }] : []),
                                { name: "config", mountPath: i.configMount, subPath: "config.json", readOnly: true },
                                { name: "tmp", mountPath: "/tmp" },
                                ...(i.nginxTemplates ? [{ name: "nginx-conf", mountPath: "/etc/nginx/conf.d" }] : []),
                            ],
                        },
                    ],
                    volumes: [
                        ...(i.copyFrom ? [{ name: "site", emptyDir: {} }] : []),
                        { name: "config", configMap: { name } },
                        { name: "tmp", emptyDir: { sizeLimit: "64Mi" } },
                        ...(i.nginxTemplates ? [{ name: "nginx-conf", emptyDir: { sizeLimit: "1Mi" } }] : []),
                    ],
                },
            },
        },
    };
}

export function keyVaultDeployment(i: { image: string; port: number }) {
    const labels = appLabels(LI_NAMES.keyVault);
    return {
        metadata: { name: LI_NAMES.keyVault, namespace: NAMESPACES.li, labels },
        spec: {
            replicas: 1,
            strategy: { type: "Recreate" },
            selector: { matchLabels: labels },
            template: {
                metadata: { labels },
                spec: {
                    ...placement,
                    automountServiceAccountToken: false,
                    securityContext: podSecurity(UIDS.keyVault),
                    containers: [
                        {
                            name: "key-vault",
                            image: i.image,
                            securityContext: containerSecurity,
                            ports: [{ name: "http", containerPort: i.port }],
                            // The organisation's image: all the program knows of it is the port its HTTP API listens on.
                            readinessProbe: { tcpSocket: { port: "http" }, periodSeconds: 10 },
                            livenessProbe: { tcpSocket: { port: "http" }, initialDelaySeconds: 30, periodSeconds: 20, failureThreshold: 3, timeoutSeconds: 5 },
                            // A small key store; taken from the LI server's remainder next to the proxy and the web apps.
                            resources: { requests: { cpu: "100m", memory: "128Mi" }, limits: { memory: "512Mi" } },
                            volumeMounts: [{ name: "data", mountPath: "/data" }],
                        },
                    ],
                    volumes: [{ name: "data", persistentVolumeClaim: { claimName: LI_NAMES.keyVaultData } }],
                },
            },
        },
    };
}

export function metricsDeployment(i: { image: string; intervalSeconds: number }) {
    const labels = appLabels(LI_NAMES.metrics);
    return {
        metadata: { name: LI_NAMES.metrics, namespace: NAMESPACES.li, labels },
        spec: {
            replicas: 1,
            selector: { matchLabels: labels },
            template: {
                metadata: { labels },
                spec: {
                    ...placement,
                    automountServiceAccountToken: false,
                    securityContext: podSecurity(UIDS.synapse),
                    containers: [
                        {
                            name: "metrics",
                            image: i.image,
                            command: ["python", "/scripts/metrics_server.py"],
                            // Reads the state file and answers; writes nothing.
                            securityContext: readOnlyContainerSecurity,
                            env: [
                                { name: "METRICS_FILE", value: "/state/li_sync.prom" },
                                { name: "METRICS_PORT", value: String(LI_SYNC_METRICS.port) },
                                { name: "SYNC_INTERVAL_SECONDS", value: String(i.intervalSeconds) },
                            ],
                            ports: [{ name: "metrics", containerPort: LI_SYNC_METRICS.port }],
                            // The endpoint itself: 200 with the interval even before the first sync.
                            readinessProbe: { httpGet: { path: LI_SYNC_METRICS.path, port: "metrics" }, periodSeconds: 10 },
                            livenessProbe: { httpGet: { path: LI_SYNC_METRICS.path, port: "metrics" }, periodSeconds: 30, failureThreshold: 3, timeoutSeconds: 5 },
                            resources: { requests: { cpu: "10m", memory: "32Mi" }, limits: { memory: "64Mi" } },
                            volumeMounts: [
                                { name: "scripts", mountPath: "/scripts", readOnly: true },
                                { name: "state", mountPath: "/state", readOnly: true },
                            ],
                        },
                    ],
                    volumes: [
                        { name: "scripts", configMap: { name: LI_NAMES.syncScripts } },
                        { name: "state", persistentVolumeClaim: { claimName: LI_NAMES.syncState, readOnly: true } },
                    ],
                },
            },
        },
    };
}

export interface SyncCronJobInputs {
    readonly schedule: string;
    readonly maxSeconds: number;
    readonly postgresImage: string;
    readonly kubectlImage: string;
    readonly source: { readonly host: string; readonly port: number; readonly database: string; readonly user: string; readonly passwordSecret: { name: string; key: string } };
    readonly checksum: string;
}

/** The CronJob; `kubectl create job --from=cronjob/li-db-sync` runs the very same pod (docs/li.md). */
export function syncCronJob(i: SyncCronJobInputs) {
    const labels = appLabels(LI_NAMES.sync);
    return {
        metadata: { name: LI_NAMES.sync, namespace: NAMESPACES.li, labels },
        spec: {
            schedule: i.schedule,
            timeZone: "Etc/UTC",
            // A convenience only: the advisory lock in the script is what guarantees one sync at a time.
            concurrencyPolicy: "Forbid",
            startingDeadlineSeconds: 3600,
            successfulJobsHistoryLimit: 3,
            failedJobsHistoryLimit: 5,
            jobTemplate: {
                metadata: { labels },
                spec: {
                    // A failed sync is not retried blindly: the next scheduled run (or an operator) starts afresh.
                    backoffLimit: 0,
                    // The script bounds itself; the Job adds a margin for the restart step.
                    activeDeadlineSeconds: i.maxSeconds + 900,
                    ttlSecondsAfterFinished: 7 * 86400,
                    template: {
                        metadata: { labels, annotations: { "matrix-scale.io/config-checksum": i.checksum } },
                        spec: {
                            ...placement,
                            restartPolicy: "Never",
                            serviceAccountName: LI_NAMES.sync,
                            securityContext: podSecurity(UIDS.postgres),
                            initContainers: [
                                {
                                    name: "sync",
                                    image: i.postgresImage,
                                    command: ["bash", "/scripts/li-sync.sh"],
                                    // Writes the dump to /work, the metrics to /state, bash's here-documents to /tmp.
                                    securityContext: readOnlyContainerSecurity,
                                    // pg_dump/pg_restore/vacuumdb clients (parallel workers); the servers do the heavy work.
                                    resources: { requests: { cpu: "250m", memory: "256Mi" }, limits: { memory: "2Gi" } },
                                    env: [
                                        { name: "SOURCE_HOST", value: i.source.host },
                                        { name: "SOURCE_PORT", value: String(i.source.port) },
                                        { name: "SOURCE_DB", value: i.source.database },
                                        { name: "SOURCE_USER", value: i.source.user },
                                        { name: "SOURCE_PASSWORD_FILE", value: "/secrets/source/password" },
                                        { name: "LI_HOST", value: `${LI_NAMES.postgres}.${NAMESPACES.li}.svc.cluster.local` },
                                        { name: "LI_PORT", value: String(LI_POSTGRES_PORT) },
                                        { name: "LI_USER", value: LI_DB_ROLE },
                                        { name: "LI_PASSWORD_FILE", value: "/secrets/li/password" },
                                        { name: "WORK_DIR", value: "/work" },
                                        { name: "METRICS_FILE", value: "/state/li_sync.prom" },
                                    ],
                                    volumeMounts: [
                                        { name: "scripts", mountPath: "/scripts", readOnly: true },
                                        { name: "source", mountPath: "/secrets/source", readOnly: true },
                                        { name: "li", mountPath: "/secrets/li", readOnly: true },
                                        { name: "work", mountPath: "/work" },
                                        { name: "state", mountPath: "/state" },
                                        { name: "tmp", mountPath: "/tmp" },
                                    ],
                                },
                            ],
                            containers: [
                                {
                                    // Runs only after a successful switch: synapse-li restarts on the fresh copy (its caches were built on the old one).
                                    name: "restart-synapse-li",
                                    image: i.kubectlImage,
                                    command: ["kubectl", "-n", NAMESPACES.li, "rollout", "restart", `deployment/${LI_NAMES.synapse}`],
                                    // kubectl's discovery cache goes to $HOME/.kube, on the pod's /tmp.
                                    env: [{ name: "HOME", value: "/tmp" }],
                                    securityContext: readOnlyContainerSecurity,
                                    resources: { requests: { cpu: "10m", memory: "64Mi" }, limits: { memory: "256Mi" } },
                                    volumeMounts: [{ name: "tmp", mountPath: "/tmp" }],
                                },
                            ],
                            volumes: [
                                { name: "scripts", configMap: { name: LI_NAMES.syncScripts } },
                                { name: "source", secret: { secretName: i.source.passwordSecret.name, items: [{ key: i.source.passwordSecret.key, path: "password" }] } },
                                { name: "li", secret: { secretName: LI_NAMES.postgresSecret } },
                                { name: "work", persistentVolumeClaim: { claimName: LI_NAMES.syncWork } },
                                { name: "state", persistentVolumeClaim: { claimName: LI_NAMES.syncState } },
                                { name: "tmp", emptyDir: { sizeLimit: "256Mi" } },
                            ],
                        },
                    },
                },
            },
        },
    };
}

/** The sync's service account may restart synapse-li and nothing else. */
export function syncRbac() {
    return {
        role: {
            metadata: { name: LI_NAMES.sync, namespace: NAMESPACES.li },
            rules: [{ apiGroups: ["apps"], resources: ["deployments"], resourceNames: [LI_NAMES.synapse], verbs: ["get", "patch"] }],
        },
        binding: {
            metadata: { name: LI_NAMES.sync, namespace: NAMESPACES.li },
            roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "Role", name: LI_NAMES.sync },
            subjects: [{ kind: "ServiceAccount", name: LI_NAMES.sync, namespace: NAMESPACES.li }],
        },
    };
}

/** The access logger's check: its pipe exists and the log directory takes a write. */
const ACCESS_LOG_OK = ["sh", "-c", 'test -p "$FIFO" && touch "$LOG_DIR/.probe"'];

export function proxyDeployment(i: { image: string; checksum: string }) {
    const labels = appLabels(LI_NAMES.proxy);
    return {
        metadata: { name: LI_NAMES.proxy, namespace: NAMESPACES.liProxy, labels },
        spec: {
            replicas: 1,
            // The host port is taken until the old pod is gone.
            strategy: { type: "Recreate" },
            selector: { matchLabels: labels },
            template: {
                metadata: { labels, annotations: { "matrix-scale.io/config-checksum": i.checksum } },
                spec: {
                    ...placement,
                    automountServiceAccountToken: false,
                    securityContext: podSecurity(UIDS.haproxy),
                    containers: [
                        {
                            name: "haproxy",
                            image: i.image,
                            command: ["/bin/sh", "-c", proxyCommand()],
                            securityContext: { ...containerSecurity, readOnlyRootFilesystem: true },
                            // The only host port of the LI instance; the cluster admits it from the LI admin networks only.
                            ports: [
                                { name: "https", containerPort: LI_PROXY_PORT, hostPort: LI_ADMIN_HOST_PORT, protocol: "TCP" },
                                { name: "health", containerPort: LI_PROXY_HEALTH_PORT },
                            ],
                            readinessProbe: { httpGet: { path: "/", port: "health" }, periodSeconds: 10 },
                            livenessProbe: { httpGet: { path: "/", port: "health" }, periodSeconds: 20 },
                            resources: { requests: { cpu: "100m", memory: "64Mi" }, limits: { memory: "256Mi" } },
                            volumeMounts: [
                                { name: "config", mountPath: "/conf", readOnly: true },
                                { name: "tls", mountPath: "/tls", readOnly: true },
                                { name: "pipe", mountPath: LI_PROXY_PATHS.fifo.replace(/\/[^/]+$/, "") },
                            ],
                        },
                        {
                            name: "access-log",
                            image: i.image,
                            command: ["/bin/sh", "/conf/access-log.sh"],
                            securityContext: { ...containerSecurity, readOnlyRootFilesystem: true },
                            env: [
                                { name: "LOG_DIR", value: LI_PROXY_PATHS.logDir },
                                { name: "FIFO", value: LI_PROXY_PATHS.fifo },
                                { name: "RETENTION_DAYS", valueFrom: { configMapKeyRef: { name: LI_NAMES.proxyConfig, key: "retention-days" } } },
                            ],
                            resources: { requests: { cpu: "10m", memory: "16Mi" }, limits: { memory: "64Mi" } },
                            // The logger is PID 1 (mawk on the pipe); what it needs to work is the pipe HAProxy
                            // writes to and a log directory it can write. A full or read-only log volume restarts it.
                            readinessProbe: { exec: { command: ACCESS_LOG_OK }, periodSeconds: 10 },
                            livenessProbe: { exec: { command: ACCESS_LOG_OK }, periodSeconds: 30, failureThreshold: 3, timeoutSeconds: 5 },
                            volumeMounts: [
                                { name: "config", mountPath: "/conf", readOnly: true },
                                { name: "pipe", mountPath: LI_PROXY_PATHS.fifo.replace(/\/[^/]+$/, "") },
                                { name: "logs", mountPath: LI_PROXY_PATHS.logDir },
                            ],
                        },
                    ],
                    volumes: [
                        { name: "config", configMap: { name: LI_NAMES.proxyConfig } },
                        // HAProxy reads the key from <certificate>.key.
                        { name: "tls", secret: { secretName: LI_NAMES.proxyTls, items: [{ key: "tls.crt", path: "tls.pem" }, { key: "tls.key", path: "tls.pem.key" }] } },
                        { name: "pipe", emptyDir: { medium: "Memory", sizeLimit: "1Mi" } },
                        { name: "logs", persistentVolumeClaim: { claimName: LI_NAMES.accessLog } },
                    ],
                },
            },
        },
    };
}
