// Kubernetes objects for one Redis HA group (1 master + 2 replicas + 3
// Sentinels), as plain data. Secrets are referenced by name only; their values
// are set by the component from @pulumi/random.
import type { RedisGroup } from "../../../sizing/types";
import { ROLE_LABEL, ROLE_VALUES } from "../../contracts";
import { haproxyCfg, redisConf, sentinelConf } from "./config";
import { redisStartScript, sentinelStartScript } from "./scripts";
import { restrictedContainer, restrictedPod } from "../security";

/** Official image, same major.minor as Debian 12's redis-server the proof runs. */
export const REDIS_IMAGE = "redis:7.0.15";
/** Official image, same version as Debian 12's haproxy the proof runs. */
export const HAPROXY_IMAGE = "haproxy:2.6.12";
export const REDIS_PORT = 6379;
export const SENTINEL_PORT = 26379;
export const QUORUM = 2;
const AUTH_DIR = "/etc/redis-auth";

/**
 * Claim size per Redis pod. AOF holds the dataset plus a rewrite in progress
 * (up to twice the data) and the RDB preamble; RDB needs the snapshot and its
 * temporary successor.
 */
export function redisVolumeGiB(group: RedisGroup): number {
    return group.memoryGiB * (group.persistence === "aof" ? 3 : 2);
}

/**
 * What the StatefulSet's volumeClaimTemplate asks for. Constant on purpose:
 * templates are immutable (a change forces the StatefulSet to be replaced), so
 * the real, tier-sized claims are created beforehand under the names the
 * StatefulSet looks for, and are grown in place by updating the claim.
 */
export const TEMPLATE_CLAIM_SIZE = "1Gi";

export interface RedisGroupInputs {
    /** "synapse" or "livekit": also the Sentinel master name. */
    readonly group: string;
    readonly namespace: string;
    readonly plan: RedisGroup;
    readonly storageClass: string;
    /** Claim size per pod; at least redisVolumeGiB(plan), more when a storage floor keeps a bigger tier's size. */
    readonly volumeGiB: number;
    readonly downAfterMs: number;
    readonly failoverTimeoutMs: number;
    /** HAProxy in front of the master (for clients that cannot use Sentinel). */
    readonly haproxy?: { readonly replicas: number; readonly checkIntervalMs: number; readonly serviceName: string };
}

export function names(i: RedisGroupInputs) {
    const base = `redis-${i.group}`;
    return {
        base,
        nodes: `${base}-nodes`,
        sentinel: `${base}-sentinel`,
        sentinelHeadless: `${base}-sentinel-nodes`,
        config: `${base}-config`,
        auth: `${base}-auth`,
        haproxy: `${base}-haproxy`,
        claim: (ordinal: number) => `data-${base}-${ordinal}`,
        podHost: (ordinal: number) => `${base}-${ordinal}.${base}-nodes.${i.namespace}.svc.cluster.local`,
    };
}

const appPlacement = {
    nodeSelector: { [ROLE_LABEL]: ROLE_VALUES.app },
};

function antiAffinity(labels: Record<string, string>) {
    return {
        podAntiAffinity: {
            requiredDuringSchedulingIgnoredDuringExecution: [{ labelSelector: { matchLabels: labels }, topologyKey: "kubernetes.io/hostname" }],
        },
    };
}

const podFqdnEnv = (headless: string, namespace: string) => [
    { name: "POD_NAME", valueFrom: { fieldRef: { fieldPath: "metadata.name" } } },
    { name: "POD_FQDN", value: `$(POD_NAME).${headless}.${namespace}.svc.cluster.local` },
];

export function configData(i: RedisGroupInputs): Record<string, string> {
    const n = names(i);
    const scriptNames = {
        masterName: i.group,
        sentinelService: `${n.sentinel}.${i.namespace}.svc.cluster.local`,
        sentinelPort: SENTINEL_PORT,
        firstPodHost: n.podHost(0),
        redisPort: REDIS_PORT,
        quorum: QUORUM,
    };
    const data: Record<string, string> = {
        "redis.conf": redisConf(i.plan, { bind: "0.0.0.0", port: REDIS_PORT, dir: "/data", authFile: `${AUTH_DIR}/redis-auth.conf` }),
        "sentinel.conf": sentinelConf({
            masterName: i.group,
            bind: "0.0.0.0",
            port: SENTINEL_PORT,
            dir: "/data",
            initialMaster: { host: n.podHost(0), port: REDIS_PORT },
            quorum: QUORUM,
            downAfterMs: i.downAfterMs,
            failoverTimeoutMs: i.failoverTimeoutMs,
            hostnames: true,
        }),
        "start-redis.sh": redisStartScript(scriptNames),
        "start-sentinel.sh": sentinelStartScript(scriptNames),
    };
    if (i.haproxy) {
        data["haproxy.cfg"] = haproxyCfg({
            bind: "0.0.0.0",
            port: REDIS_PORT,
            healthPort: 8405,
            servers: [0, 1, 2].slice(0, i.plan.instances).map((o) => ({ name: `${n.base}-${o}`, host: n.podHost(o), port: REDIS_PORT })),
            checkIntervalMs: i.haproxy.checkIntervalMs,
            dnsResolvers: true,
            passwordEnv: "REDIS_PASSWORD",
        });
    }
    return data;
}

const passwordEnv = (secret: string) => ({ name: "REDIS_PASSWORD", valueFrom: { secretKeyRef: { name: secret, key: "password" } } });

export function redisStatefulSet(i: RedisGroupInputs) {
    const n = names(i);
    const labels = { "app.kubernetes.io/name": "redis", "app.kubernetes.io/instance": n.base, "app.kubernetes.io/component": "server" };
    const mem = `${i.plan.memoryGiB}Gi`;
    return {
        metadata: { name: n.base, namespace: i.namespace, labels },
        spec: {
            serviceName: n.nodes,
            replicas: i.plan.instances,
            podManagementPolicy: "Parallel",
            selector: { matchLabels: labels },
            template: {
                metadata: { labels },
                spec: {
                    ...appPlacement,
                    affinity: antiAffinity(labels),
                    terminationGracePeriodSeconds: 30,
                    automountServiceAccountToken: false,
                    securityContext: restrictedPod(999),
                    containers: [
                        {
                            name: "redis",
                            securityContext: restrictedContainer,
                            image: REDIS_IMAGE,
                            command: ["sh", "/etc/redis/start-redis.sh"],
                            env: [...podFqdnEnv(n.nodes, i.namespace), passwordEnv(n.auth)],
                            ports: [{ name: "redis", containerPort: REDIS_PORT }],
                            resources: { requests: { cpu: String(i.plan.cpu), memory: mem }, limits: { memory: mem } },
                            readinessProbe: { exec: { command: ["sh", "-c", 'REDISCLI_AUTH="$REDIS_PASSWORD" redis-cli ping | grep -q PONG'] }, periodSeconds: 5 },
                            livenessProbe: { tcpSocket: { port: REDIS_PORT }, initialDelaySeconds: 30, periodSeconds: 10 },
                            volumeMounts: [
                                { name: "data", mountPath: "/data" },
                                { name: "config", mountPath: "/etc/redis" },
                                { name: "auth", mountPath: AUTH_DIR, readOnly: true },
                            ],
                        },
                    ],
                    volumes: [
                        { name: "config", configMap: { name: n.config } },
                        { name: "auth", secret: { secretName: n.auth, defaultMode: 0o440 } },
                    ],
                },
            },
            volumeClaimTemplates: [
                {
                    metadata: { name: "data" },
                    spec: { accessModes: ["ReadWriteOnce"], storageClassName: i.storageClass, resources: { requests: { storage: TEMPLATE_CLAIM_SIZE } } },
                },
            ],
        },
    };
}

/** The real claims, one per pod, sized by the plan; only ever grown. */
export function redisClaims(i: RedisGroupInputs) {
    const n = names(i);
    return Array.from({ length: i.plan.instances }, (_, o) => ({
        metadata: {
            name: n.claim(o),
            namespace: i.namespace,
            // The class binds on first consumer: waiting for Bound here would wait for a pod that waits for us.
            annotations: { "pulumi.com/skipAwait": "true" },
            labels: { "app.kubernetes.io/instance": n.base },
        },
        spec: { accessModes: ["ReadWriteOnce"], storageClassName: i.storageClass, resources: { requests: { storage: `${i.volumeGiB}Gi` } } },
    }));
}

export function sentinelStatefulSet(i: RedisGroupInputs) {
    const n = names(i);
    const labels = { "app.kubernetes.io/name": "redis", "app.kubernetes.io/instance": n.base, "app.kubernetes.io/component": "sentinel" };
    return {
        metadata: { name: n.sentinel, namespace: i.namespace, labels },
        spec: {
            serviceName: n.sentinelHeadless,
            replicas: i.plan.sentinels,
            podManagementPolicy: "Parallel",
            selector: { matchLabels: labels },
            template: {
                metadata: { labels },
                spec: {
                    ...appPlacement,
                    affinity: antiAffinity(labels),
                    automountServiceAccountToken: false,
                    securityContext: restrictedPod(999),
                    containers: [
                        {
                            name: "sentinel",
                            securityContext: restrictedContainer,
                            image: REDIS_IMAGE,
                            command: ["sh", "/etc/redis/start-sentinel.sh"],
                            env: [...podFqdnEnv(n.sentinelHeadless, i.namespace), passwordEnv(n.auth)],
                            ports: [{ name: "sentinel", containerPort: SENTINEL_PORT }],
                            resources: { requests: { cpu: "100m", memory: "64Mi" }, limits: { memory: "128Mi" } },
                            readinessProbe: { tcpSocket: { port: SENTINEL_PORT }, periodSeconds: 5 },
                            // Sentinel itself answers (it has requirepass, the group's password), not only its socket.
                            livenessProbe: {
                                exec: { command: ["sh", "-c", `REDISCLI_AUTH="$REDIS_PASSWORD" redis-cli -p ${SENTINEL_PORT} ping | grep -q PONG`] },
                                initialDelaySeconds: 15,
                                periodSeconds: 10,
                                failureThreshold: 3,
                                timeoutSeconds: 5,
                            },
                            volumeMounts: [
                                { name: "work", mountPath: "/data" },
                                { name: "config", mountPath: "/etc/redis" },
                                { name: "auth", mountPath: AUTH_DIR, readOnly: true },
                            ],
                        },
                    ],
                    volumes: [
                        // Sentinel's state is rebuilt from its peers and the master at start.
                        { name: "work", emptyDir: {} },
                        { name: "config", configMap: { name: n.config } },
                        { name: "auth", secret: { secretName: n.auth, defaultMode: 0o440 } },
                    ],
                },
            },
        },
    };
}

export function haproxyDeployment(i: RedisGroupInputs) {
    if (!i.haproxy) throw new Error("haproxyDeployment needs haproxy inputs");
    const n = names(i);
    const labels = { "app.kubernetes.io/name": "haproxy", "app.kubernetes.io/instance": n.haproxy };
    return {
        metadata: { name: n.haproxy, namespace: i.namespace, labels },
        spec: {
            replicas: i.haproxy.replicas,
            selector: { matchLabels: labels },
            template: {
                metadata: { labels },
                spec: {
                    ...appPlacement,
                    affinity: antiAffinity(labels),
                    automountServiceAccountToken: false,
                    securityContext: restrictedPod(99),
                    containers: [
                        {
                            name: "haproxy",
                            securityContext: restrictedContainer,
                            image: HAPROXY_IMAGE,
                            args: ["-f", "/usr/local/etc/haproxy/haproxy.cfg"],
                            env: [passwordEnv(n.auth)],
                            ports: [
                                { name: "redis", containerPort: REDIS_PORT },
                                { name: "health", containerPort: 8405 },
                            ],
                            resources: { requests: { cpu: "100m", memory: "64Mi" }, limits: { memory: "256Mi" } },
                            readinessProbe: { httpGet: { path: "/healthz", port: 8405 }, periodSeconds: 5 },
                            livenessProbe: { httpGet: { path: "/healthz", port: 8405 }, periodSeconds: 10 },
                            volumeMounts: [{ name: "config", mountPath: "/usr/local/etc/haproxy/haproxy.cfg", subPath: "haproxy.cfg" }],
                        },
                    ],
                    volumes: [{ name: "config", configMap: { name: n.config } }],
                },
            },
        },
    };
}

export function services(i: RedisGroupInputs) {
    const n = names(i);
    const server = { "app.kubernetes.io/instance": n.base, "app.kubernetes.io/component": "server" };
    const sentinel = { "app.kubernetes.io/instance": n.base, "app.kubernetes.io/component": "sentinel" };
    const out = [
        // Stable per-pod DNS, also before readiness (replicas must find the master while syncing).
        { metadata: { name: n.nodes, namespace: i.namespace }, spec: { clusterIP: "None", publishNotReadyAddresses: true, selector: server, ports: [{ name: "redis", port: REDIS_PORT }] } },
        { metadata: { name: n.sentinelHeadless, namespace: i.namespace }, spec: { clusterIP: "None", publishNotReadyAddresses: true, selector: sentinel, ports: [{ name: "sentinel", port: SENTINEL_PORT }] } },
        { metadata: { name: n.sentinel, namespace: i.namespace }, spec: { selector: sentinel, ports: [{ name: "sentinel", port: SENTINEL_PORT }] } },
    ];
    if (i.haproxy) {
        out.push({
            metadata: { name: i.haproxy.serviceName, namespace: i.namespace },
            spec: { selector: { "app.kubernetes.io/name": "haproxy", "app.kubernetes.io/instance": n.haproxy } as never, ports: [{ name: "redis", port: REDIS_PORT }] },
        });
    }
    return out;
}
