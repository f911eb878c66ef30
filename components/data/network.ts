// Ingress rules for the data stores: only the namespaces that use a store may
// open a connection to it (Services are cluster-internal already; this keeps
// one compromised workload elsewhere in the cluster away from the data).

export const nsSelector = (namespace: string) => ({ namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": namespace } } });

/**
 * `cidrs`: clients on the host network (LiveKit on the call servers), which no pod or namespace selector
 * matches; their traffic carries the node's address. (With Cilium, CIDR rules match node addresses only
 * when the agent runs with policy-cidr-match-mode=nodes.)
 */
export function allowFromNamespaces(name: string, namespace: string, podLabels: Record<string, string>, ports: number[], from: string[], cidrs: readonly string[] = []) {
    return {
        metadata: { name, namespace },
        spec: {
            podSelector: { matchLabels: podLabels },
            policyTypes: ["Ingress"],
            ingress: [{ from: [...from.map(nsSelector), ...cidrs.map((cidr) => ({ ipBlock: { cidr } }))], ports: ports.map((port) => ({ protocol: "TCP", port })) }],
        },
    };
}
