// The database and storage servers' own disks offered to Kubernetes as local
// PersistentVolumes, so the data layer's claims on the nvme and hdd classes
// land on the disks the plan bought instead of on a second set of EBS volumes.
// Pure: the component registers exactly what these functions return.
import { DEFAULT_STORAGE_CLASSES, SERVER_LABEL } from "../../contracts";
import type { DiskType, NodeRole } from "../../../sizing/types";
import { dataMountPath } from "./bootstrap";
import type { Inventory, InventoryPlan } from "./inventory";

/** Disk types served by local volumes on AWS; ssd stays a dynamically provisioned EBS class. */
export const LOCAL_DISK_TYPES: readonly DiskType[] = ["nvme", "hdd"];

export interface LocalVolumeSpec {
    /** `<server>-disk-<k>`: role, index and disk position only, never the tier. */
    readonly name: string;
    readonly serverName: string;
    readonly role: NodeRole;
    readonly diskIndex: number;
    readonly path: string;
    /** A Kubernetes quantity: the EBS volume's size in Gi, or the plan's GB for instance-store NVMe. */
    readonly capacity: string;
    readonly storageClassName: string;
}

/** One local volume per data disk of every server whose role's disk type is local. */
export function localVolumeSpecs(inventory: Inventory, plan: InventoryPlan, classes: Readonly<Record<DiskType, string>> = DEFAULT_STORAGE_CLASSES): LocalVolumeSpec[] {
    const specs: LocalVolumeSpec[] = [];
    for (const server of inventory.servers) {
        const pool = plan.nodePools[server.role];
        if (!LOCAL_DISK_TYPES.includes(pool.diskType)) continue;
        // Instance-store NVMe has no EBS size; the inventory checked it holds the plan's disk.
        const disks = server.instanceStoreData ? [{ index: 0, capacity: `${pool.diskGB}G` }] : server.dataVolumes.map((v) => ({ index: v.index, capacity: `${v.sizeGiB}Gi` }));
        for (const d of disks) {
            specs.push({
                name: `${server.name}-disk-${d.index}`,
                serverName: server.name,
                role: server.role,
                diskIndex: d.index,
                path: dataMountPath(server.role, d.index),
                capacity: d.capacity,
                storageClassName: classes[pool.diskType],
            });
        }
    }
    return specs;
}

/**
 * The PersistentVolume object. nodeAffinity names the server, not the node:
 * a replaced instance re-attaches the same EBS volume and registers with the
 * same `node-restriction.kubernetes.io/matrix-scale-server` label, so the volume (and its claim) follows it.
 */
export function persistentVolumeBody(spec: LocalVolumeSpec) {
    return {
        metadata: { name: spec.name, labels: { [SERVER_LABEL]: spec.serverName } },
        spec: {
            capacity: { storage: spec.capacity },
            accessModes: ["ReadWriteOnce"],
            volumeMode: "Filesystem",
            persistentVolumeReclaimPolicy: "Retain",
            storageClassName: spec.storageClassName,
            local: { path: spec.path },
            nodeAffinity: {
                required: { nodeSelectorTerms: [{ matchExpressions: [{ key: SERVER_LABEL, operator: "In", values: [spec.serverName] }] }] },
            },
        },
    };
}

const DECIMAL: Record<string, number> = { "": 0, k: 1, M: 2, G: 3, T: 4, P: 5, E: 6 };
const BINARY: Record<string, number> = { Ki: 1, Mi: 2, Gi: 3, Ti: 4, Pi: 5, Ei: 6 };

/**
 * Bytes of a whole-number Kubernetes storage quantity ("500G" = 500 x 10^9,
 * "466Gi" = 466 x 2^30). Exact, in bigint; anything else is refused rather
 * than guessed.
 */
export function quantityBytes(quantity: string): bigint {
    const m = /^([0-9]+)(|k|M|G|T|P|E|Ki|Mi|Gi|Ti|Pi|Ei)$/.exec(quantity);
    if (!m) throw new Error(`unsupported storage quantity "${quantity}" (a whole number with an optional k/M/G/T/P/E or Ki/Mi/Gi/Ti/Pi/Ei suffix)`);
    const n = BigInt(m[1]);
    return m[2] in BINARY ? n * 1024n ** BigInt(BINARY[m[2]]) : n * 1000n ** BigInt(DECIMAL[m[2]]);
}

/** What the data layer claims on the local classes, as the plan says. */
export interface LocalClaimDemand {
    readonly storageClassName: string;
    /** Pods that need these claims, each on a server of its own (CNPG instances, MinIO servers). */
    readonly pods: number;
    /** Claims per pod, all bound on that pod's server. */
    readonly claimsPerPod: number;
    readonly request: string;
    readonly what: string;
}

export function localClaimDemands(plan: Pick<InventoryPlan, "objectStore"> & { readonly postgres: { readonly instances: number; readonly storageGB: number } }, classes: Readonly<Record<DiskType, string>> = DEFAULT_STORAGE_CLASSES): LocalClaimDemand[] {
    const os = plan.objectStore;
    return [
        { storageClassName: classes.nvme, pods: plan.postgres.instances, claimsPerPod: 1, request: `${plan.postgres.storageGB}G`, what: "PostgreSQL instance" },
        { storageClassName: classes.hdd, pods: os.pools * os.serversPerPool, claimsPerPod: os.drivesPerServer, request: `${os.driveGB}G`, what: "MinIO server" },
    ];
}

/**
 * Whether the local volumes can satisfy the claims: a volume binds a claim of
 * its class only if its capacity is at least the request, and a pod's claims
 * must all bind on one server (local volumes cannot move). So for each demand,
 * count the servers holding at least `claimsPerPod` fitting volumes; one
 * problem per demand that does not fit.
 */
export function localCapacityProblems(volumes: readonly LocalVolumeSpec[], demands: readonly LocalClaimDemand[]): string[] {
    const problems: string[] = [];
    for (const d of demands) {
        const need = quantityBytes(d.request);
        const fittingPerServer = new Map<string, number>();
        for (const v of volumes) {
            if (v.storageClassName !== d.storageClassName || quantityBytes(v.capacity) < need) continue;
            fittingPerServer.set(v.serverName, (fittingPerServer.get(v.serverName) ?? 0) + 1);
        }
        const servers = [...fittingPerServer.values()].filter((n) => n >= d.claimsPerPod).length;
        if (servers < d.pods) {
            problems.push(
                `local volumes on ${d.storageClassName}: ${d.pods} ${d.what}(s) each need ${d.claimsPerPod} volume(s) of at least ${d.request} on one server, ` +
                    `but only ${servers} server(s) have them`,
            );
        }
    }
    return problems;
}
