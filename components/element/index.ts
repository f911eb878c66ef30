// Element Web: static files behind nginx, at least two replicas on different
// application servers, with the generated config.json.
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { EDGE_PROXY_NAMESPACE } from "../edge/objects";
import { createHash } from "node:crypto";
import { NAMESPACES, ROLE_LABEL, ROLE_VALUES } from "../contracts";
import { elementConfig, type ElementSettings } from "./config";

export const ELEMENT_NAME = "element-web";
export const ELEMENT_PORT = 8080;
const SELECTOR = { "app.kubernetes.io/name": ELEMENT_NAME };
/** UID of the `nginx` user in the element-web image. */
const NGINX_UID = 101;

export interface ElementArgs {
    readonly settings: ElementSettings;
    readonly image: string;
    readonly replicas: number;
    readonly namespace?: string;
}

export class ElementWeb extends pulumi.ComponentResource {
    public readonly serviceName = ELEMENT_NAME;
    public readonly port = ELEMENT_PORT;

    constructor(name: string, args: ElementArgs, opts?: pulumi.ComponentResourceOptions) {
        super("matrix:element:ElementWeb", name, {}, opts);
        if (args.replicas < 2) throw new Error(`element.replicas: ${args.replicas} is not allowed; Element Web needs at least 2 replicas for HA`);
        const ns = args.namespace ?? NAMESPACES.matrix;
        const child = { parent: this };
        const json = JSON.stringify(elementConfig(args.settings), null, 2);
        const checksum = createHash("sha256").update(json).digest("hex");
        new k8s.core.v1.ConfigMap(ELEMENT_NAME, { metadata: { name: ELEMENT_NAME, namespace: ns }, data: { "config.json": json } }, child);
        new k8s.apps.v1.Deployment(
            ELEMENT_NAME,
            {
                metadata: { name: ELEMENT_NAME, namespace: ns, labels: SELECTOR },
                spec: {
                    replicas: args.replicas,
                    selector: { matchLabels: SELECTOR },
                    template: {
                        metadata: { labels: SELECTOR, annotations: { "matrix-scale.io/config-checksum": checksum } },
                        spec: {
                            automountServiceAccountToken: false,
                            nodeSelector: { [ROLE_LABEL]: ROLE_VALUES.app },
                            affinity: {
                                podAntiAffinity: {
                                    preferredDuringSchedulingIgnoredDuringExecution: [
                                        { weight: 100, podAffinityTerm: { topologyKey: "kubernetes.io/hostname", labelSelector: { matchLabels: SELECTOR } } },
                                    ],
                                },
                            },
                            securityContext: { runAsNonRoot: true, runAsUser: NGINX_UID, runAsGroup: NGINX_UID, seccompProfile: { type: "RuntimeDefault" } },
                            containers: [
                                {
                                    name: "element-web",
                                    image: args.image,
                                    // An unprivileged port: the image renders its nginx config from this variable at start.
                                    env: [{ name: "ELEMENT_WEB_PORT", value: String(ELEMENT_PORT) }],
                                    ports: [{ name: "http", containerPort: ELEMENT_PORT }],
                                    readinessProbe: { httpGet: { path: "/config.json", port: "http" }, periodSeconds: 10 },
                                    livenessProbe: { httpGet: { path: "/config.json", port: "http" }, periodSeconds: 20, failureThreshold: 3, timeoutSeconds: 5 },
                                    resources: { requests: { cpu: "50m", memory: "64Mi" }, limits: { memory: "128Mi" } },
                                    // Read-only root: at start the image's entrypoint renders nginx's server block from its
                                    // template into /etc/nginx/conf.d and copies config.json to /tmp/element-web-config
                                    // (served from there); nginx-unprivileged keeps its pid and temp files in /tmp.
                                    securityContext: { allowPrivilegeEscalation: false, readOnlyRootFilesystem: true, capabilities: { drop: ["ALL"] } },
                                    volumeMounts: [
                                        { name: "config", mountPath: "/app/config.json", subPath: "config.json", readOnly: true },
                                        { name: "tmp", mountPath: "/tmp" },
                                        { name: "nginx-conf", mountPath: "/etc/nginx/conf.d" },
                                    ],
                                },
                            ],
                            volumes: [
                                { name: "config", configMap: { name: ELEMENT_NAME } },
                                { name: "tmp", emptyDir: { sizeLimit: "64Mi" } },
                                { name: "nginx-conf", emptyDir: { sizeLimit: "1Mi" } },
                            ],
                        },
                    },
                },
            },
            child,
        );
        new k8s.core.v1.Service(
            ELEMENT_NAME,
            { metadata: { name: ELEMENT_NAME, namespace: ns }, spec: { type: "ClusterIP", selector: SELECTOR, ports: [{ name: "http", port: ELEMENT_PORT, targetPort: "http" }] } },
            child,
        );
        new k8s.policy.v1.PodDisruptionBudget(ELEMENT_NAME, { metadata: { name: ELEMENT_NAME, namespace: ns }, spec: { minAvailable: 1, selector: { matchLabels: SELECTOR } } }, child);
        // Only the edge's proxies reach it (kubelet probes are not subject to NetworkPolicy).
        new k8s.networking.v1.NetworkPolicy(
            ELEMENT_NAME,
            {
                metadata: { name: ELEMENT_NAME, namespace: ns },
                spec: {
                    podSelector: { matchLabels: SELECTOR },
                    policyTypes: ["Ingress"],
                    ingress: [{ from: [{ namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": EDGE_PROXY_NAMESPACE } } }], ports: [{ port: ELEMENT_PORT }] }],
                },
            },
            child,
        );
        this.registerOutputs({ checksum });
    }
}
