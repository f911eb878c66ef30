// Places pods on the plan's servers the way the scheduler's hard rules do
// (selector, taints, requests, required anti-affinity, host ports), then
// again after losing each server of a multi-server pool: the N+1 check.
import { ROLE_LABEL, ROLE_VALUES, SERVER_LABEL, TAINTED_ROLES } from "../../components/contracts";
import { NODE_ROLES, type NodeRole, type Plan } from "../../sizing/types";
import type { PodDemand, Toleration } from "./pods";
import { GiB } from "./quantity";
import { allocatable } from "../../sizing/reserve";

export interface Server {
    readonly name: string;
    readonly role: NodeRole;
    readonly labels: Readonly<Record<string, string>>;
    readonly taints: readonly { key: string; value?: string; effect: string }[];
    readonly cpu: number;
    readonly memory: number;
    /** Free local PersistentVolumes by storage class; undefined when the cluster supplies its own (not modelled). */
    readonly localVolumes?: ReadonlyMap<string, number>;
}

/** The plan's servers as the cluster labels and taints them (components/cluster). */
export function planServers(plan: Plan, localSlots?: ReadonlyMap<string, ReadonlyMap<string, number>>): Server[] {
    const servers: Server[] = [];
    for (const role of NODE_ROLES) {
        const pool = plan.nodePools[role];
        const value = ROLE_VALUES[role];
        for (let i = 0; i < pool.count; i++) {
            const name = `${value}-${i}`;
            const a = allocatable(pool);
            const taints = [
                ...(TAINTED_ROLES.includes(role) ? [{ key: ROLE_LABEL, value, effect: "NoSchedule" }] : []),
                ...(role === "controlPlane" ? [{ key: "node-role.kubernetes.io/control-plane", effect: "NoSchedule" }] : []),
            ];
            servers.push({
                name,
                role,
                labels: { [ROLE_LABEL]: value, [SERVER_LABEL]: name, "kubernetes.io/hostname": name },
                taints,
                cpu: a.cpu,
                memory: a.memoryGiB * GiB,
                ...(localSlots && localSlots.size > 0 ? { localVolumes: localSlots.get(name) ?? new Map() } : {}),
            });
        }
    }
    return servers;
}

function tolerates(tolerations: readonly Toleration[], taint: Server["taints"][number]): boolean {
    return tolerations.some(
        (t) =>
            (t.operator === "Exists" && (t.key === undefined || t.key === taint.key)) ||
            (t.key === taint.key && (t.operator ?? "Equal") === "Equal" && t.value === taint.value && (!t.effect || t.effect === taint.effect)),
    );
}

export function eligible(pod: PodDemand, server: Server): boolean {
    return Object.entries(pod.nodeSelector).every(([k, v]) => server.labels[k] === v) && server.taints.every((t) => tolerates(pod.tolerations, t));
}

interface Node {
    readonly server: Server;
    cpu: number;
    memory: number;
    readonly groups: Set<string>;
    readonly ports: Set<string>;
    readonly pods: PodDemand[];
    readonly local: Map<string, number> | undefined;
}

export interface Placement {
    /** Pod id -> server name. */
    readonly assigned: ReadonlyMap<string, string>;
    /** Pods no server could take, with why. */
    readonly unplaced: readonly { pod: PodDemand; why: string }[];
    /** Requests / allocatable per role, after placement. */
    readonly utilisation: Readonly<Record<NodeRole, { cpu: number; memory: number }>>;
}

function localFits(pod: PodDemand, n: Node): boolean {
    if (!n.local) return true;
    const need = new Map<string, number>();
    for (const c of pod.localClaims) need.set(c, (need.get(c) ?? 0) + 1);
    return [...need].every(([c, k]) => (n.local!.get(c) ?? 0) >= k);
}

function fits(pod: PodDemand, n: Node): boolean {
    return (
        localFits(pod, n) &&
        pod.cpu <= n.cpu + 1e-9 &&
        pod.memory <= n.memory + 1 &&
        !(pod.spreadRequired && n.groups.has(pod.group)) &&
        pod.hostPorts.every((p) => !n.ports.has(p))
    );
}

function put(pod: PodDemand, n: Node): void {
    n.cpu -= pod.cpu;
    n.memory -= pod.memory;
    n.groups.add(pod.group);
    pod.hostPorts.forEach((p) => n.ports.add(p));
    for (const c of pod.localClaims) n.local?.set(c, (n.local.get(c) ?? 0) - 1);
    n.pods.push(pod);
}

/**
 * Places every pod: DaemonSet pods on every eligible server, pods in `pinned`
 * on their server, the rest largest first on the eligible server with the most
 * CPU left (the spread the scheduler's default scoring prefers).
 */
export function place(pods: readonly PodDemand[], servers: readonly Server[], pinned: ReadonlyMap<string, string> = new Map()): Placement {
    const nodes: Node[] = servers.map((server) => ({
        server, cpu: server.cpu, memory: server.memory, groups: new Set(), ports: new Set(), pods: [],
        local: server.localVolumes ? new Map(server.localVolumes) : undefined,
    }));
    const assigned = new Map<string, string>();
    const unplaced: { pod: PodDemand; why: string }[] = [];
    const daemons = pods.filter((p) => p.daemon);
    for (const pod of daemons) {
        for (const n of nodes.filter((x) => eligible(pod, x.server))) {
            if (fits(pod, n)) put(pod, n);
            else unplaced.push({ pod, why: `does not fit on ${n.server.name}` });
        }
    }
    const rest = pods.filter((p) => !p.daemon);
    const order = [...rest].sort((a, b) => Number(pinned.has(b.id)) - Number(pinned.has(a.id)) || b.cpu - a.cpu || b.memory - a.memory || a.id.localeCompare(b.id));
    for (const pod of order) {
        const target = pinned.get(pod.id);
        const candidates = nodes.filter((n) => (target === undefined || n.server.name === target) && eligible(pod, n.server));
        if (candidates.length === 0) {
            unplaced.push({ pod, why: target ? `its data is on ${target}` : "no server matches its node selector and tolerations" });
            continue;
        }
        const fitting = candidates.filter((n) => fits(pod, n)).sort((a, b) => b.cpu / b.server.cpu - a.cpu / a.server.cpu || a.server.name.localeCompare(b.server.name));
        if (fitting.length === 0) {
            const local = pod.localClaims.length > 0 ? ` and ${pod.localClaims.length} free local volume(s)` : "";
            unplaced.push({ pod, why: `no ${candidates[0]!.server.role} server has ${pod.cpu} CPU, ${(pod.memory / GiB).toFixed(1)} GiB${local} free${pod.spreadRequired ? " without another of its pods" : ""}` });
            continue;
        }
        put(pod, fitting[0]!);
        assigned.set(pod.id, fitting[0]!.server.name);
    }
    const utilisation = Object.fromEntries(
        NODE_ROLES.map((role) => {
            const ns = nodes.filter((n) => n.server.role === role);
            const cap = ns.reduce((s, n) => ({ cpu: s.cpu + n.server.cpu, memory: s.memory + n.server.memory }), { cpu: 0, memory: 0 });
            const used = ns.reduce((s, n) => ({ cpu: s.cpu + n.server.cpu - n.cpu, memory: s.memory + n.server.memory - n.memory }), { cpu: 0, memory: 0 });
            return [role, { cpu: cap.cpu > 0 ? used.cpu / cap.cpu : 0, memory: cap.memory > 0 ? used.memory / cap.memory : 0 }];
        }),
    ) as Record<NodeRole, { cpu: number; memory: number }>;
    return { assigned, unplaced, utilisation };
}

export interface LossVerdict {
    readonly lost: string;
    /** Pods that keep their data on the lost server and wait for it (the data layer fails over). */
    readonly waiting: readonly string[];
    /** Pods that no longer fit anywhere: N+1 fails. */
    readonly unplaced: readonly { pod: string; why: string }[];
}

export interface Schedulability {
    readonly placement: Placement;
    /** One verdict per server of every pool with more than one server. */
    readonly losses: readonly LossVerdict[];
    readonly nPlusOne: boolean;
}

/** Places everything, then loses each server of a multi-server pool in turn. */
export function schedulability(pods: readonly PodDemand[], servers: readonly Server[], withData: (pod: PodDemand) => boolean): Schedulability {
    const placement = place(pods, servers);
    const losses: LossVerdict[] = [];
    for (const lost of servers) {
        if (servers.filter((s) => s.role === lost.role).length < 2) continue;
        const remaining = servers.filter((s) => s !== lost);
        // A pod with a volume stays with its data: where it was, or waiting for the lost server.
        const pinned = new Map([...placement.assigned].filter(([id]) => withData(pods.find((p) => p.id === id)!)));
        const waiting = [...pinned].filter(([, s]) => s === lost.name).map(([id]) => id);
        const again = place(pods.filter((p) => !waiting.includes(p.id)), remaining, pinned);
        losses.push({ lost: lost.name, waiting, unplaced: again.unplaced.map((u) => ({ pod: u.pod.id, why: u.why })) });
    }
    return { placement, losses, nPlusOne: placement.unplaced.length === 0 && losses.every((l) => l.unplaced.length === 0) };
}
