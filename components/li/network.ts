// NetworkPolicies of the LI instance: deny everything in both LI namespaces,
// then allow exactly the conversations the instance needs. synapse-li talks to
// its database and the object store only; key_vault is reached by the main
// Synapse processes and the LI proxy only; the proxy accepts the LI admin
// networks only.
import { KEY_VAULT_SERVICE, LI_SYNC_METRICS, NAMESPACES } from "../contracts";
import { HTTP_PORT, METRICS_PORT } from "../synapse/ports";
import { appLabels, LI_NAMES, LI_POSTGRES_PORT, WEB_PORT } from "./manifests";
import { LI_PROXY_PORT } from "./proxy";

type Peer = Record<string, unknown>;
const ns = (name: string) => ({ namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": name } } });
const pods = (name: string) => ({ podSelector: { matchLabels: { "app.kubernetes.io/name": name } } });
const podsIn = (namespace: string, labels: Readonly<Record<string, string>>) => ({ ...ns(namespace), podSelector: { matchLabels: { ...labels } } });
const tcp = (...ports: number[]) => ports.map((port) => ({ protocol: "TCP", port }));
const dns = { to: [ns("kube-system")], ports: [{ protocol: "UDP", port: 53 }, { protocol: "TCP", port: 53 }] };

export interface LiNetworkInputs {
    readonly keyVaultPort?: number;
    readonly allowedCidrs: readonly string[];
    /** Main cluster's PostgreSQL pods (namespace matrix). */
    readonly mainPostgresPodLabels: Readonly<Record<string, string>>;
    readonly mainPostgresPort: number;
    /** MinIO's pods, or absent for AWS S3 (reached over HTTPS outside the cluster). */
    readonly objectStore?: { readonly namespace: string; readonly podLabels: Readonly<Record<string, string>>; readonly port: number };
    /** Where the Kubernetes API is, for the sync's restart step (the VPC with provider aws; anywhere otherwise). */
    readonly apiServerCidr: string;
}

export interface PolicySpec {
    readonly metadata: { readonly name: string; readonly namespace: string };
    readonly spec: { podSelector: Peer; policyTypes: string[]; ingress?: Peer[]; egress?: Peer[] };
}

const policy = (name: string, namespace: string, podName: string | undefined, rules: { ingress?: Peer[]; egress?: Peer[] }): PolicySpec => ({
    metadata: { name, namespace },
    spec: {
        podSelector: podName ? { matchLabels: { "app.kubernetes.io/name": podName } } : {},
        policyTypes: [...(rules.ingress ? ["Ingress"] : []), ...(rules.egress ? ["Egress"] : [])],
        ...(rules.ingress ? { ingress: rules.ingress } : {}),
        ...(rules.egress ? { egress: rules.egress } : {}),
    },
});

const PRIVATE = ["10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "169.254.0.0/16", "100.64.0.0/10"];

export function liNetworkPolicies(i: LiNetworkInputs): PolicySpec[] {
    const li = NAMESPACES.li;
    const proxyNs = NAMESPACES.liProxy;
    const fromProxy = { ...ns(proxyNs), podSelector: { matchLabels: { "app.kubernetes.io/name": LI_NAMES.proxy } } };
    const objectStoreEgress = i.objectStore
        ? { to: [podsIn(i.objectStore.namespace, i.objectStore.podLabels)], ports: tcp(i.objectStore.port) }
        : // AWS S3 has no fixed addresses: HTTPS to public addresses only, never to anything private.
          { to: [{ ipBlock: { cidr: "0.0.0.0/0", except: PRIVATE } }], ports: tcp(443) };
    const out: PolicySpec[] = [
        // Default deny, both directions, every pod of both namespaces.
        policy("default-deny", li, undefined, { ingress: [], egress: [] }),
        policy("default-deny", proxyNs, undefined, { ingress: [], egress: [] }),
        policy(LI_NAMES.postgres, li, LI_NAMES.postgres, {
            ingress: [{ from: [pods(LI_NAMES.synapse), pods(LI_NAMES.sync)], ports: tcp(LI_POSTGRES_PORT) }],
            egress: [],
        }),
        policy(LI_NAMES.synapse, li, LI_NAMES.synapse, {
            ingress: [
                { from: [fromProxy], ports: tcp(HTTP_PORT) },
                { from: [ns(NAMESPACES.monitoring)], ports: tcp(METRICS_PORT) },
            ],
            egress: [dns, { to: [pods(LI_NAMES.postgres)], ports: tcp(LI_POSTGRES_PORT) }, objectStoreEgress],
        }),
        policy(LI_NAMES.element, li, LI_NAMES.element, { ingress: [{ from: [fromProxy], ports: tcp(WEB_PORT) }], egress: [] }),
        policy(LI_NAMES.admin, li, LI_NAMES.admin, { ingress: [{ from: [fromProxy], ports: tcp(WEB_PORT) }], egress: [] }),
        policy(LI_NAMES.metrics, li, LI_NAMES.metrics, { ingress: [{ from: [ns(NAMESPACES.monitoring)], ports: tcp(LI_SYNC_METRICS.port) }], egress: [] }),
        policy(LI_NAMES.sync, li, LI_NAMES.sync, {
            ingress: [],
            egress: [
                dns,
                { to: [podsIn(NAMESPACES.matrix, i.mainPostgresPodLabels)], ports: tcp(i.mainPostgresPort) },
                { to: [pods(LI_NAMES.postgres)], ports: tcp(LI_POSTGRES_PORT) },
                // kubectl rollout restart of synapse-li.
                { to: [{ ipBlock: { cidr: i.apiServerCidr } }], ports: tcp(443, 6443) },
            ],
        }),
        policy(LI_NAMES.proxy, proxyNs, LI_NAMES.proxy, {
            // Nobody outside the LI admin networks, not even another pod of the cluster.
            ingress: i.allowedCidrs.length > 0 ? [{ from: i.allowedCidrs.map((cidr) => ({ ipBlock: { cidr } })), ports: tcp(LI_PROXY_PORT) }] : [],
            egress: [
                dns,
                {
                    to: [LI_NAMES.synapse, LI_NAMES.element, LI_NAMES.admin, ...(i.keyVaultPort ? [LI_NAMES.keyVault] : [])].map((n) => podsIn(li, appLabels(n))),
                    ports: tcp(HTTP_PORT, WEB_PORT, ...(i.keyVaultPort && i.keyVaultPort !== WEB_PORT ? [i.keyVaultPort] : [])),
                },
            ],
        }),
    ];
    if (i.keyVaultPort) {
        out.push(
            policy(KEY_VAULT_SERVICE, li, LI_NAMES.keyVault, {
                ingress: [{ from: [fromProxy, podsIn(NAMESPACES.matrix, { "app.kubernetes.io/name": "synapse" })], ports: tcp(i.keyVaultPort) }],
                egress: [],
            }),
        );
    }
    return out;
}
