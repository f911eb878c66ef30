// Synthetic series for every generated alert, for `promtool test rules`: each
// fixture builds the input series that put the alert's measured quantity just
// above its plan threshold ("fire") or just below it ("quiet"), and the
// labels the alert then carries. Thresholds are read from the plan, never
// repeated here.
import type { Plan } from "../../sizing/types";
import { ROLE_LABEL, ROLE_VALUES, CONTRACT_METRICS } from "../../components/contracts";
import { ksmNodeLabel } from "../../components/monitoring/placement";
import { HPA_JOB } from "../../components/monitoring/scrape-labels";
import { backupJobAlertName, cronPeriodHours } from "../../components/monitoring/rules";

export type Mode = "fire" | "quiet";
export interface Series {
    readonly series: string;
    readonly values: string;
}
export interface Fixture {
    readonly series: (mode: Mode) => Series[];
    /** Labels of the firing alert besides alertname and severity. */
    readonly labels: Record<string, string>;
    /** Minutes after which the measured condition holds (rate windows filled, offsets passed). */
    readonly settleMinutes?: number;
}

const sel = (name: string, labels: Record<string, string>) =>
    `${name}{${Object.entries(labels)
        .map(([k, v]) => `${k}="${v}"`)
        .join(",")}}`;
const gauge = (name: string, labels: Record<string, string>, value: number, minutes = 120): Series => ({ series: sel(name, labels), values: `${value}x${minutes}` });
/** A counter growing by perSecond (per-minute samples). */
const counter = (name: string, labels: Record<string, string>, perSecond: number, minutes = 120): Series => ({
    series: sel(name, labels),
    values: `0+${perSecond * 60}x${minutes}`,
});
/** Just above / just below a threshold on a continuous quantity. */
const around = (mode: Mode, threshold: number) => (mode === "fire" ? threshold * 1.02 : threshold * 0.98);
/** For "less than" conditions. */
const below = (mode: Mode, threshold: number) => (mode === "fire" ? threshold * 0.98 : threshold * 1.02);

/** A histogram whose observations all fall in (lo, hi]: histogram_quantile then lies inside that bucket. */
function histogramIn(name: string, labels: Record<string, string>, bounds: readonly number[], lo: number, perSecond: number): Series[] {
    return [...bounds.map(String), "+Inf"].map((le) => counter(`${name}_bucket`, { ...labels, le }, Number(le) > lo || le === "+Inf" ? perSecond : 0));
}

type BackupJob = { readonly name: string; readonly namespace: string; readonly schedule: string };

export function ruleFixtures(plan: Plan, backupJobs: readonly BackupJob[] = []): Record<string, Fixture> {
    const a = plan.alerts;
    const tier = plan.tier.upper;
    const sync = { servlet: "SyncRestServlet", job: "synapse-synchrotron", index: "0" };
    const synapse = { job: "synapse-generic-worker", index: "abcde" };
    const cpu = (node: string, busy: number) => counter("node_cpu_seconds_total", { node, cpu: "0", mode: "idle" }, 1 - busy);
    const role = ksmNodeLabel(ROLE_LABEL);
    const nodeRole = (node: string, r: string) => gauge("kube_node_labels", { node, [role]: r, job: HPA_JOB }, 1);
    const pgRatio = (mode: Mode, percent: number): Series[] => {
        const max = plan.postgres.maxConnections;
        const atThreshold = Math.floor((max * percent) / 100);
        return [
            gauge("cnpg_backends_total", { pod: "synapse-db-1", datname: "synapse", state: "active" }, mode === "fire" ? atThreshold + 1 : atThreshold),
            gauge("cnpg_pg_settings_setting", { pod: "synapse-db-1", name: "max_connections" }, max),
        ];
    };
    const mean = (name: string, labels: Record<string, string>, value: number): Series[] => [
        counter(`${name}_count`, labels, 10),
        counter(`${name}_sum`, labels, 10 * value),
    ];
    const lk = { node_id: "ND_1", node_type: "MEDIA" };
    const hpaMax = plan.synapse.workers.synchrotron.maxReplicas;
    const hpa = { job: HPA_JOB, namespace: "matrix", horizontalpodautoscaler: "synapse-synchrotron" };

    return {
        MatrixCcuPlanUpgrade: { series: (m) => [gauge("synapse_http_server_in_flight_requests_count", sync, Math.round(around(m, (tier * a.ccuPlanUpgradePercent) / 100)))], labels: {} },
        MatrixCcuUrgentUpgrade: { series: (m) => [gauge("synapse_http_server_in_flight_requests_count", sync, Math.round(around(m, (tier * a.ccuUrgentUpgradePercent) / 100)))], labels: {} },
        MatrixMessageLatencyHigh: {
            // The threshold is a bucket boundary of Synapse's histogram: "just below" is the bucket under it.
            series: (m) => histogramIn("synapse_http_server_response_time_seconds", { servlet: "RoomSendEventRestServlet", method: "PUT" }, [0.25, 0.5, 1, 2.5], m === "fire" ? a.messageLatencyP99Ms / 1000 : 0.25, 5),
            labels: {},
        },
        MatrixHpaAtMaximum: {
            series: (m) => [
                gauge("kube_horizontalpodautoscaler_status_current_replicas", hpa, m === "fire" ? hpaMax : hpaMax - 1),
                gauge("kube_horizontalpodautoscaler_spec_max_replicas", hpa, hpaMax),
            ],
            labels: hpa,
        },
        NodeCpuHigh: { series: (m) => [cpu("app-0", around(m, a.cpuPercent / 100))], labels: { node: "app-0" } },
        NodeMemoryHigh: {
            series: (m) => [
                gauge("node_memory_MemTotal_bytes", { node: "app-0" }, 64e9),
                gauge("node_memory_MemAvailable_bytes", { node: "app-0" }, 64e9 * (1 - around(m, a.memoryPercent / 100))),
            ],
            labels: { node: "app-0" },
        },
        VolumeSpaceLow: {
            series: (m) => [
                gauge("kubelet_volume_stats_capacity_bytes", { namespace: "monitoring", persistentvolumeclaim: "prometheus-db" }, 100e9),
                gauge("kubelet_volume_stats_available_bytes", { namespace: "monitoring", persistentvolumeclaim: "prometheus-db" }, 100e9 * below(m, a.volumeFreePercent / 100)),
            ],
            labels: { namespace: "monitoring", persistentvolumeclaim: "prometheus-db" },
        },
        MediaStorageHeadroomLow: {
            series: (m) => [gauge("minio_cluster_capacity_usable_free_bytes", { server: "minio-0" }, below(m, Math.round((plan.media.annualGrowthGB * a.storageHeadroomMonths) / 12) * 1e9))],
            labels: {},
        },
        SynapseDown: {
            series: (m) => [gauge("up", { job: "synapse-main", index: "0", pod: "synapse-main-0" }, m === "fire" ? 0 : 1)],
            labels: { job: "synapse-main", index: "0", pod: "synapse-main-0" },
        },
        SynapseDatabasePoolExhausted: { series: (m) => mean("synapse_storage_schedule_time", synapse, around(m, a.dbPoolWaitMs / 1000)), labels: synapse },
        SynapseEventProcessingLag: {
            series: (m) => [gauge("synapse_event_processing_lag", { ...synapse, name: "pusherpool" }, around(m, a.eventProcessingLagSeconds * 1000))],
            labels: { ...synapse, name: "pusherpool" },
        },
        SynapseReplicationLag: {
            series: (m) => [gauge("synapse_replication_tcp_command_queue", { ...synapse, stream_name: "events" }, m === "fire" ? a.replicationBacklogCommands + 1 : a.replicationBacklogCommands)],
            labels: { ...synapse, stream_name: "events" },
        },
        MatrixInfectedUpload: {
            series: (m) => [{ series: sel(CONTRACT_METRICS.infectedUploads, synapse), values: m === "fire" ? "0x5 1x60" : "0x65" }],
            labels: synapse,
        },
        PostgresConnectionsHigh: { series: (m) => pgRatio(m, a.dbConnectionsPercent), labels: { pod: "synapse-db-1" } },
        PostgresTooManyClientsImminent: { series: (m) => pgRatio(m, a.dbConnectionsBudgetPercent), labels: { pod: "synapse-db-1" } },
        PostgresReplicationLag: { series: (m) => [gauge("cnpg_pg_replication_lag", { pod: "synapse-db-2" }, around(m, a.postgresReplicationLagSeconds))], labels: { pod: "synapse-db-2" } },
        PostgresFailover: {
            // fire: a standby for 10 minutes, then primary; quiet: primary all along.
            series: (m) => [{ series: sel("cnpg_pg_replication_in_recovery", { pod: "synapse-db-2" }), values: m === "fire" ? "1x10 0x60" : "0x70" }],
            labels: { pod: "synapse-db-2" },
            settleMinutes: 12,
        },
        RedisDown: { series: (m) => [gauge("redis_up", { namespace: "matrix", pod: "redis-synapse-0" }, m === "fire" ? 0 : 1)], labels: { namespace: "matrix", pod: "redis-synapse-0" } },
        RedisFailover: {
            series: (m) => [{ series: sel("redis_instance_info", { namespace: "matrix", pod: "redis-synapse-1", role: "master" }), values: m === "fire" ? "_x10 1x60" : "1x70" }],
            labels: { namespace: "matrix", pod: "redis-synapse-1" },
            settleMinutes: 12,
        },
        RedisReplicaLinkDown: {
            series: (m) => [gauge("redis_master_link_up", { namespace: "matrix", pod: "redis-synapse-2" }, m === "fire" ? 0 : 1)],
            labels: { namespace: "matrix", pod: "redis-synapse-2" },
        },
        CallFailureRateHigh: {
            series: (m) => [
                counter("livekit_participant_join_total", { ...lk, state: "rtc_init" }, 100),
                counter("livekit_participant_join_total", { ...lk, state: "rtc_failure" }, 100 * around(m, a.callFailurePercent / 100)),
            ],
            labels: {},
        },
        CallPacketLossPoor: { series: (m) => mean("livekit_packet_loss_percent", lk, around(m, a.packetLossPoorPercent)), labels: { node_id: lk.node_id } },
        CallJitterPoor: { series: (m) => mean("livekit_jitter_us", lk, around(m, a.jitterPoorMs * 1000)), labels: { node_id: lk.node_id } },
        CallLatencyPoor: { series: (m) => mean("livekit_rtt_ms", lk, around(m, a.latencyPoorMs)), labels: { node_id: lk.node_id } },
        CallServerCpuHigh: {
            // An application server at 99% never raises the call-server alert.
            series: (m) => [cpu("calls-0", around(m, a.callCpuPercent / 100)), nodeRole("calls-0", ROLE_VALUES.calls), cpu("app-0", 0.99), nodeRole("app-0", ROLE_VALUES.app)],
            labels: { node: "calls-0", [role]: ROLE_VALUES.calls },
        },
        CallServerCpuCritical: {
            series: (m) => [cpu("calls-0", around(m, a.callCpuAddCapacityPercent / 100)), nodeRole("calls-0", ROLE_VALUES.calls), cpu("app-0", 0.99), nodeRole("app-0", ROLE_VALUES.app)],
            labels: { node: "calls-0", [role]: ROLE_VALUES.calls },
        },
        // Timestamps compared with time(): their series come from timedSeries at the evaluation time.
        LawfulInterceptSyncStale: {
            series: () => [],
            labels: { namespace: "matrix-li" },
        },
        LawfulInterceptSyncMissing: {
            series: (m) => (m === "fire" ? [gauge("up", { job: "unrelated" }, 1)] : [gauge(CONTRACT_METRICS.liSyncLastSuccess, { namespace: "matrix-li" }, 1)]),
            labels: {},
        },
        PostgresBackupTooOld: { series: () => [], labels: {} },
        ...Object.fromEntries(backupJobs.map((j) => [backupJobAlertName(j.name), { series: () => [], labels: { namespace: j.namespace, cronjob: j.name } }])),
    };
}

/** Series whose values depend on the evaluation time (timestamps compared with time()). */
export function timedSeries(alert: string, mode: Mode, evalSeconds: number, plan: Plan, backupSchedule: string, backupJobs: readonly BackupJob[] = []): Series[] | undefined {
    const a = plan.alerts;
    const slack = mode === "fire" ? -60 : 60;
    if (alert === "LawfulInterceptSyncStale") {
        const interval = 300;
        return [
            gauge(CONTRACT_METRICS.liSyncInterval, { namespace: "matrix-li" }, interval),
            gauge(CONTRACT_METRICS.liSyncLastSuccess, { namespace: "matrix-li" }, evalSeconds - a.liSyncMissedIntervals * interval + slack),
        ];
    }
    const job = backupJobs.find((j) => backupJobAlertName(j.name) === alert);
    if (job) {
        const maxAge = (cronPeriodHours(`0 ${job.schedule}`) + a.backupGraceHours) * 3600;
        const labels = { namespace: job.namespace, cronjob: job.name };
        // Created long ago; its last success just past (fire) or just within (quiet) the allowed age.
        return [gauge("kube_cronjob_created", labels, evalSeconds - 30 * 24 * 3600), gauge("kube_cronjob_status_last_successful_time", labels, evalSeconds - maxAge + slack)];
    }
    if (alert === "PostgresBackupTooOld") {
        const maxAge = (cronPeriodHours(backupSchedule) + a.backupGraceHours) * 3600;
        return [gauge("cnpg_collector_last_available_backup_timestamp", { pod: "synapse-db-1" }, evalSeconds - maxAge + slack)];
    }
    return undefined;
}
