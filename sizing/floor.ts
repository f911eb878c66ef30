// matrix:data.storageFloorCcu: volumes and stateful servers only ever grow, so
// below the floor tier they keep the floor tier's sizes. Every component that
// sizes something stateful (cluster disks, the data layer, the LI instance)
// reads the floor from here.
import { computePlan } from "./plan";
import type { Plan } from "./types";

/** The floor tier's plan, when the floor is above the current tier; otherwise undefined. */
export function floorPlanOf(plan: Plan, storageFloorCcu: number | undefined): Plan | undefined {
    return storageFloorCcu !== undefined && storageFloorCcu > plan.ccu ? computePlan({ ccu: storageFloorCcu, federation: plan.federation }) : undefined;
}
