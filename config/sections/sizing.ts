// Capacity overrides on top of the guide's plan. The plan itself rejects
// overrides that would remove capacity, so this section checks only shape.
import { WORKER_TYPES, type WorkerType } from "../../sizing/types";
import { integer, object, optional, type Field } from "../schema";

const workerCounts = Object.fromEntries(
    WORKER_TYPES.map((w) => [w, optional(integer({ description: `Replica count for the ${w} worker type (must not be below the plan's).`, min: 0 }))]),
) as Record<WorkerType, Field<number | undefined>>;

export const sizing = {
    sizing: object(
        {
            workers: object(workerCounts, { description: "Worker replica counts by worker type; only types listed here change." }),
            postgresMaxConnections: optional(
                integer({ description: "PostgreSQL max_connections (must not be below the plan's).", min: 1, max: 10000 }),
            ),
        },
        { description: "Overrides that add capacity above the guide's plan for this CCU.", optional: true },
    ),
} as const;
