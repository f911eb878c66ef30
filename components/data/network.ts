// Ingress rules for the data stores: only the namespaces that use a store may
// open a connection to it (Services are cluster-internal already; this keeps
// one compromised workload elsewhere in the cluster away from the data).

export const nsSelector = (namespace: string) => ({ namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": namespace } } });

export function allowFromNamespaces(name: string, namespace: string, podLabels: Record<string, string>, ports: number[], from: string[]) {
    return {
        metadata: { name, namespace },
        spec: {
            podSelector: { matchLabels: podLabels },
            policyTypes: ["Ingress"],
            ingress: [{ from: from.map(nsSelector), ports: ports.map((port) => ({ protocol: "TCP", port })) }],
        },
    };
}
