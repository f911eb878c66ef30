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
    /** Pulumi name stem and node label `matrix-scale.io/server`; depends on role and index only. */
    readonly name: string;
    readonly role: NodeRole;
    readonly index: number;
    readonly zoneIndex: number;
    readonly zone: string;
    /** Call servers need public addresses for TURN/WebRTC; everything else stays private. */
    readonly subnet: "private" | "public";
    readonly instance: InstanceChoice;
    /**
     * Separate EBS volumes carrying the plan's disk: one per server, except
     * storage servers, which carry one per MinIO drive so losing a server loses
     * exactly its own drives. Empty when the data lives on instance-store NVMe.
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

/**
 * A role's EBS data volumes per server. Storage servers get one volume per
 * MinIO drive (plan.objectStore): MinIO's erasure sets assume a failed volume
 * takes one drive, and a failed server takes only its own drives.
 */
export function dataVolumesFor(role: NodeRole, plan: InventoryPlan, opts: AwsClusterOptions, errors: string[]): DataVolumeSpec[] {
    const pool = plan.nodePools[role];
    if (role !== "storage") return [dataVolumeFor(role, pool.diskType, pool.diskGB, opts)];
    const { drivesPerServer, driveGB } = plan.objectStore;
    if (drivesPerServer * driveGB !== pool.diskGB) {
        errors.push(`sizing plan: storage servers have ${pool.diskGB} GB of disk but ${drivesPerServer} MinIO drives of ${driveGB} GB each; the plan disagrees with itself`);
    }
    return Array.from({ length: drivesPerServer }, (_, k) => dataVolumeFor(role, pool.diskType, driveGB, opts, k));
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
    const zones = opts.availabilityZones;
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
            const z = zoneIndex(role, i, zones.length);
            servers.push({
                name: `${ROLE_VALUES[role]}-${i}`,
                role,
                index: i,
                zoneIndex: z,
                zone: zones[z],
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
