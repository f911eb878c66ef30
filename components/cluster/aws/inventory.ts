// The server inventory: one entry per server of the plan, with everything the
// wiring needs (name, zone, instance type, data volume). Pure: computed from
// the plan's node pools and the validated options, tested for every tier.
import { TAINTED_ROLES, ROLE_VALUES } from "../../contracts";
import { NODE_ROLES, type DiskType, type NodePool, type NodeRole, type Plan } from "../../../sizing/types";
import { lookupInstanceType, smallestFitting, type InstanceChoice } from "./catalogue";
import type { AwsClusterOptions } from "./options";
import { zoneIndex } from "./zones";

export type EbsVolumeType = "gp3" | "io2" | "st1";

export interface DataVolumeSpec {
    /** Position k on the server: attached as the k-th data device, mounted at .../disk-<k>; part of the volume's name. */
    readonly index: number;
    readonly type: EbsVolumeType;
    readonly sizeGiB: number;
    /** Decimal GB the plan asked for, kept for the report. */
    readonly planGB: number;
    readonly iops?: number;
    readonly throughputMiBps?: number;
}

export interface ServerSpec {
    /** Pulumi name stem and node label SERVER_LABEL; depends on role and index only. */
    readonly name: string;
    readonly role: NodeRole;
    readonly index: number;
    /** Position in the zone list (names come from config or aws.getAvailabilityZones). */
    readonly zoneIndex: number;
    /** Call servers need public addresses for TURN/WebRTC; everything else stays private. */
    readonly subnet: "private" | "public";
    readonly instance: InstanceChoice;
    /**
     * Separate EBS volumes (see nodeDataVolumes): the plan's disk on database
     * servers, one per MinIO drive on storage servers (losing a server loses
     * exactly its own drives), etcd's volume on control-plane servers, none
     * elsewhere. Empty when the database lives on instance-store NVMe.
     */
    readonly dataVolumes: readonly DataVolumeSpec[];
    readonly instanceStoreData: boolean;
    readonly tainted: boolean;
}

export interface Inventory {
    readonly servers: readonly ServerSpec[];
    readonly warnings: readonly string[];
}

/** AWS sizes EBS volumes in GiB (2^30 bytes); the guide writes decimal GB (10^9 bytes). Round up, never lose capacity. */
export function gbToGiB(gb: number): number {
    return Math.ceil((gb * 1e9) / 2 ** 30);
}

/** st1 volumes cannot be smaller than 125 GiB (AWS EBS limits). */
export const ST1_MIN_GIB = 125;
/** Per-GiB IOPS ceilings (AWS EBS limits): io2 Block Express 1000, gp3 500. */
const MAX_IOPS_PER_GIB: Record<"io2" | "gp3", number> = { io2: 1000, gp3: 500 };

export function dataVolumeFor(role: NodeRole, diskType: DiskType, planGB: number, opts: AwsClusterOptions, index = 0): DataVolumeSpec {
    const sizeGiB = gbToGiB(planGB);
    switch (diskType) {
        case "ssd":
            return { index, type: "gp3", sizeGiB, planGB };
        case "hdd":
            return { index, type: "st1", sizeGiB: Math.max(ST1_MIN_GIB, sizeGiB), planGB };
        case "nvme": {
            const { type, iops, throughputMiBps } = opts.databaseVolume;
            // Small volumes cap IOPS per GiB; cap instead of failing so the
            // configured figure is a target, met once the plan's disk is big enough.
            const cappedIops = Math.min(iops, sizeGiB * MAX_IOPS_PER_GIB[type]);
            return type === "gp3"
                ? { index, type, sizeGiB, planGB, iops: Math.max(3000, cappedIops), throughputMiBps: Math.min(throughputMiBps, Math.floor(cappedIops / 4)) }
                : { index, type, sizeGiB, planGB, iops: cappedIops };
        }
        default:
            throw new Error(`role ${role}: unknown disk type ${String(diskType)}`);
    }
}

/** What the inventory reads from the plan: the node pools, and the object store's drive layout. */
export type InventoryPlan = Pick<Plan, "nodePools" | "objectStore">;

/** Roles whose servers and volumes hold data that a replacement would lose. */
export const STATEFUL_ROLES: readonly NodeRole[] = ["database", "storage"];

/**
 * etcd's own volume on control-plane servers. etcd's database is capped by
 * its quota (2 GiB default, 8 GiB the documented maximum); 20 GiB holds the
 * quota, the WAL and a snapshot, and gp3 gives it 3000 IOPS whatever the size.
 */
export const ETCD_VOLUME_GIB = 20;

/**
 * A role's EBS data volumes per server. Only the roles whose data lives on
 * the node get one (docs/cluster.md, "Where each role's data lives"):
 * - database: the plan's disk (PostgreSQL, a local PersistentVolume);
 * - storage: one volume per MinIO drive (plan.objectStore): MinIO's erasure
 *   sets assume a failed volume takes one drive, a failed server only its own;
 * - control plane: etcd (ETCD_VOLUME_GIB), not the plan's disk figure.
 * App, call, LI and monitoring servers get none: their workloads keep data on
 * matrix-ssd claims (EBS, created per claim, sized by their components), so
 * their node needs only the root disk for the OS, images and emptyDirs.
 */
export function dataVolumesFor(role: NodeRole, plan: InventoryPlan, opts: AwsClusterOptions, errors: string[]): DataVolumeSpec[] {
    const pool = plan.nodePools[role];
    if (role === "controlPlane") return [{ index: 0, type: "gp3", sizeGiB: ETCD_VOLUME_GIB, planGB: pool.diskGB }];
    if (role === "database") return [dataVolumeFor(role, pool.diskType, pool.diskGB, opts)];
    if (role !== "storage") return [];
    const { drivesPerServer, driveGB } = plan.objectStore;
    if (drivesPerServer * driveGB !== pool.diskGB) {
        errors.push(`sizing plan: storage servers have ${pool.diskGB} GB of disk but ${drivesPerServer} MinIO drives of ${driveGB} GB each; the plan disagrees with itself`);
    }
    return Array.from({ length: drivesPerServer }, (_, k) => dataVolumeFor(role, pool.diskType, driveGB, opts, k));
}

/**
 * The plan whose stateful servers the cluster keeps: the current plan, with
 * the database and storage pools (count and disk) and the MinIO drive size
 * raised to the floor tier's (`matrix:data.storageFloorCcu`), like the data
 * layer's volumes. Below the floor, a tier change therefore neither deletes
 * a stateful server nor asks an EBS volume to shrink.
 */
export function withStatefulFloor(plan: InventoryPlan, floor: InventoryPlan | undefined): InventoryPlan {
    if (!floor) return plan;
    const keep = (role: NodeRole) => {
        const p = plan.nodePools[role];
        const f = floor.nodePools[role];
        return { ...p, count: Math.max(p.count, f.count), diskGB: Math.max(p.diskGB, f.diskGB) };
    };
    const drivesPerServer = plan.objectStore.drivesPerServer;
    if (floor.objectStore.drivesPerServer !== drivesPerServer) {
        throw new Error(`the floor tier has ${floor.objectStore.drivesPerServer} MinIO drives per server, this tier ${drivesPerServer}; a storage server's drive count cannot change`);
    }
    const driveGB = Math.max(plan.objectStore.driveGB, floor.objectStore.driveGB);
    return {
        nodePools: { ...plan.nodePools, database: keep("database"), storage: { ...keep("storage"), diskGB: drivesPerServer * driveGB } },
        objectStore: { ...plan.objectStore, driveGB },
    };
}

function instanceFor(role: NodeRole, pool: NodePool, opts: AwsClusterOptions, errors: string[]): InstanceChoice | undefined {
    const explicit = opts.instanceTypes[role];
    if (explicit) {
        const c = lookupInstanceType(explicit);
        if (!c) {
            errors.push(`matrix:cluster.instanceTypes.${role}: "${explicit}" is not in the instance catalogue`);
            return undefined;
        }
        if (c.vcpu < pool.vcpu || c.memoryGiB < pool.memoryGiB) {
            errors.push(
                `matrix:cluster.instanceTypes.${role}: "${explicit}" (${c.vcpu} vCPU / ${c.memoryGiB} GiB) is smaller than the plan's ${pool.vcpu} vCPU / ${pool.memoryGiB} GiB; choose a size that meets it`,
            );
            return undefined;
        }
        return c;
    }
    try {
        return smallestFitting(opts.families[role], pool.vcpu, pool.memoryGiB);
    } catch (e) {
        errors.push(`matrix:cluster.families.${role}: ${(e as Error).message}`);
        return undefined;
    }
}

/**
 * What makes the options unable to carry the plan (an explicit type below the
 * plan, a family too small, instance-store NVMe too small); empty when the
 * inventory can be built. The program reports these as config errors before
 * registering anything.
 */
export function inventoryProblems(plan: InventoryPlan, opts: AwsClusterOptions): string[] {
    try {
        buildInventory(plan, opts);
        return [];
    } catch (e) {
        const problems = (e as { problems?: string[] }).problems;
        if (problems) return problems;
        throw e;
    }
}

/**
 * Every server of the plan. Throws one error listing every problem so nothing
 * is registered for an inventory that cannot be built.
 */
export function buildInventory(plan: InventoryPlan, opts: AwsClusterOptions): Inventory {
    const pools = plan.nodePools;
    const errors: string[] = [];
    const warnings: string[] = [];
    const servers: ServerSpec[] = [];
    for (const role of NODE_ROLES) {
        const pool = pools[role];
        const instance = instanceFor(role, pool, opts, errors);
        if (!instance) continue;
        const instanceStoreData = role === "database" && opts.databaseInstanceStore;
        if (instanceStoreData) {
            if (instance.instanceStoreGB < pool.diskGB) {
                errors.push(
                    `matrix:cluster.databaseInstanceStore: ${instance.instanceType} has ${instance.instanceStoreGB} GB of local NVMe, the plan needs ${pool.diskGB} GB per database server`,
                );
            }
            warnings.push(
                "database data on instance-store NVMe (databaseInstanceStore: true): the disk is erased whenever a database server stops, is resized or replaced; " +
                    "a tier change that resizes database servers then rebuilds each replica from the others. Keep this off unless PostgreSQL replication and backups are trusted to carry the data.",
            );
        }
        const volumes = instanceStoreData ? [] : dataVolumesFor(role, plan, opts, errors);
        for (let i = 0; i < pool.count; i++) {
            const z = zoneIndex(role, i, opts.zoneCount);
            servers.push({
                name: `${ROLE_VALUES[role]}-${i}`,
                role,
                index: i,
                zoneIndex: z,
                subnet: role === "calls" ? "public" : "private",
                instance,
                dataVolumes: volumes,
                instanceStoreData,
                tainted: TAINTED_ROLES.includes(role),
            });
        }
    }
    if (errors.length > 0) {
        throw Object.assign(new Error(`invalid AWS node pool configuration:\n  - ${errors.join("\n  - ")}`), { problems: errors });
    }
    return { servers, warnings };
}
