// The Synapse router: HAProxy running the generated haproxy.cfg, at least two
// replicas on different application servers, behind one ClusterIP Service that
// exposes only the client/federation port.
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { EDGE_PROXY_NAMESPACE } from "../edge/objects";
import { createHash } from "node:crypto";
import { NAMESPACES, ROLE_LABEL, ROLE_VALUES } from "../contracts";
import type { Topology } from "../synapse/topology";
import { haproxyConfig, ROUTER_HEALTH_PORT, ROUTER_METRICS_PORT, ROUTER_PORT, type RouterSettings } from "./haproxy";

export const ROUTER_NAME = "synapse-router";
export const ROUTER_POD_LABELS = { "app.kubernetes.io/name": ROUTER_NAME, "app.kubernetes.io/part-of": "matrix" } as const;
const SELECTOR = { "app.kubernetes.io/name": ROUTER_NAME };
/** UID of the `haproxy` user in the official image. */
const HAPROXY_UID = 99;

export interface RouterArgs {
    readonly topology: Topology;
    readonly settings: Omit<RouterSettings, "staticServers" | "bindAddress" | "port" | "healthPort" | "metricsPort">;
    readonly image: string;
    readonly replicas: number;
}

export class Router extends pulumi.ComponentResource {
    /** In-cluster address the edge sends Matrix traffic to. */
    public readonly serviceName: string = ROUTER_NAME;
    public readonly port: number = ROUTER_PORT;

    constructor(name: string, args: RouterArgs, opts?: pulumi.ComponentResourceOptions) {
        super("matrix:router:Router", name, {}, opts);
        if (args.replicas < 2) throw new Error(`router.replicas: ${args.replicas} is not allowed; the router needs at least 2 replicas for HA`);
        const ns = args.topology.namespace;
        const child = { parent: this };
        const cfg = haproxyConfig(args.topology, args.settings);
        const checksum = createHash("sha256").update(cfg).digest("hex");

        new k8s.core.v1.ConfigMap(ROUTER_NAME, { metadata: { name: ROUTER_NAME, namespace: ns }, data: { "haproxy.cfg": cfg } }, child);
        new k8s.apps.v1.Deployment(
            ROUTER_NAME,
            {
                metadata: { name: ROUTER_NAME, namespace: ns, labels: ROUTER_POD_LABELS },
                spec: {
                    replicas: args.replicas,
                    selector: { matchLabels: SELECTOR },
                    // maxSurge 0 keeps a rollout possible when every app server already runs one router.
                    strategy: { type: "RollingUpdate", rollingUpdate: { maxUnavailable: 1, maxSurge: 0 } },
                    template: {
                        metadata: { labels: ROUTER_POD_LABELS, annotations: { "matrix-scale.io/config-checksum": checksum } },
                        spec: {
                            automountServiceAccountToken: false,
                            nodeSelector: { [ROLE_LABEL]: ROLE_VALUES.app },
                            affinity: {
                                podAntiAffinity: {
                                    requiredDuringSchedulingIgnoredDuringExecution: [{ topologyKey: "kubernetes.io/hostname", labelSelector: { matchLabels: SELECTOR } }],
                                },
                            },
                            securityContext: { runAsNonRoot: true, runAsUser: HAPROXY_UID, runAsGroup: HAPROXY_UID, seccompProfile: { type: "RuntimeDefault" } },
                            containers: [
                                {
                                    name: "haproxy",
                                    image: args.image,
                                    command: ["haproxy", "-W", "-db", "-f", "/usr/local/etc/haproxy/haproxy.cfg"],
                                    ports: [
                                        { name: "http", containerPort: ROUTER_PORT },
                                        { name: "health", containerPort: ROUTER_HEALTH_PORT },
                                        { name: "metrics", containerPort: ROUTER_METRICS_PORT },
                                    ],
                                    readinessProbe: { httpGet: { path: "/", port: "health" }, periodSeconds: 5 },
                                    livenessProbe: { httpGet: { path: "/", port: "health" }, periodSeconds: 10, failureThreshold: 6 },
                                    resources: { requests: { cpu: "500m", memory: "256Mi" }, limits: { memory: "512Mi" } },
                                    securityContext: { allowPrivilegeEscalation: false, readOnlyRootFilesystem: true, capabilities: { drop: ["ALL"] } },
                                    volumeMounts: [{ name: "config", mountPath: "/usr/local/etc/haproxy", readOnly: true }],
                                },
                            ],
                            volumes: [{ name: "config", configMap: { name: ROUTER_NAME } }],
                        },
                    },
                },
            },
            child,
        );
        // Only the Matrix port: never the health frontend, and Synapse's replication and metrics ports are not routed at all.
        new k8s.core.v1.Service(
            ROUTER_NAME,
            {
                metadata: { name: ROUTER_NAME, namespace: ns, labels: ROUTER_POD_LABELS },
                spec: { type: "ClusterIP", selector: SELECTOR, ports: [{ name: "http", port: ROUTER_PORT, targetPort: "http" }] },
            },
            child,
        );
        new k8s.policy.v1.PodDisruptionBudget(
            ROUTER_NAME,
            { metadata: { name: ROUTER_NAME, namespace: ns }, spec: { minAvailable: 1, selector: { matchLabels: SELECTOR } } },
            child,
        );
        // Only the edge's proxies reach it, and Prometheus its metrics (kubelet probes are not subject to NetworkPolicy).
        new k8s.networking.v1.NetworkPolicy(
            ROUTER_NAME,
            {
                metadata: { name: ROUTER_NAME, namespace: ns },
                spec: {
                    podSelector: { matchLabels: SELECTOR },
                    policyTypes: ["Ingress"],
                    ingress: [
                        { from: [{ namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": EDGE_PROXY_NAMESPACE } } }], ports: [{ port: ROUTER_PORT }] },
                        { from: [{ namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": NAMESPACES.monitoring } } }], ports: [{ port: ROUTER_METRICS_PORT }] },
                    ],
                },
            },
            child,
        );
        this.registerOutputs({ checksum });
    }
}
