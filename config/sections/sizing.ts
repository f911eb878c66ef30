// Capacity overrides on top of the guide's plan. The plan itself rejects
// overrides that would remove capacity, so this section checks only shape.
import { MAX_EXTRA_SERVERS } from "../../sizing/plan";
import { WORKER_TYPES, type WorkerType } from "../../sizing/types";
import { integer, object, optional, type Field } from "../schema";

const workerCounts = Object.fromEntries(
    WORKER_TYPES.map((w) => [w, optional(integer({ description: `Replica count for the ${w} worker type (must not be below the plan's).`, min: 0 }))]),
) as Record<WorkerType, Field<number | undefined>>;

export const sizing = {
    sizing: object(
        {
            workers: object(workerCounts, { description: "Worker replica counts by worker type; only types listed here change." }),
            extraServers: object(
                {
                    app: optional(
                        integer({
                            description:
                                "Application servers added to the guide's inventory. `npm run schedule` (and `npm run plan`) says how many the tier needs so that every pod fits with one application server lost (N+1).",
                            min: 0,
                            max: MAX_EXTRA_SERVERS,
                        }),
                    ),
                },
                { description: "Servers added to a pool beyond the guide's inventory (only ever more; removing them later drains those servers)." },
            ),
            postgresMaxConnections: optional(
                integer({ description: "PostgreSQL max_connections (must not be below the plan's).", min: 1, max: 10000 }),
            ),
        },
        { description: "Overrides that add capacity above the guide's plan for this CCU.", optional: true },
    ),
} as const;
