// MinIO as plain StatefulSets, one per pool (the MinIO operator is unmaintained).
import { createHash, createHmac } from "node:crypto";
import { NAMESPACES, PROMETHEUS_POD_LABELS, ROLE_LABEL, ROLE_VALUES, SCRAPE_CONTRACTS } from "../../contracts";
import { allAtOnceArgs } from "../../restarts";
import { restrictedContainer, restrictedPod } from "../security";
import type { MinioPool } from "./pools";
import { accessKeyId, policyName, type Consumer } from "./policies";

/** Last community release before the repository was archived (see design notes §3). */
export const MINIO_IMAGE = "quay.io/minio/minio:RELEASE.2025-09-07T16-13-09Z";
/** The S3 API port, which also serves the metrics (MinIO has no separate metrics listener): the scrape contract's port. */
export const MINIO_PORT = SCRAPE_CONTRACTS.minio.port;
/** The container port's name, which the PodMonitor names. */
export const MINIO_PORT_NAME = SCRAPE_CONTRACTS.minio.portName;
export const HEADLESS = "minio-nodes";
export const API_SERVICE = "minio";
export const ROOT_SECRET = "minio-root";
/** See redis/manifests.ts: the real claims are created beforehand and grown in place. */
export const TEMPLATE_CLAIM_SIZE = "1Gi";

export const consumerSecret = (consumer: Consumer) => `minio-consumer-${consumer}`;

const labels = (p: MinioPool) => ({ "app.kubernetes.io/name": "minio", "app.kubernetes.io/instance": "minio", "matrix-scale.io/minio-pool": p.name });

/** Every server is started with every pool, in ledger order (MinIO's expansion syntax). */
export function serverArgs(pools: readonly MinioPool[], namespace: string): string[] {
    return [
        "server",
        "--address",
        `:${MINIO_PORT}`,
        ...pools.map(
            (p) => `http://${p.name}-{0...${p.servers - 1}}.${HEADLESS}.${namespace}.svc.cluster.local/data{0...${p.drivesPerServer - 1}}`,
        ),
    ];
}

/** The pod annotation carrying the pool layout a server was started with (restarter.py compares it). */
export const POOLS_ANNOTATION = "matrix-scale.io/pools-checksum";
export const MINIO_APP = "minio";

/** Checksum of what every server must agree on: the pool list in its arguments. */
export const poolsChecksum = (pools: readonly MinioPool[], namespace: string) =>
    createHash("sha256").update(JSON.stringify(serverArgs(pools, namespace))).digest("hex");

/** One Job per pool layout: a new one (so a restart of every server together) exactly when a pool is added. */
export const restartJobName = (checksum: string) => `minio-restart-${checksum.slice(0, 12)}`;
export const restartArgs = (namespace: string, checksum: string) =>
    allAtOnceArgs(namespace, MINIO_APP, "app.kubernetes.io/name=minio", POOLS_ANNOTATION, checksum);

/** Requests and limits of the bootstrap Job (one mc client). */
export const BOOTSTRAP_RESOURCES = { requests: { cpu: "50m", memory: "64Mi" }, limits: { memory: "256Mi" } };

/** One MinIO server per storage server: it requests what the server leaves after the kubelet, OS and daemon sets. */
export function minioResources(server: { cpu: number; memoryGiB: number }) {
    return { requests: { cpu: String(server.cpu), memory: `${server.memoryGiB}Gi` }, limits: { memory: `${server.memoryGiB}Gi` } };
}

export function poolStatefulSet(p: MinioPool, pools: readonly MinioPool[], namespace: string, storageClass: string, parity: number, server: { cpu: number; memoryGiB: number } = { cpu: 1, memoryGiB: 2 }) {
    const l = labels(p);
    const storage = ROLE_VALUES.storage;
    return {
        metadata: { name: p.name, namespace, labels: l },
        spec: {
            serviceName: HEADLESS,
            replicas: p.servers,
            // All servers of a pool start together: MinIO waits for a quorum of drives before serving.
            podManagementPolicy: "Parallel",
            // A new pool changes every server's arguments, and MinIO needs all servers restarted together
            // with the new pool list (a rolling restart stalls: old and new servers disagree on the pools).
            // OnDelete: nothing rolls by itself; the restart Job (restartJobName) stops and starts them all together.
            updateStrategy: { type: "OnDelete" },
            selector: { matchLabels: l },
            template: {
                metadata: { labels: l, annotations: { [POOLS_ANNOTATION]: poolsChecksum(pools, namespace) } },
                spec: {
                    nodeSelector: { [ROLE_LABEL]: storage },
                    tolerations: [{ key: ROLE_LABEL, operator: "Equal", value: storage, effect: "NoSchedule" }],
                    affinity: {
                        podAntiAffinity: {
                            requiredDuringSchedulingIgnoredDuringExecution: [
                                // One MinIO server per storage server, across all pools.
                                { labelSelector: { matchLabels: { "app.kubernetes.io/name": "minio" } }, topologyKey: "kubernetes.io/hostname" },
                            ],
                        },
                    },
                    automountServiceAccountToken: false,
                    securityContext: restrictedPod(1000),
                    containers: [
                        {
                            name: "minio",
                            securityContext: restrictedContainer,
                            image: MINIO_IMAGE,
                            args: serverArgs(pools, namespace),
                            resources: minioResources(server),
                            env: [
                                { name: "MINIO_ROOT_USER", valueFrom: { secretKeyRef: { name: ROOT_SECRET, key: "user" } } },
                                { name: "MINIO_ROOT_PASSWORD", valueFrom: { secretKeyRef: { name: ROOT_SECRET, key: "password" } } },
                                { name: "MINIO_STORAGE_CLASS_STANDARD", value: `EC:${parity}` },
                                // Metrics need a bearer token (prometheusBearerToken): see METRICS_USER for why not `public`.
                                { name: "MINIO_PROMETHEUS_AUTH_TYPE", value: "jwt" },
                            ],
                            ports: [{ name: MINIO_PORT_NAME, containerPort: MINIO_PORT }],
                            readinessProbe: { httpGet: { path: "/minio/health/ready", port: MINIO_PORT }, periodSeconds: 10 },
                            livenessProbe: { httpGet: { path: "/minio/health/live", port: MINIO_PORT }, periodSeconds: 20, initialDelaySeconds: 30 },
                            volumeMounts: Array.from({ length: p.drivesPerServer }, (_, d) => ({ name: `data${d}`, mountPath: `/data${d}` })),
                        },
                    ],
                },
            },
            volumeClaimTemplates: Array.from({ length: p.drivesPerServer }, (_, d) => ({
                metadata: { name: `data${d}` },
                spec: { accessModes: ["ReadWriteOnce"], storageClassName: storageClass, resources: { requests: { storage: TEMPLATE_CLAIM_SIZE } } },
            })),
        },
    };
}

/** The real drive claims: <template>-<statefulset>-<ordinal>, the names the StatefulSet adopts. */
export function poolClaims(p: MinioPool, namespace: string, storageClass: string) {
    const out = [];
    for (let s = 0; s < p.servers; s++) {
        for (let d = 0; d < p.drivesPerServer; d++) {
            out.push({
                metadata: {
                    name: `data${d}-${p.name}-${s}`,
                    namespace,
                    annotations: { "pulumi.com/skipAwait": "true" },
                    labels: labels(p),
                },
                spec: { accessModes: ["ReadWriteOnce"], storageClassName: storageClass, resources: { requests: { storage: `${p.driveGB}G` } } },
            });
        }
    }
    return out;
}

/**
 * Prometheus' access to MinIO's metrics. Not `public` auth behind a
 * NetworkPolicy: the metrics share the S3 port, and a NetworkPolicy admits by
 * port, not by path, so Synapse, the LI instance and the mirror (S3 clients,
 * admitted to that port) would read them unauthenticated too. Instead a MinIO
 * user whose only permission is admin:Prometheus (no S3 action, no other admin
 * action), and a JWT for it (what `mc admin prometheus generate` makes: HS512,
 * iss "prometheus", sub the access key, signed with its secret key), which the
 * data layer keeps only in the Secret the PodMonitor's `authorization` names.
 * The root credentials never leave MinIO's own Secret. The NetworkPolicy
 * (metricsNetworkPolicy) still admits only the Prometheus pods from the
 * monitoring namespace.
 */
export const METRICS_USER = "prometheus-metrics";
export const METRICS_POLICY = "prometheus-metrics";
/** Secret (storage namespace) with the metrics user's secret key, for the bootstrap Job. */
export const METRICS_KEY_SECRET = "minio-metrics-key";
/** Env var of the bootstrap Job carrying that key. */
export const METRICS_KEY_ENV = "METRICS_SECRET_KEY";
/** A fixed expiry (2100-01-01T00:00:00Z; mc uses 100 years from now): the token, and so its Secret, only changes with the key. */
export const METRICS_TOKEN_EXPIRY = 4102444800;

/** MinIO's policy for that user (admin actions take no Resource: MinIO refuses one, as its built-in consoleAdmin shows). */
export function metricsPolicy() {
    return { Version: "2012-10-17", Statement: [{ Effect: "Allow", Action: ["admin:Prometheus"] }] };
}

const b64url = (b: Buffer | string) => Buffer.from(b).toString("base64url");

/** The bearer token MinIO accepts on its metrics paths for `accessKey` (as `mc admin prometheus generate`). */
export function prometheusBearerToken(accessKey: string, secretKey: string, expiresAt = METRICS_TOKEN_EXPIRY): string {
    const head = `${b64url(JSON.stringify({ alg: "HS512", typ: "JWT" }))}.${b64url(JSON.stringify({ exp: expiresAt, sub: accessKey, iss: "prometheus" }))}`;
    return `${head}.${b64url(createHmac("sha512", secretKey).update(head).digest())}`;
}

/**
 * Only the monitoring namespace's Prometheus pods may reach the metrics, on the
 * S3 port (the S3 clients' own policy is minio-ingress; policies add up).
 */
export function metricsNetworkPolicy(namespace: string) {
    return {
        metadata: { name: "minio-metrics", namespace },
        spec: {
            podSelector: { matchLabels: { ...SCRAPE_CONTRACTS.minio.podLabels } },
            policyTypes: ["Ingress"],
            ingress: [
                {
                    from: [{ namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": NAMESPACES.monitoring } }, podSelector: { matchLabels: { ...PROMETHEUS_POD_LABELS } } }],
                    ports: [{ protocol: "TCP", port: MINIO_PORT }],
                },
            ],
        },
    };
}

/**
 * Creates the bucket and one user per consumer with its policy, and with
 * `metrics` Prometheus' user (METRICS_USER, key in $METRICS_SECRET_KEY). Idempotent:
 * re-running (the Job is replaced when anything changes) converges.
 */
export function bootstrapScript(bucket: string, consumers: readonly Consumer[], metrics = false): string {
    const lines = [
        "#!/bin/sh",
        "set -eu",
        ': "${MINIO_ROOT_USER:?}" "${MINIO_ROOT_PASSWORD:?}"',
        "export HOME=/tmp",
        "i=0",
        `until mc alias set local "http://${API_SERVICE}:${MINIO_PORT}" "$MINIO_ROOT_USER" "$MINIO_ROOT_PASSWORD" >/dev/null 2>&1; do`,
        '  i=$((i + 1)); [ "$i" -lt 60 ] || { echo "MinIO not reachable" >&2; exit 1; }; sleep 5',
        "done",
        `mc mb --ignore-existing "local/${bucket}"`,
    ];
    for (const c of consumers) {
        const env = `${c.toUpperCase()}_SECRET_KEY`;
        lines.push(
            `mc admin policy create local ${policyName(c)} /policies/${policyName(c)}.json`,
            `mc admin user add local ${accessKeyId(c)} "$${env}"`,
            `mc admin policy attach local ${policyName(c)} --user ${accessKeyId(c)} >/dev/null 2>&1 || mc admin user info local ${accessKeyId(c)} | grep -q ${policyName(c)}`,
        );
    }
    if (metrics) {
        // Prometheus' user: admin:Prometheus only (its token is made from the same key by the data layer).
        lines.push(
            `mc admin policy create local ${METRICS_POLICY} /policies/${METRICS_POLICY}.json`,
            `mc admin user add local ${METRICS_USER} "$${METRICS_KEY_ENV}"`,
            `mc admin policy attach local ${METRICS_POLICY} --user ${METRICS_USER} >/dev/null 2>&1 || mc admin user info local ${METRICS_USER} | grep -q ${METRICS_POLICY}`,
        );
    }
    lines.push("");
    return lines.join("\n");
}

/** When a deployed store gets a new pool: what the update will do about it (shown by `pulumi preview`), else undefined. */
export function poolRestartNotice(deployedPools: number, planned: readonly MinioPool[], namespace: string): string | undefined {
    if (deployedPools === 0 || planned.length <= deployedPools) return undefined;
    return (
        `MinIO: ${planned.length - deployedPools} pool(s) added to ${deployedPools}; every server must restart together with the new pool list ` +
        `(a rolling restart stalls), so the Job ${restartJobName(poolsChecksum(planned, namespace))} stops them all and starts them again ` +
        `once the new pool's servers exist: the object store is unavailable meanwhile (about a minute), uploads and downloads fail and clients retry`
    );
}
