// Label values the scrapes produce and the rules and dashboards select on.
import { MAIN, WORKER_TABLE } from "../synapse/worker-table";

/** `job` of a Synapse process: its pool's name (synapse-main, synapse-synchrotron, ...), one per worker type. */
export const synapseJob = (poolName: string) => poolName;

export const JOBS = {
    /** Matches every Synapse job. */
    synapseRegex: [MAIN.name, ...WORKER_TABLE.map((d) => d.name)].map(synapseJob).join("|"),
    router: "synapse-router",
    /** Recording rule: concurrent users (in-flight /sync long-polls over every process). */
    ccuRecord: "matrix:concurrent_users",
} as const;

/** kube-state-metrics' job in kube-prometheus-stack. */
export const HPA_JOB = "kube-state-metrics";

/** Servlets a connected client keeps a long-poll open on (sync v2 and sliding sync). */
export const SYNAPSE_CCU_SERVLETS = ["SyncRestServlet", "SlidingSyncRestServlet"] as const;
