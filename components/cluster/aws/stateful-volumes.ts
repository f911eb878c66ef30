// EBS volumes cannot shrink. Before any stateful volume is touched, the
// program compares the sizes it plans with the sizes the volumes have in AWS
// and refuses a change that would shrink one, naming the key that prevents it
// (the data layer's storage floor, which sizes these volumes too).
import type { Inventory } from "./inventory";
import { STATEFUL_ROLES } from "./inventory";

/** The tag marking the volumes this check reads back from AWS. */
export const STATEFUL_TAG = "matrix-scale.io/stateful";
export const FLOOR_KEY = "matrix:data.storageFloorCcu";

export interface ExistingVolume {
    /** The volume's Name tag. */
    readonly name: string;
    readonly sizeGiB: number;
}

/** Name tag of data volume k of a server: the identity the check matches on. */
export function volumeNameTag(clusterName: string, serverName: string, k: number): string {
    return `${clusterName}-${serverName}-data-${k}`;
}

/** Planned size of every stateful data volume, by Name tag. */
export function plannedStatefulVolumes(inventory: Inventory, clusterName: string): Map<string, number> {
    const planned = new Map<string, number>();
    for (const s of inventory.servers) {
        if (!STATEFUL_ROLES.includes(s.role)) continue;
        for (const v of s.dataVolumes) planned.set(volumeNameTag(clusterName, s.name, v.index), v.sizeGiB);
    }
    return planned;
}

/** One problem per existing volume the plan would shrink; empty when none. */
export function shrinkProblems(existing: readonly ExistingVolume[], planned: ReadonlyMap<string, number>, ccu: number): string[] {
    const problems: string[] = [];
    for (const v of existing) {
        const next = planned.get(v.name);
        if (next !== undefined && next < v.sizeGiB) {
            problems.push(
                `${FLOOR_KEY}: volume ${v.name} is ${v.sizeGiB} GiB in AWS, but ${ccu} CCU would size it ${next} GiB and EBS volumes cannot shrink; ` +
                    `set ${FLOOR_KEY} to the largest CCU this stack has run at (the stateful servers and volumes then keep that tier's size)`,
            );
        }
    }
    return problems;
}
