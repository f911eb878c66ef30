// Which availability zone a server lives in. A server's zone is part of its
// identity (changing it replaces the instance and strands its EBS volumes), so
// it is a pure function of (role, index) and the configured zone list, never
// of the tier: growing a role only appends servers, existing ones stay put.
import { NODE_ROLES, type NodeRole } from "../../../sizing/types";

/**
 * Round-robin from a per-role starting zone. Round-robin keeps every role
 * balanced (each zone holds floor or ceil of count/zones servers), so losing
 * one zone takes at most its share. The per-role offset spreads the roles
 * that have a single server (LI, monitoring) over different zones instead of
 * stacking all singletons in the first one.
 */
export function zoneIndex(role: NodeRole, index: number, zoneCount: number): number {
    if (!Number.isInteger(index) || index < 0) throw new Error(`server index must be a non-negative integer, got ${index}`);
    if (!Number.isInteger(zoneCount) || zoneCount < 2) throw new Error(`zone count must be an integer >= 2, got ${zoneCount}`);
    return (NODE_ROLES.indexOf(role) + index) % zoneCount;
}

/** Servers per zone for `count` servers of a role, in zone order. */
export function zoneSpread(role: NodeRole, count: number, zoneCount: number): number[] {
    const perZone = new Array<number>(zoneCount).fill(0);
    for (let i = 0; i < count; i++) perZone[zoneIndex(role, i, zoneCount)]++;
    return perZone;
}
