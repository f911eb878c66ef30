// Alert thresholds from guide §8.2 ("When to Scale Up") and §11.4 ("Call
// Quality Metrics"). The monitoring stack turns these into rules.
import type { AlertThresholds } from "./types";

export const ALERTS: AlertThresholds = {
    cpuPercent: 75,
    memoryPercent: 85,
    dbConnectionsPercent: 70,
    messageLatencyP99Ms: 500,
    // §8.2 says 5%, §11.4 says 2%: the earlier warning wins (listed as an erratum).
    callFailurePercent: 2,
    packetLossPoorPercent: 3,
    jitterPoorMs: 50,
    latencyPoorMs: 300,
    callCpuPercent: 70,
    ccuPlanUpgradePercent: 70,
    ccuUrgentUpgradePercent: 90,
};
