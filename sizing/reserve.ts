// What a server keeps for itself before any pod: the kubelet and system
// reserve (the tiered formula the managed Kubernetes services publish), the
// eviction threshold, and the per-server daemons installed through Helm
// (Cilium agent, EBS CSI node plugin, node-exporter). One source for the
// PostgreSQL pod's size and for the scheduling check.

/** Per-server requests of the Helm-installed daemons (Cilium agent 100m/128Mi, EBS CSI node 10m/40Mi, node-exporter 100m/64Mi, rounded up). */
export const DAEMON_ALLOWANCE = { cpu: 0.25, memoryGiB: 0.5 } as const;

/** Memory the kubelet evicts below (its default hard threshold, 100Mi, rounded up). */
export const EVICTION_GIB = 0.1;

function tiered(amount: number, steps: readonly (readonly [number, number])[]): number {
    let left = amount;
    let total = 0;
    for (const [size, share] of steps) {
        const part = Math.min(left, size);
        total += part * share;
        left -= part;
    }
    return total;
}

/** vCPU and GiB a server of this size does not offer to pods. */
export function serverReserve(vcpu: number, memoryGiB: number): { cpu: number; memoryGiB: number } {
    const cpu = tiered(vcpu, [[1, 0.06], [1, 0.01], [2, 0.005], [Infinity, 0.0025]]);
    const mem = tiered(memoryGiB, [[4, 0.25], [4, 0.2], [8, 0.1], [112, 0.06], [Infinity, 0.02]]) + EVICTION_GIB;
    return { cpu: cpu + DAEMON_ALLOWANCE.cpu, memoryGiB: mem + DAEMON_ALLOWANCE.memoryGiB };
}

/** What pods may request on a server of this size. */
export function allocatable(server: { readonly vcpu: number; readonly memoryGiB: number }): { cpu: number; memoryGiB: number } {
    const r = serverReserve(server.vcpu, server.memoryGiB);
    return { cpu: server.vcpu - r.cpu, memoryGiB: server.memoryGiB - r.memoryGiB };
}
