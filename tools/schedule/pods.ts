// Every pod the rendered manifests ask the scheduler for, with what constrains
// where it may run: requests, node selector, tolerations, required
// anti-affinity, host ports, and whether its data pins it to one server.
import { quantity } from "./quantity";

export interface Toleration {
    readonly key?: string;
    readonly operator?: string;
    readonly value?: string;
    readonly effect?: string;
}

export interface PodDemand {
    /** `<kind>/<namespace>/<name>-<index>` */
    readonly id: string;
    /** Pods of one workload share it: required anti-affinity keeps them on different servers. */
    readonly group: string;
    readonly cpu: number;
    readonly memory: number;
    readonly nodeSelector: Readonly<Record<string, string>>;
    readonly tolerations: readonly Toleration[];
    /** Required anti-affinity on kubernetes.io/hostname against its own group. */
    readonly spreadRequired: boolean;
    /** Host ports it binds (host-network pods bind every container port). */
    readonly hostPorts: readonly string[];
    /** Storage class of each claim on a local volume (one per claim): the server must have that many free local volumes. */
    readonly localClaims: readonly string[];
    /** It has a volume of its own (claim template, or a CNPG instance's storage): it does not move without its data. */
    readonly withVolume: boolean;
    /** A DaemonSet pod: one on every server it fits, never rescheduled. */
    readonly daemon: boolean;
}

export interface Workload {
    readonly type: string;
    readonly name: string;
    readonly inputs: Record<string, any>;
}

/** Storage classes whose volumes are local disks of one server. */
export type LocalClasses = ReadonlySet<string>;

function podRequests(podSpec: any): { cpu: number; memory: number } {
    let cpu = 0;
    let memory = 0;
    for (const c of podSpec?.containers ?? []) {
        cpu += quantity(c.resources?.requests?.cpu ?? c.resources?.limits?.cpu ?? 0);
        memory += quantity(c.resources?.requests?.memory ?? c.resources?.limits?.memory ?? 0);
    }
    // Init containers run before the others: the pod needs the larger of the two.
    for (const c of podSpec?.initContainers ?? []) {
        cpu = Math.max(cpu, quantity(c.resources?.requests?.cpu ?? 0));
        memory = Math.max(memory, quantity(c.resources?.requests?.memory ?? 0));
    }
    return { cpu, memory };
}

function requiredHostnameAntiAffinity(podSpec: any): boolean {
    const terms = podSpec?.affinity?.podAntiAffinity?.requiredDuringSchedulingIgnoredDuringExecution ?? [];
    return terms.some((t: any) => t.topologyKey === "kubernetes.io/hostname");
}

function hostPorts(podSpec: any): string[] {
    const ports: string[] = [];
    for (const c of podSpec?.containers ?? []) {
        for (const p of c.ports ?? []) {
            const port = podSpec.hostNetwork ? p.containerPort : p.hostPort;
            if (port) ports.push(`${p.protocol ?? "TCP"}/${port}`);
        }
    }
    return ports;
}

/** Replicas a workload may run: the HPA's maximum when `atMax`, else its planned count (the HPA minimum). */
function replicaCount(w: Workload, hpas: ReadonlyMap<string, { min: number; max: number }>, atMax: boolean): number {
    const key = `${w.inputs.metadata?.namespace}/${w.inputs.metadata?.name}`;
    const hpa = hpas.get(key);
    if (hpa) return atMax ? hpa.max : hpa.min;
    return w.inputs.spec?.replicas ?? 1;
}

/** Pods of every Deployment, StatefulSet, DaemonSet and CloudNativePG Cluster among the registered resources. */
export function podDemands(resources: readonly Workload[], localClasses: LocalClasses, options: { atHpaMaximum?: boolean } = {}): PodDemand[] {
    const hpas = new Map<string, { min: number; max: number }>();
    for (const r of resources.filter((x) => x.type === "kubernetes:autoscaling/v2:HorizontalPodAutoscaler")) {
        const target = r.inputs.spec.scaleTargetRef.name;
        hpas.set(`${r.inputs.metadata?.namespace}/${target}`, { min: r.inputs.spec.minReplicas ?? 1, max: r.inputs.spec.maxReplicas });
    }
    const pods: PodDemand[] = [];
    for (const w of resources) {
        const ns = w.inputs.metadata?.namespace ?? "default";
        const name = w.inputs.metadata?.name ?? w.name;
        const kind = w.type.split(":").pop()!;
        if (["kubernetes:apps/v1:Deployment", "kubernetes:apps/v1:StatefulSet", "kubernetes:apps/v1:DaemonSet"].includes(w.type)) {
            const podSpec = w.inputs.spec.template.spec;
            const { cpu, memory } = podRequests(podSpec);
            const claims: any[] = w.inputs.spec.volumeClaimTemplates ?? [];
            const localClaims = claims.map((c) => c.spec?.storageClassName).filter((c: unknown): c is string => localClasses.has(c as string));
            const daemon = kind === "DaemonSet";
            const count = daemon ? 1 : replicaCount(w, hpas, options.atHpaMaximum ?? false);
            for (let i = 0; i < count; i++) {
                pods.push({
                    id: `${kind}/${ns}/${name}-${i}`,
                    group: `${ns}/${name}`,
                    cpu,
                    memory,
                    nodeSelector: podSpec.nodeSelector ?? {},
                    tolerations: podSpec.tolerations ?? [],
                    spreadRequired: requiredHostnameAntiAffinity(podSpec),
                    hostPorts: hostPorts(podSpec),
                    localClaims,
                    withVolume: claims.length > 0,
                    daemon,
                });
            }
        } else if (w.type === "kubernetes:postgresql.cnpg.io/v1:Cluster") {
            const spec = w.inputs.spec;
            for (let i = 0; i < spec.instances; i++) {
                pods.push({
                    id: `Cluster/${ns}/${name}-${i + 1}`,
                    group: `${ns}/${name}`,
                    cpu: quantity(spec.resources?.requests?.cpu ?? 0),
                    memory: quantity(spec.resources?.requests?.memory ?? 0),
                    nodeSelector: spec.affinity?.nodeSelector ?? {},
                    tolerations: spec.affinity?.tolerations ?? [],
                    spreadRequired: spec.affinity?.enablePodAntiAffinity !== false && spec.affinity?.podAntiAffinityType === "required",
                    hostPorts: [],
                    localClaims: [spec.storage?.storageClass, spec.walStorage?.storageClass].filter((c: unknown): c is string => localClasses.has(c as string)),
                    withVolume: true,
                    daemon: false,
                });
            }
        }
    }
    return pods;
}

/** Local PersistentVolumes per server and class, from the rendered PVs' node affinity on `serverLabel`. */
export function localVolumeSlots(resources: readonly Workload[], serverLabel: string): Map<string, Map<string, number>> {
    const slots = new Map<string, Map<string, number>>();
    for (const r of resources.filter((x) => x.type === "kubernetes:core/v1:PersistentVolume" && x.inputs.spec?.local)) {
        const terms: any[] = r.inputs.spec.nodeAffinity?.required?.nodeSelectorTerms ?? [];
        const server = terms.flatMap((t) => t.matchExpressions ?? []).find((e: any) => e.key === serverLabel)?.values?.[0];
        if (!server) continue;
        const byClass = slots.get(server) ?? new Map<string, number>();
        byClass.set(r.inputs.spec.storageClassName, (byClass.get(r.inputs.spec.storageClassName) ?? 0) + 1);
        slots.set(server, byClass);
    }
    return slots;
}
