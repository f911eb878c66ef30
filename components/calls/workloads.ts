// Kubernetes specs of the call servers' pods and lk-jwt-service. Pure: the
// component turns them into resources, tests read them directly.
import type * as k8s from "@pulumi/kubernetes";
import type * as pulumi from "@pulumi/pulumi";
import { dedicatedPod } from "../../sizing/plan";
import type { Plan } from "../../sizing/types";
import { CALL_HOST_PORTS, CALL_PORTS, ROLE_LABEL, ROLE_VALUES, SERVER_LABEL, type SecretKeyRef } from "../contracts";
import { LK_JWT_HEALTH_PATH, LK_JWT_PORT } from "./jwt";

type PodTemplate = { metadata: k8s.types.input.meta.v1.ObjectMeta; spec: k8s.types.input.core.v1.PodSpec };

export const NAMES = {
    livekitConfig: "livekit-config",
    livekitKeys: "livekit-keys",
    livekitService: "livekit",
    coturnConfig: "coturn-config",
    turnSecret: "turn-shared-secret",
    turnTls: "coturn-tls",
    lkJwt: "lk-jwt-service",
} as const;

/** Paths inside the call containers. */
export const CALL_PATHS = {
    livekitTemplate: "/etc/livekit/livekit.yaml",
    livekitScript: "/etc/livekit/start.sh",
    livekitRendered: "/run/livekit/livekit.yaml",
    livekitKeyFile: "/secrets/livekit/keys.yaml",
    livekitRedisPassword: "/secrets/redis/password",
    livekitBinary: "/livekit-server",
    coturnTemplate: "/etc/coturn/turnserver.conf",
    coturnScript: "/etc/coturn/start.sh",
    coturnRendered: "/run/coturn/turnserver.conf",
    coturnSecret: "/secrets/turn/secret",
    coturnCert: "/certs/tls.crt",
    coturnKey: "/certs/tls.key",
    coturnBinary: "/usr/bin/turnserver",
    jwtKey: "/secrets/livekit/api-key",
    jwtSecret: "/secrets/livekit/api-secret",
} as const;

export const livekitLabels = (instance: string) => ({ "app.kubernetes.io/name": "livekit", "app.kubernetes.io/instance": instance, "app.kubernetes.io/part-of": "matrix-calls" });
export const coturnLabels = (instance: string) => ({ "app.kubernetes.io/name": "coturn", "app.kubernetes.io/instance": instance, "app.kubernetes.io/part-of": "matrix-calls" });
export const LK_JWT_LABELS = { "app.kubernetes.io/name": NAMES.lkJwt, "app.kubernetes.io/part-of": "matrix-calls" };

const gib = (g: number) => `${Math.round(g * 1024)}Mi`;
const milli = (cpu: number) => `${Math.round(cpu * 1000)}m`;

/**
 * What one instance gets on its call server: the server less what the kubelet
 * and daemon sets keep (sizing's dedicatedPod), halved where LiveKit and coturn
 * share the server (guide §3.2, 100 CCU; the guide's per-instance sizes exceed
 * it, see the plan's errata). Memory limit = request; CPU is not limited, as a
 * throttled SFU or relay drops media.
 */
export function callResources(plan: Plan) {
    const server = dedicatedPod(plan.nodePools.calls);
    const share = plan.callsColocated ? 2 : 1;
    const cpu = Math.floor((server.cpu / share) * 4) / 4;
    const memory = gib(Math.floor(server.memoryGiB / share));
    return { requests: { cpu: milli(cpu), memory }, limits: { memory } };
}

const callsToleration = { key: ROLE_LABEL, operator: "Equal", value: ROLE_VALUES.calls, effect: "NoSchedule" };

const hostNetworkBase = (server: string) => ({
    hostNetwork: true,
    // Host-network pods still resolve cluster names (the Redis Sentinel Service).
    dnsPolicy: "ClusterFirstWithHostNet",
    nodeSelector: { [ROLE_LABEL]: ROLE_VALUES.calls, [SERVER_LABEL]: server },
    tolerations: [callsToleration],
    automountServiceAccountToken: false,
    enableServiceLinks: false,
    terminationGracePeriodSeconds: 30,
});

const hardened = { allowPrivilegeEscalation: false, readOnlyRootFilesystem: true, capabilities: { drop: ["ALL"] } };

export interface LivekitPodInputs {
    readonly image: string;
    readonly server: string;
    readonly instance: string;
    /** Public address advertised to clients; absent: discovered by STUN. */
    readonly address?: pulumi.Input<string>;
    readonly redisPassword: SecretKeyRef;
    readonly checksum: pulumi.Input<string>;
}

export const LIVEKIT_UID = 65532;
export const COTURN_UID = 65534;

export function livekitPod(plan: Plan, i: LivekitPodInputs): PodTemplate {
    return {
        metadata: { labels: livekitLabels(i.instance), annotations: { "matrix-scale.io/config-checksum": i.checksum } },
        spec: {
            ...hostNetworkBase(i.server),
            securityContext: { runAsNonRoot: true, runAsUser: LIVEKIT_UID, runAsGroup: LIVEKIT_UID, fsGroup: LIVEKIT_UID, seccompProfile: { type: "RuntimeDefault" } },
            containers: [
                {
                    name: "livekit",
                    image: i.image,
                    command: ["/bin/sh", CALL_PATHS.livekitScript],
                    env: i.address ? [{ name: "NODE_IP", value: i.address }] : [],
                    ports: [
                        { name: "signal", containerPort: CALL_HOST_PORTS.livekitSignal, protocol: "TCP" },
                        { name: "rtc-tcp", containerPort: CALL_PORTS.livekitTcp, protocol: "TCP" },
                        { name: "metrics", containerPort: CALL_HOST_PORTS.livekitMetrics, protocol: "TCP" },
                    ],
                    resources: callResources(plan),
                    readinessProbe: { httpGet: { path: "/", port: CALL_HOST_PORTS.livekitSignal }, periodSeconds: 10, failureThreshold: 3 },
                    livenessProbe: { httpGet: { path: "/", port: CALL_HOST_PORTS.livekitSignal }, periodSeconds: 20, failureThreshold: 6 },
                    securityContext: hardened,
                    volumeMounts: [
                        { name: "config", mountPath: "/etc/livekit", readOnly: true },
                        { name: "keys", mountPath: "/secrets/livekit", readOnly: true },
                        { name: "redis-password", mountPath: "/secrets/redis", readOnly: true },
                        { name: "run", mountPath: "/run/livekit" },
                    ],
                },
            ],
            volumes: [
                { name: "config", configMap: { name: NAMES.livekitConfig } },
                // LiveKit refuses a key file that others can read.
                { name: "keys", secret: { secretName: NAMES.livekitKeys, defaultMode: 0o440, items: [{ key: "keys.yaml", path: "keys.yaml" }] } },
                { name: "redis-password", secret: { secretName: i.redisPassword.name, defaultMode: 0o440, items: [{ key: i.redisPassword.key, path: "password" }] } },
                // The rendered config holds the Redis password: memory only.
                { name: "run", emptyDir: { medium: "Memory", sizeLimit: "1Mi" } },
            ],
        },
    };
}

export interface CoturnPodInputs {
    readonly image: string;
    readonly server: string;
    readonly instance: string;
    readonly address?: pulumi.Input<string>;
    readonly tlsSecret: string;
    readonly checksum: pulumi.Input<string>;
}

export function coturnPod(plan: Plan, i: CoturnPodInputs): PodTemplate {
    return {
        metadata: { labels: coturnLabels(i.instance), annotations: { "matrix-scale.io/config-checksum": i.checksum } },
        spec: {
            ...hostNetworkBase(i.server),
            securityContext: { runAsNonRoot: true, runAsUser: COTURN_UID, runAsGroup: COTURN_UID, fsGroup: COTURN_UID, seccompProfile: { type: "RuntimeDefault" } },
            containers: [
                {
                    name: "coturn",
                    image: i.image,
                    command: ["/bin/sh", CALL_PATHS.coturnScript],
                    env: [
                        // With host network the pod IP is the server's own address: coturn relays from it.
                        { name: "RELAY_IP", valueFrom: { fieldRef: { fieldPath: "status.podIP" } } },
                        ...(i.address ? [{ name: "PUBLIC_IP", value: i.address }] : []),
                    ],
                    ports: [
                        { name: "turn-udp", containerPort: CALL_PORTS.turn, protocol: "UDP" },
                        { name: "turn-tcp", containerPort: CALL_PORTS.turn, protocol: "TCP" },
                        { name: "turns", containerPort: CALL_PORTS.turnTls, protocol: "TCP" },
                        { name: "metrics", containerPort: CALL_HOST_PORTS.turnMetrics, protocol: "TCP" },
                    ],
                    resources: callResources(plan),
                    readinessProbe: { tcpSocket: { port: CALL_PORTS.turn }, periodSeconds: 10, failureThreshold: 3 },
                    livenessProbe: { tcpSocket: { port: CALL_PORTS.turn }, periodSeconds: 20, failureThreshold: 6 },
                    securityContext: hardened,
                    volumeMounts: [
                        { name: "config", mountPath: "/etc/coturn", readOnly: true },
                        { name: "secret", mountPath: "/secrets/turn", readOnly: true },
                        { name: "tls", mountPath: "/certs", readOnly: true },
                        { name: "run", mountPath: "/run/coturn" },
                    ],
                },
            ],
            volumes: [
                { name: "config", configMap: { name: NAMES.coturnConfig } },
                { name: "secret", secret: { secretName: NAMES.turnSecret, defaultMode: 0o440, items: [{ key: "secret", path: "secret" }] } },
                { name: "tls", secret: { secretName: i.tlsSecret, defaultMode: 0o440, items: [{ key: "tls.crt", path: "tls.crt" }, { key: "tls.key", path: "tls.key" }] } },
                { name: "run", emptyDir: { medium: "Memory", sizeLimit: "1Mi" } },
            ],
        },
    };
}

export function lkJwtPod(image: string, env: Record<string, string>): PodTemplate {
    return {
        metadata: { labels: LK_JWT_LABELS },
        spec: {
            nodeSelector: { [ROLE_LABEL]: ROLE_VALUES.app },
            automountServiceAccountToken: false,
            enableServiceLinks: false,
            affinity: {
                podAntiAffinity: {
                    preferredDuringSchedulingIgnoredDuringExecution: [{ weight: 100, podAffinityTerm: { topologyKey: "kubernetes.io/hostname", labelSelector: { matchLabels: LK_JWT_LABELS } } }],
                },
            },
            securityContext: { runAsNonRoot: true, runAsUser: LIVEKIT_UID, runAsGroup: LIVEKIT_UID, fsGroup: LIVEKIT_UID, seccompProfile: { type: "RuntimeDefault" } },
            containers: [
                {
                    name: "lk-jwt-service",
                    image,
                    env: Object.entries(env).map(([name, value]) => ({ name, value })),
                    ports: [{ name: "http", containerPort: LK_JWT_PORT }],
                    resources: { requests: { cpu: "50m", memory: "64Mi" }, limits: { memory: "256Mi" } },
                    readinessProbe: { httpGet: { path: LK_JWT_HEALTH_PATH, port: "http" }, periodSeconds: 10 },
                    livenessProbe: { httpGet: { path: LK_JWT_HEALTH_PATH, port: "http" }, periodSeconds: 20, failureThreshold: 6 },
                    securityContext: hardened,
                    volumeMounts: [{ name: "keys", mountPath: "/secrets/livekit", readOnly: true }],
                },
            ],
            volumes: [
                {
                    name: "keys",
                    secret: { secretName: NAMES.livekitKeys, defaultMode: 0o440, items: [{ key: "api-key", path: "api-key" }, { key: "api-secret", path: "api-secret" }] },
                },
            ],
        },
    };
}
