// MinIO as plain StatefulSets, one per pool (the MinIO operator is unmaintained).
import { createHash } from "node:crypto";
import { ROLE_LABEL, ROLE_VALUES } from "../../contracts";
import { allAtOnceArgs } from "../../restarts";
import { restrictedContainer, restrictedPod } from "../security";
import type { MinioPool } from "./pools";
import { accessKeyId, policyName, type Consumer } from "./policies";

/** Last community release before the repository was archived (see design notes §3). */
export const MINIO_IMAGE = "quay.io/minio/minio:RELEASE.2025-09-07T16-13-09Z";
export const MINIO_PORT = 9000;
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
                                { name: "MINIO_PROMETHEUS_AUTH_TYPE", value: "jwt" },
                            ],
                            ports: [{ name: "s3", containerPort: MINIO_PORT }],
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
 * Creates the bucket and one user per consumer with its policy. Idempotent:
 * re-running (the Job is replaced when anything changes) converges.
 */
export function bootstrapScript(bucket: string, consumers: readonly Consumer[]): string {
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
