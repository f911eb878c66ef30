// Kubernetes object specs for the Synapse processes, built from the topology.
// Pure: no resource is created here (the component does that), so the specs
// can be checked directly. Names never depend on the tier: a pool's objects are
// named after its table entry, so a tier change updates them in place.
import type * as k8s from "@pulumi/kubernetes";
import type * as pulumi from "@pulumi/pulumi";
import { ROLE_LABEL, ROLE_VALUES, type SecretKeyRef } from "../contracts";
import { RESTART_LABEL, SHARDING_ANNOTATION } from "./restart";
import { CLEANUP_CONFIG_DIR, CLEANUP_CONFIG_MAP, CLEANUP_SCRIPT, CLEANUP_WORKDIR, cleanupProbes } from "./media-cache";
import { HTTP_PORT, METRICS_PORT, PATHS, POD_NAME_PLACEHOLDER, REPLICATION_PORT, workerFileKey } from "./ports";
import type { Pool } from "./topology";
import { MAIN } from "./worker-table";

type PodSpec = k8s.types.input.core.v1.PodSpec;
type Meta = k8s.types.input.meta.v1.ObjectMeta;

export const CONFIG_MAP = "synapse-config";
export const SECRETS = "synapse-secrets";
export const SIGNING_KEY_SECRET = "synapse-signing-key";
export const SERVICE_ACCOUNT = "synapse";
export const CHECKSUM_ANNOTATION = "matrix-scale.io/config-checksum";
export const SYNAPSE_UID = 991;

/** Labels every Synapse pod carries; `instance` tells the pools apart. */
export const podLabels = (pool: string) => ({
    "app.kubernetes.io/name": "synapse",
    "app.kubernetes.io/instance": pool,
    "app.kubernetes.io/part-of": "matrix",
});
/** Selects every Synapse pod of every pool (e.g. clamd's NetworkPolicy admits these). */
export const SYNAPSE_POD_LABELS = { "app.kubernetes.io/name": "synapse" } as const;
export const selectorLabels = (pool: string) => ({ "app.kubernetes.io/name": "synapse", "app.kubernetes.io/instance": pool });

export interface WorkloadInputs {
    readonly image: string;
    /** Checksum of everything but the sharding keys (restart.ts): a change rolls processes one at a time. */
    readonly checksum: pulumi.Input<string>;
    /** Checksum of the sharding keys: a change restarts every process together (restart.ts). Default: unchanged. */
    readonly shardingChecksum?: pulumi.Input<string>;
    readonly postgresPassword: SecretKeyRef;
    readonly redisPassword: SecretKeyRef;
    /** Secret with AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY, for the processes that run the media repository. */
    readonly mediaCredentialsSecret: string;
    /** sizeLimit of a media worker's local cache (media-cache.ts, from the plan's growth). */
    readonly mediaCacheGiB: number;
}

/** Requests and limits of the media cache cleanup sidecar (a Python script walking the cache once an hour). */
export const CLEANUP_RESOURCES = { requests: { cpu: "50m", memory: "128Mi" }, limits: { memory: "512Mi" } };

export interface ProcessSpec {
    readonly name: string;
    readonly kind: "StatefulSet" | "Deployment";
    readonly replicas: number;
    readonly hpa?: { readonly min: number; readonly max: number };
    readonly pod: { readonly metadata: Meta; readonly spec: PodSpec };
}

const gib = (g: number) => `${Math.round(g * 1024)}Mi`;
const milli = (cpu: number) => `${Math.round(cpu * 1000)}m`;

function command(kind: "main" | "named" | "pool", pool: string): { command: string[]; args?: string[] } {
    if (kind === "main") return { command: ["python", "-m", "synapse.app.homeserver", "--config-path", PATHS.homeserver] };
    if (kind === "named") {
        // Kubernetes expands $(POD_NAME): a StatefulSet pod reads the worker file named after itself.
        return {
            command: ["python", "-m", "synapse.app.generic_worker", "--config-path", PATHS.homeserver, "--config-path", `${PATHS.configDir}/${workerFileKey("$(POD_NAME)")}`],
        };
    }
    // Pods of an autoscaled pool have random names, and Synapse needs a unique worker_name:
    // render the pool's file with the pod's own name before starting.
    const src = `${PATHS.configDir}/${workerFileKey(pool)}`;
    return {
        command: ["/bin/sh", "-c"],
        args: [`set -e; sed "s/${POD_NAME_PLACEHOLDER}/$POD_NAME/" ${src} > ${PATHS.renderedWorker}; exec python -m synapse.app.generic_worker --config-path ${PATHS.homeserver} --config-path ${PATHS.renderedWorker}`],
    };
}

function podSpec(
    name: string,
    kind: "main" | "named" | "pool",
    size: { cpu: number; memoryGiB: number },
    opts: { replication: boolean; media: boolean },
    w: WorkloadInputs,
): { metadata: Meta; spec: PodSpec } {
    const env: k8s.types.input.core.v1.EnvVar[] = [
        { name: "POD_NAME", valueFrom: { fieldRef: { fieldPath: "metadata.name" } } },
        { name: "PGPASSWORD", valueFrom: { secretKeyRef: { name: w.postgresPassword.name, key: w.postgresPassword.key } } },
    ];
    const ports = [
        { name: "http", containerPort: HTTP_PORT },
        ...(opts.replication ? [{ name: "replication", containerPort: REPLICATION_PORT }] : []),
        { name: "metrics", containerPort: METRICS_PORT },
    ];
    const probe = (failureThreshold: number, periodSeconds: number) => ({
        httpGet: { path: "/health", port: "http" },
        periodSeconds,
        timeoutSeconds: 5,
        failureThreshold,
    });
    // Named processes (StatefulSets, OnDelete) carry the sharding checksum the reshard Job compares
    // with; autoscaled pools only roll on the rest (the Job stops them with everything else).
    const named = kind !== "pool";
    return {
        metadata: {
            labels: { ...podLabels(name), ...(named ? { [RESTART_LABEL]: "coordinated" } : {}) },
            annotations: { [CHECKSUM_ANNOTATION]: w.checksum, ...(named ? { [SHARDING_ANNOTATION]: w.shardingChecksum ?? "" } : {}) },
        },
        spec: {
            serviceAccountName: SERVICE_ACCOUNT,
            automountServiceAccountToken: false,
            nodeSelector: { [ROLE_LABEL]: ROLE_VALUES.app },
            affinity: {
                podAntiAffinity: {
                    // Spread each pool over the application servers; preferred, because a pool may have more pods than servers.
                    preferredDuringSchedulingIgnoredDuringExecution: [
                        { weight: 100, podAffinityTerm: { topologyKey: "kubernetes.io/hostname", labelSelector: { matchLabels: selectorLabels(name) } } },
                    ],
                },
            },
            securityContext: {
                runAsNonRoot: true,
                runAsUser: SYNAPSE_UID,
                runAsGroup: SYNAPSE_UID,
                fsGroup: SYNAPSE_UID,
                seccompProfile: { type: "RuntimeDefault" },
            },
            terminationGracePeriodSeconds: 60,
            containers: [
                {
                    name: "synapse",
                    image: w.image,
                    ...command(kind, name),
                    env,
                    ...(opts.media ? { envFrom: [{ secretRef: { name: w.mediaCredentialsSecret } }] } : {}),
                    ports,
                    resources: {
                        requests: { cpu: milli(size.cpu), memory: gib(size.memoryGiB) },
                        limits: { memory: gib(size.memoryGiB) },
                    },
                    readinessProbe: probe(3, 10),
                    livenessProbe: probe(6, 20),
                    // Main runs database migrations on start after an upgrade.
                    startupProbe: probe(kind === "main" ? 90 : 30, 10),
                    securityContext: {
                        allowPrivilegeEscalation: false,
                        readOnlyRootFilesystem: true,
                        capabilities: { drop: ["ALL"] },
                    },
                    volumeMounts: [
                        { name: "config", mountPath: PATHS.configDir, readOnly: true },
                        { name: "secrets", mountPath: PATHS.secretsDir, readOnly: true },
                        { name: "signing-key", mountPath: PATHS.signingKey.replace(/\/[^/]+$/, ""), readOnly: true },
                        { name: "redis-password", mountPath: PATHS.redisPassword.replace(/\/[^/]+$/, ""), readOnly: true },
                        { name: "tmp", mountPath: "/tmp" },
                        ...(opts.media ? [{ name: "media", mountPath: PATHS.mediaStore }] : []),
                    ],
                },
                ...(opts.media ? [cleanupSidecar(w)] : []),
            ],
            volumes: [
                { name: "config", configMap: { name: CONFIG_MAP } },
                { name: "secrets", secret: { secretName: SECRETS, defaultMode: 0o440 } },
                { name: "signing-key", secret: { secretName: SIGNING_KEY_SECRET, defaultMode: 0o440, items: [{ key: "signing.key", path: "signing.key" }] } },
                {
                    name: "redis-password",
                    secret: { secretName: w.redisPassword.name, defaultMode: 0o440, items: [{ key: w.redisPassword.key, path: "password" }] },
                },
                { name: "tmp", emptyDir: { sizeLimit: "256Mi" } },
                // Local copy only: every file is also written synchronously to object storage, and the
                // cleanup sidecar removes copies nobody read for a day.
                ...(opts.media ? [
                          { name: "media", emptyDir: { sizeLimit: `${w.mediaCacheGiB}Gi` } },
                          { name: "cleanup-work", emptyDir: { sizeLimit: "1Gi" } },
                          { name: "cleanup-config", configMap: { name: CLEANUP_CONFIG_MAP } },
                      ] : []),
            ],
        },
    };
}

/** Runs media-cleanup.sh next to a media worker: the same image (it ships s3_media_upload), the same cache volume. */
function cleanupSidecar(w: WorkloadInputs): k8s.types.input.core.v1.Container {
    return {
        name: "media-cache-cleanup",
        image: w.image,
        command: ["/bin/sh", `${CLEANUP_CONFIG_DIR}/${CLEANUP_SCRIPT}`],
        env: [{ name: "PGPASSWORD", valueFrom: { secretKeyRef: { name: w.postgresPassword.name, key: w.postgresPassword.key } } }],
        envFrom: [{ secretRef: { name: w.mediaCredentialsSecret } }],
        resources: CLEANUP_RESOURCES,
        ...cleanupProbes(),
        securityContext: { allowPrivilegeEscalation: false, readOnlyRootFilesystem: true, capabilities: { drop: ["ALL"] } },
        volumeMounts: [
            { name: "cleanup-config", mountPath: CLEANUP_CONFIG_DIR, readOnly: true },
            { name: "media", mountPath: PATHS.mediaStore },
            { name: "cleanup-work", mountPath: CLEANUP_WORKDIR },
        ],
    };
}

export function mainProcess(size: { cpu: number; memoryGiB: number }, w: WorkloadInputs): ProcessSpec {
    return {
        name: MAIN.name,
        kind: "StatefulSet",
        replicas: 1,
        pod: podSpec(MAIN.name, "main", size, { replication: true, media: false }, w),
    };
}

export function poolProcess(pool: Pool, w: WorkloadInputs): ProcessSpec {
    const d = pool.def;
    const pod = podSpec(
        d.name,
        d.scalable ? "pool" : "named",
        pool.size,
        { replication: d.streams.length > 0, media: d.type === "mediaRepository" },
        w,
    );
    return d.scalable
        ? { name: d.name, kind: "Deployment", replicas: pool.size.count, hpa: { min: pool.size.count, max: pool.size.maxReplicas }, pod }
        : { name: d.name, kind: "StatefulSet", replicas: pool.instances.length, pod };
}

/** HPA behaviour from guide §2.5: scale up by 2 pods a minute, down by 1 every 2 minutes after 5 quiet minutes. */
export const HPA_BEHAVIOR = {
    scaleUp: { stabilizationWindowSeconds: 60, policies: [{ type: "Pods", value: 2, periodSeconds: 60 }] },
    scaleDown: { stabilizationWindowSeconds: 300, policies: [{ type: "Pods", value: 1, periodSeconds: 120 }] },
};
export const HPA_CPU_UTILIZATION = 70;
