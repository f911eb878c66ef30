// The monitoring server's volumes from guide §2.3: "Monitoring (Prometheus +
// Loki) = 50GB (base) + (CCU / 100) x 1GB". The guide gives one total; the split
// is the program's: 1 GB for Alertmanager's silences and notification log,
// then 60% of the rest to Prometheus and 40% to Loki. Both parts grow with CCU:
// log volume with requests, metric series with the number of Synapse processes
// the plan runs for that CCU.
import type { MonitoringPlan } from "./types";

export const MONITORING_BASE_GB = 50;
export const MONITORING_CCU_PER_GB = 100;
export const ALERTMANAGER_GB = 1;
export const PROMETHEUS_SHARE = 0.6;
/** Prometheus stops at this share of its volume by size: the WAL and compaction need the rest. */
export const PROMETHEUS_RETENTION_SIZE_SHARE = 0.85;
export const PROMETHEUS_RETENTION_DAYS = 30;
export const LOKI_RETENTION_DAYS = 14;

export function monitoringPlan(ccu: number): MonitoringPlan {
    const storageGB = Math.ceil(MONITORING_BASE_GB + ccu / MONITORING_CCU_PER_GB);
    const prometheusGB = Math.ceil((storageGB - ALERTMANAGER_GB) * PROMETHEUS_SHARE);
    const lokiGB = storageGB - ALERTMANAGER_GB - prometheusGB;
    return {
        storageGB,
        prometheusGB,
        alertmanagerGB: ALERTMANAGER_GB,
        lokiGB,
        prometheusRetentionDays: PROMETHEUS_RETENTION_DAYS,
        prometheusRetentionGB: Math.floor(prometheusGB * PROMETHEUS_RETENTION_SIZE_SHARE),
        lokiRetentionDays: LOKI_RETENTION_DAYS,
    };
}
