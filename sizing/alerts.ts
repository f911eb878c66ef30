// Alert thresholds. The guide's own numbers come first, each with its section;
// the others are the program's, for signals the guide names without a number
// (pool exhaustion, replication lag, backups) and say so in docs/monitoring.md.
// The monitoring stack turns every one of these into a rule; none is written
// anywhere else.
import type { AlertThresholds } from "./types";

export const ALERTS: AlertThresholds = {
    // §8.2 "When to Scale Up".
    ccuPlanUpgradePercent: 70,
    ccuUrgentUpgradePercent: 90,
    cpuPercent: 75,
    memoryPercent: 85,
    dbConnectionsPercent: 70,
    messageLatencyP99Ms: 500,
    // §8.2 says 5%, §11.4 says 2%: the earlier warning wins (listed as an erratum).
    callFailurePercent: 2,
    // §11.4 "Call Quality Metrics": the "poor" ends alert, the "acceptable" ends are dashboard lines.
    packetLossPoorPercent: 3,
    packetLossAcceptablePercent: 1,
    jitterPoorMs: 50,
    jitterAcceptableMs: 30,
    latencyPoorMs: 300,
    latencyAcceptableMs: 150,
    callCpuPercent: 70,
    callCpuAddCapacityPercent: 85,
    // §12.2: pools must stay below 85% of max_connections; reaching it precedes "too many clients" (§12.5).
    dbConnectionsBudgetPercent: 85,
    // The program's: "sustained" (§8.2, §11.4) as a duration.
    sustainedMinutes: 15,
    // The program's: §12.5 "connection pool exhausted" as the mean wait for a pool connection.
    dbPoolWaitMs: 50,
    // The program's: §2.5 stream writers' updates queued, unprocessed, on a process (Synapse exports
    // the queue length per stream, not a lag in seconds).
    replicationBacklogCommands: 1000,
    // The program's: event persistence falling behind (events not yet processed by background handlers).
    eventProcessingLagSeconds: 30,
    // The program's: a PostgreSQL standby's replay lag (synchronous replication keeps it near zero).
    postgresReplicationLagSeconds: 30,
    // The program's: how long an HPA may sit at its maximum before it means "the tier is too small".
    hpaAtMaxMinutes: 15,
    // The program's: §8.2 "storage growth < capacity remaining", as months of §10.1 growth still free
    // (the lead time to order and add a MinIO pool).
    storageHeadroomMonths: 3,
    // The program's: free space on any persistent volume.
    volumeFreePercent: 15,
    // The program's: slack after a backup's schedule before it counts as missed.
    backupGraceHours: 2,
    // The program's: intervals the LI sync may miss before alerting (the issue says two).
    liSyncMissedIntervals: 2,
};
