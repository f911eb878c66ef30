// How long the LI sync takes at a tier, from one measured throughput, and
// whether LI can hold the copy at all. The plan report prints it; nothing
// deploys from it.
import type { Plan } from "../../sizing/types";
import { liSizing } from "./sizing";

/**
 * Dump + restore + ANALYZE + switch throughput of the generated script, in MB
 * of database (pg_database_size) per second of wall time. Provenance:
 * `npm run bench:li-sync -- --scale=40000` (685 MB of Synapse-shaped rows, 3
 * jobs, 70 s) on 2026-12-03, loopback on a shared 2-core AMD EPYC build
 * machine with fsync off and a load average near 30 from other builds: a
 * pessimistic figure. A real LI server (4-16 dedicated vCPU, SSD, a network hop
 * to the replica) differs: re-measure there and replace this number.
 */
export const MEASURED_SYNC_MBPS = 9.8;
export const MEASURED_DATABASE_MB = 685;

export interface SyncEstimate {
    /** The main database size assumed: the guide's database disk per instance (the most it can hold). */
    readonly databaseGB: number;
    readonly seconds: number;
    readonly intervalSeconds: number;
    readonly maxSyncedDatabaseGB: number;
    readonly warnings: readonly string[];
}

export function syncEstimate(plan: Plan, intervalSeconds: number, mbps = MEASURED_SYNC_MBPS): SyncEstimate {
    const databaseGB = plan.postgres.storageGB;
    const seconds = (databaseGB * 1000) / mbps;
    const li = liSizing(plan);
    const warnings: string[] = [];
    const h = (s: number) => `${(s / 3600).toFixed(1)} h`;
    if (seconds > intervalSeconds) {
        warnings.push(`an LI sync of a ${databaseGB} GB database takes about ${h(seconds)} at ${mbps} MB/s, longer than the sync interval (${h(intervalSeconds)}): lengthen matrix:li.sync.schedule's interval or re-measure on the LI server`);
    }
    if (databaseGB > li.maxSyncedDatabaseGB) {
        warnings.push(`the LI server's claims hold a main database of at most ${li.maxSyncedDatabaseGB} GB (two copies during a sync), but the main database may grow to ${databaseGB} GB: watch its size (the sync fails, and LI keeps its previous copy, when the LI volume is full)`);
    }
    return { databaseGB, seconds, intervalSeconds, maxSyncedDatabaseGB: li.maxSyncedDatabaseGB, warnings };
}
