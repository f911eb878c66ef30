// The database connection budget of guide §12: the sum of cp_max over every
// Synapse process must stay strictly below 85% of max_connections, leaving
// 15% for autovacuum, monitoring and administrators.
import { Bracket, step } from "./interpolate";
import type { ConnectionPool, WorkerType } from "./types";
import { LIGHT_POOL, WORKER_RULES } from "./workers";

export const BUDGET_PERCENT = 85;
/** max_connections is raised, when it must be, in steps of this size. */
export const MAX_CONNECTIONS_STEP = 50;

export interface PoolSizes {
    readonly main: ConnectionPool;
    readonly standard: ConnectionPool;
    readonly light: ConnectionPool;
}

/**
 * Per-process pools. Worker cp_max between two tiers is the smaller of the
 * two tiers' values: the guide lowers it at 20K (15 -> 12) precisely to fit
 * the budget, and in between the process count is already climbing to the
 * upper tier's.
 */
export function poolSizes(b: Bracket): PoolSizes {
    const cpMin = step(b, (t) => t.pools.cpMin);
    return {
        main: { cpMin, cpMax: step(b, (t) => t.pools.mainCpMax) },
        standard: { cpMin, cpMax: Math.min(b.lo.pools.workerCpMax, b.hi.pools.workerCpMax) },
        light: LIGHT_POOL,
    };
}

export function withinBudget(total: number, maxConnections: number): boolean {
    // Integer form of total < 0.85 * max_connections.
    return 100 * total < BUDGET_PERCENT * maxConnections;
}

/** Smallest max_connections, at least `floor` and on the step grid above it, that keeps `total` within budget. */
export function requiredMaxConnections(total: number, floor: number): number {
    if (withinBudget(total, floor)) {
        return floor;
    }
    const needed = Math.floor((100 * total) / BUDGET_PERCENT) + 1;
    return Math.ceil(needed / MAX_CONNECTIONS_STEP) * MAX_CONNECTIONS_STEP;
}

export function poolOf(type: WorkerType, pools: PoolSizes): ConnectionPool {
    return pools[WORKER_RULES[type].poolClass];
}

export function totalConnections(counts: Readonly<Record<WorkerType, number>>, pools: PoolSizes): number {
    let total = pools.main.cpMax;
    for (const type of Object.keys(counts) as WorkerType[]) {
        total += counts[type] * poolOf(type, pools).cpMax;
    }
    return total;
}

/** Extra pods a rolling update of an autoscaled pool runs beside the old ones (its maxSurge). */
export const ROLLING_SURGE_PODS = 1;

/** Connections the surge pods of every autoscaled pool hold during a rollout at the HPA maximum. */
export function surgeConnections(counts: Readonly<Record<WorkerType, number>>, pools: PoolSizes): number {
    return (Object.keys(counts) as WorkerType[])
        .filter((t) => WORKER_RULES[t].autoscaled && counts[t] > 0)
        .reduce((a, t) => a + ROLLING_SURGE_PODS * poolOf(t, pools).cpMax, 0);
}

/**
 * HPA maxima for the autoscaled types: add replicas one at a time, taking
 * turns, while the budget still holds, up to twice the planned count. The
 * HPA can then never scale the deployment into "too many clients".
 */
export function autoscaleMaxima(
    counts: Readonly<Record<WorkerType, number>>,
    pools: PoolSizes,
    maxConnections: number,
): Record<WorkerType, number> {
    const maxima = { ...counts };
    // A rollout at the maxima runs one surge pod per autoscaled pool: the budget holds with them too.
    let total = totalConnections(counts, pools) + surgeConnections(counts, pools);
    const scalable = (Object.keys(counts) as WorkerType[]).filter((t) => WORKER_RULES[t].autoscaled && counts[t] > 0);
    let grew = true;
    while (grew) {
        grew = false;
        for (const type of scalable) {
            const cp = poolOf(type, pools).cpMax;
            if (maxima[type] < 2 * counts[type] && withinBudget(total + cp, maxConnections)) {
                maxima[type] += 1;
                total += cp;
                grew = true;
            }
        }
    }
    return maxima;
}
