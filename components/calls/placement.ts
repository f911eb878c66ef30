// Which call server runs which LiveKit and coturn instance. Pure: a function of
// the plan. Instances are pinned to named servers (the `matrix-scale.io/server`
// label) because each one advertises its own server's public address, and the
// names depend only on positions, never on the tier, so a tier change adds
// servers at the end and keeps every existing instance where it was.
import { ROLE_VALUES } from "../contracts";
import type { Plan } from "../../sizing/types";

export interface CallServer {
    /** Value of the server label, e.g. calls-3 (the AWS inventory's name). */
    readonly server: string;
    readonly index: number;
    /** Name of the LiveKit instance here, if any (livekit-<k>). */
    readonly livekit?: string;
    /** Name of the coturn instance here, if any (coturn-<k>). */
    readonly coturn?: string;
}

export const serverName = (index: number) => `${ROLE_VALUES.calls}-${index}`;

/**
 * Shared servers (guide §3.2, 100 CCU): server k runs livekit-k and coturn-k.
 * Dedicated servers: LiveKit on the even servers and coturn on the odd ones
 * while both have instances left, then the rest in order, so adding one of each
 * (the guide grows both together) appends two servers and moves nothing.
 */
export function callPlacement(plan: Pick<Plan, "livekit" | "coturn" | "callsColocated" | "nodePools">): CallServer[] {
    const lk = plan.livekit.instances;
    const tc = plan.coturn.instances;
    const servers: CallServer[] = [];
    if (plan.callsColocated) {
        for (let i = 0; i < Math.max(lk, tc); i++) {
            servers.push({
                server: serverName(i),
                index: i,
                ...(i < lk ? { livekit: `livekit-${i}` } : {}),
                ...(i < tc ? { coturn: `coturn-${i}` } : {}),
            });
        }
    } else {
        let l = 0;
        let t = 0;
        while (l < lk || t < tc) {
            const index = servers.length;
            const takeLivekit = l < lk && (t >= tc || index % 2 === 0);
            servers.push(takeLivekit ? { server: serverName(index), index, livekit: `livekit-${l++}` } : { server: serverName(index), index, coturn: `coturn-${t++}` });
        }
    }
    if (servers.length !== plan.nodePools.calls.count) {
        throw new Error(`internal: ${servers.length} call servers placed, the plan has ${plan.nodePools.calls.count}`);
    }
    return servers;
}
