// PrometheusRule groups for every threshold of plan.alerts. Each alert names
// the guide section its threshold comes from (or "program" for the program's
// own numbers), a summary and a runbook line; docs/monitoring.md lists them.
// Pure: promtool checks and tests the same groups the cluster receives.
import type { Plan } from "../../sizing/types";
import { CONTRACT_METRICS, NAMESPACES, ROLE_LABEL, ROLE_VALUES } from "../contracts";
import { HPA_JOB, JOBS, SYNAPSE_CCU_SERVLETS } from "./scrape-labels";
import { ksmNodeLabel } from "./placement";

export type Severity = "warning" | "critical";

export interface AlertRule {
    readonly alert: string;
    readonly expr: string;
    /** Prometheus duration; "0m" fires on the first evaluation. */
    readonly for: string;
    readonly severity: Severity;
    /** Guide section of the threshold, or "program" (see sizing/alerts.ts). */
    readonly source: string;
    /** The threshold in words, with its number (docs and annotations). */
    readonly threshold: string;
    /** Summary; `{{ $labels.x }}` only (no $value: the text is tested verbatim). */
    readonly summary: string;
    readonly runbook: string;
}

export interface AlertGroup {
    readonly name: string;
    readonly rules: readonly AlertRule[];
}

export interface RuleContext {
    /** CloudNativePG ScheduledBackup cron (six fields, seconds first), when backups are configured. */
    readonly backupSchedule?: string;
    /** The backup CronJobs (media mirror, LI database, key_vault) with their five-field crons. */
    readonly backupJobs?: readonly { readonly name: string; readonly namespace: string; readonly schedule: string }[];
}

const pascal = (name: string) => name.replace(/(^|-)([a-z0-9])/g, (_, __, c: string) => c.toUpperCase());
/** The age alert of one backup CronJob. */
export const backupJobAlertName = (job: string) => `BackupTooOld${pascal(job)}`;

const min = (m: number) => `${m}m`;
const pct = (p: number) => p / 100;

/** Hours between two runs of a six-field cron (seconds first), for the backup age alert. */
export function cronPeriodHours(cron: string): number {
    const f = cron.trim().split(/\s+/);
    if (f.length !== 6) throw new Error(`backup schedule ${JSON.stringify(cron)}: expected six cron fields (seconds first)`);
    const [, , hour, dom, month, dow] = f;
    if (month !== "*") return 24 * 366;
    if (dom !== "*") return 24 * 31;
    if (dow !== "*") return 24 * 7;
    if (hour === "*") return 1;
    const every = /^\*\/(\d+)$/.exec(hour);
    if (every) return Number(every[1]);
    // "3" or "3,15": the longest gap between listed hours in a day.
    const hours = hour.split(",").map(Number).sort((a, b) => a - b);
    if (hours.some((h) => !Number.isInteger(h) || h < 0 || h > 23)) throw new Error(`backup schedule ${JSON.stringify(cron)}: unsupported hour field ${hour}`);
    return Math.max(...hours.map((h, i) => (i + 1 < hours.length ? hours[i + 1] - h : 24 - h + hours[0])));
}

/** Node CPU busy share per node, with the node's role joined from kube-state-metrics. */
const roleLabel = ksmNodeLabel(ROLE_LABEL);
const nodeCpuBusy = `(1 - avg by (node) (rate(node_cpu_seconds_total{mode="idle"}[5m])))`;
const onRole = (role: string) => `* on (node) group_left (${roleLabel}) max by (node, ${roleLabel}) (kube_node_labels{${roleLabel}="${role}"})`;

export function alertGroups(plan: Plan, ctx: RuleContext = {}): AlertGroup[] {
    const a = plan.alerts;
    const sustained = min(a.sustainedMinutes);
    const tierCcu = plan.tier.upper;
    const groups: AlertGroup[] = [
        {
            name: "matrix-capacity",
            rules: [
                {
                    alert: "MatrixCcuPlanUpgrade",
                    expr: `avg_over_time(${JOBS.ccuRecord}[1h]) > ${(tierCcu * a.ccuPlanUpgradePercent) / 100}`,
                    for: "0m",
                    severity: "warning",
                    source: "§8.2",
                    threshold: `average CCU over 1 h > ${a.ccuPlanUpgradePercent}% of the ${tierCcu} CCU tier (${(tierCcu * a.ccuPlanUpgradePercent) / 100})`,
                    summary: `Average concurrent users exceed ${a.ccuPlanUpgradePercent}% of the ${tierCcu} CCU tier`,
                    runbook: "Plan the upgrade to the next tier: raise matrix:ccu in a maintenance window (docs/sizing.md, tier changes).",
                },
                {
                    alert: "MatrixCcuUrgentUpgrade",
                    expr: `max_over_time(${JOBS.ccuRecord}[5m]) > ${(tierCcu * a.ccuUrgentUpgradePercent) / 100}`,
                    for: "0m",
                    severity: "critical",
                    source: "§8.2",
                    threshold: `peak CCU > ${a.ccuUrgentUpgradePercent}% of the ${tierCcu} CCU tier (${(tierCcu * a.ccuUrgentUpgradePercent) / 100})`,
                    summary: `Peak concurrent users exceed ${a.ccuUrgentUpgradePercent}% of the ${tierCcu} CCU tier`,
                    runbook: "Upgrade now: raise matrix:ccu to the next tier and run pulumi up; meanwhile watch sync latency and database connections.",
                },
                {
                    alert: "MatrixMessageLatencyHigh",
                    expr: `histogram_quantile(0.99, sum by (le) (rate(synapse_http_server_response_time_seconds_bucket{servlet="RoomSendEventRestServlet"}[5m]))) > ${a.messageLatencyP99Ms / 1000}`,
                    for: "10m",
                    severity: "warning",
                    source: "§8.2",
                    threshold: `p99 of message sending > ${a.messageLatencyP99Ms} ms for 10 min`,
                    summary: `Message latency p99 is above ${a.messageLatencyP99Ms} ms`,
                    runbook: "Add sync workers (matrix:sizing.workers.synchrotron) or move to the next tier; check database and event persister load first.",
                },
                {
                    alert: "MatrixHpaAtMaximum",
                    expr: `kube_horizontalpodautoscaler_status_current_replicas{job="${HPA_JOB}",namespace="${NAMESPACES.matrix}"} >= kube_horizontalpodautoscaler_spec_max_replicas{job="${HPA_JOB}",namespace="${NAMESPACES.matrix}"}`,
                    for: min(a.hpaAtMaxMinutes),
                    severity: "warning",
                    source: "§2.5",
                    threshold: `an autoscaler at its maximum for ${a.hpaAtMaxMinutes} min`,
                    summary: "Autoscaler {{ $labels.horizontalpodautoscaler }} has been at its maximum replicas",
                    runbook: "The connection budget caps this HPA: raise matrix:sizing.postgresMaxConnections for headroom, or move to the next tier.",
                },
                {
                    alert: "NodeCpuHigh",
                    expr: `${nodeCpuBusy} > ${pct(a.cpuPercent)}`,
                    for: sustained,
                    severity: "warning",
                    source: "§8.2",
                    threshold: `node CPU > ${a.cpuPercent}% for ${a.sustainedMinutes} min`,
                    summary: `CPU of node {{ $labels.node }} above ${a.cpuPercent}%`,
                    runbook: "Add workers of the busiest type or upgrade the node size; the Synapse dashboard shows which processes use the CPU.",
                },
                {
                    alert: "NodeMemoryHigh",
                    expr: `1 - (max by (node) (node_memory_MemAvailable_bytes) / max by (node) (node_memory_MemTotal_bytes)) > ${pct(a.memoryPercent)}`,
                    for: sustained,
                    severity: "warning",
                    source: "§8.2",
                    threshold: `node memory > ${a.memoryPercent}% for ${a.sustainedMinutes} min`,
                    summary: `Memory of node {{ $labels.node }} above ${a.memoryPercent}%`,
                    runbook: "Upgrade the node's RAM (a larger instance type of the role's family), or lower Synapse cache factors.",
                },
                {
                    alert: "VolumeSpaceLow",
                    expr: `kubelet_volume_stats_available_bytes / kubelet_volume_stats_capacity_bytes < ${pct(a.volumeFreePercent)}`,
                    for: "10m",
                    severity: "warning",
                    source: "program",
                    threshold: `a persistent volume with < ${a.volumeFreePercent}% free`,
                    summary: `Volume {{ $labels.persistentvolumeclaim }} in {{ $labels.namespace }} has less than ${a.volumeFreePercent}% free`,
                    runbook: "Grow the claim (the data layer's classes allow expansion) or check retention; Prometheus and Loki volumes follow the plan's §2.3 size.",
                },
                {
                    alert: "MediaStorageHeadroomLow",
                    expr: `max(minio_cluster_capacity_usable_free_bytes) < ${Math.round((plan.media.annualGrowthGB * a.storageHeadroomMonths) / 12)} * 1e9`,
                    for: "1h",
                    severity: "warning",
                    source: "§8.2, §10.1",
                    threshold: `free media capacity < ${a.storageHeadroomMonths} months of §10.1 growth (${Math.round((plan.media.annualGrowthGB * a.storageHeadroomMonths) / 12)} GB)`,
                    summary: `Media storage has less than ${a.storageHeadroomMonths} months of growth left`,
                    runbook: "Add a MinIO pool: append it to matrix:data.objectStore.pools and run pulumi up (components/data/README.md).",
                },
            ],
        },
        {
            name: "matrix-synapse",
            rules: [
                {
                    alert: "SynapseDown",
                    expr: `up{job=~"${JOBS.synapseRegex}"} == 0`,
                    for: "5m",
                    severity: "critical",
                    source: "program",
                    threshold: "a Synapse process unreachable for 5 min",
                    summary: "Synapse {{ $labels.job }} {{ $labels.index }} is down",
                    runbook: "kubectl -n matrix describe pod {{ $labels.pod }}; kubectl -n matrix logs {{ $labels.pod }} (or the Loki dashboard).",
                },
                {
                    alert: "SynapseDatabasePoolExhausted",
                    expr: `sum by (job, index) (rate(synapse_storage_schedule_time_sum[5m])) / sum by (job, index) (rate(synapse_storage_schedule_time_count[5m])) > ${a.dbPoolWaitMs / 1000}`,
                    for: "10m",
                    severity: "warning",
                    source: "§12.5",
                    threshold: `mean wait for a database connection > ${a.dbPoolWaitMs} ms for 10 min`,
                    summary: "Synapse {{ $labels.job }} {{ $labels.index }} waits for database connections (pool exhausted)",
                    runbook: "Its cp_max is too small for its load (§12.5 symptom 1): add workers of this type rather than raising cp_max past the connection budget.",
                },
                {
                    alert: "SynapseEventProcessingLag",
                    expr: `max by (job, index, name) (synapse_event_processing_lag) > ${a.eventProcessingLagSeconds * 1000}`,
                    for: "10m",
                    severity: "warning",
                    source: "program",
                    threshold: `event processing lag > ${a.eventProcessingLagSeconds} s for 10 min`,
                    summary: "Synapse {{ $labels.job }} {{ $labels.index }} processes events ({{ $labels.name }}) late",
                    runbook: "Check the event persisters' and background worker's CPU and the database; add event persisters (requires a restart of every process).",
                },
                {
                    alert: "SynapseReplicationLag",
                    expr: `max by (job, index, stream_name) (synapse_replication_tcp_command_queue) > ${a.replicationBacklogCommands}`,
                    for: min(1),
                    severity: "warning",
                    source: "§2.5",
                    threshold: `more than ${a.replicationBacklogCommands} replication commands queued, unprocessed, on one process for 1 min`,
                    summary: "Synapse {{ $labels.job }} {{ $labels.index }} falls behind the {{ $labels.stream_name }} replication stream",
                    runbook: "The process cannot keep up with its stream writers: check its CPU, then Redis; add workers of this type.",
                },
                {
                    alert: "MatrixInfectedUpload",
                    expr: `sum by (job, index) (increase(${CONTRACT_METRICS.infectedUploads}[10m])) > 0`,
                    for: "0m",
                    severity: "critical",
                    source: "program",
                    threshold: "any upload rejected as infected",
                    summary: "An infected upload was rejected by {{ $labels.job }} {{ $labels.index }}",
                    runbook: "Find the uploader in the Synapse log (Loki: the antivirus module logs the user and media ID) and follow the security incident procedure.",
                },
            ],
        },
        {
            name: "matrix-database",
            rules: [
                {
                    alert: "PostgresConnectionsHigh",
                    expr: `sum by (pod) (cnpg_backends_total) / max by (pod) (cnpg_pg_settings_setting{name="max_connections"}) > ${pct(a.dbConnectionsPercent)}`,
                    for: "5m",
                    severity: "warning",
                    source: "§8.2",
                    threshold: `connections > ${a.dbConnectionsPercent}% of max_connections (${Math.floor((plan.postgres.maxConnections * a.dbConnectionsPercent) / 100)} of ${plan.postgres.maxConnections})`,
                    summary: `PostgreSQL {{ $labels.pod }} uses more than ${a.dbConnectionsPercent}% of max_connections`,
                    runbook: "Add workers or scale the database (next tier); never raise cp_max without checking the connection budget (§12.4).",
                },
                {
                    alert: "PostgresTooManyClientsImminent",
                    expr: `sum by (pod) (cnpg_backends_total) / max by (pod) (cnpg_pg_settings_setting{name="max_connections"}) > ${pct(a.dbConnectionsBudgetPercent)}`,
                    for: "1m",
                    severity: "critical",
                    source: "§12.2, §12.5",
                    threshold: `connections > ${a.dbConnectionsBudgetPercent}% of max_connections, the budget's limit`,
                    summary: `PostgreSQL {{ $labels.pod }} is past the ${a.dbConnectionsBudgetPercent}% connection budget: "too many clients" is next`,
                    runbook: "Emergency (§12.5 symptom 2): lower the HPA maxima of synchrotrons/generic workers, then raise matrix:sizing.postgresMaxConnections.",
                },
                {
                    alert: "PostgresReplicationLag",
                    expr: `max by (pod) (cnpg_pg_replication_lag) > ${a.postgresReplicationLagSeconds}`,
                    for: "5m",
                    severity: "warning",
                    source: "program",
                    threshold: `a standby more than ${a.postgresReplicationLagSeconds} s behind for 5 min`,
                    summary: "PostgreSQL standby {{ $labels.pod }} lags behind the primary",
                    runbook: "Check the standby's disk and network (kubectl cnpg status synapse-db -n matrix); with synchronous replication commits wait for it.",
                },
                {
                    alert: "PostgresFailover",
                    expr: `max by (pod) (cnpg_pg_replication_in_recovery == 0) unless max by (pod) (cnpg_pg_replication_in_recovery offset 10m == 0)`,
                    for: "0m",
                    severity: "warning",
                    source: "program",
                    threshold: "a pod became primary in the last 10 min",
                    summary: "PostgreSQL failover: {{ $labels.pod }} is the new primary",
                    runbook: "Find why the old primary failed (kubectl cnpg status synapse-db -n matrix); Synapse reconnects through synapse-db-rw on its own.",
                },
            ],
        },
        {
            name: "matrix-redis",
            rules: [
                {
                    alert: "RedisDown",
                    expr: `redis_up == 0`,
                    for: "5m",
                    severity: "critical",
                    source: "program",
                    threshold: "an exporter cannot reach its Redis for 5 min",
                    summary: "Redis {{ $labels.pod }} in {{ $labels.namespace }} is down",
                    runbook: "kubectl -n {{ $labels.namespace }} logs {{ $labels.pod }} -c redis; Sentinel promotes a replica if it was the master.",
                },
                {
                    alert: "RedisFailover",
                    expr: `max by (namespace, pod) (redis_instance_info{role="master"}) unless max by (namespace, pod) (redis_instance_info{role="master"} offset 10m)`,
                    for: "0m",
                    severity: "warning",
                    source: "program",
                    threshold: "a Redis became master in the last 10 min",
                    summary: "Redis failover in {{ $labels.namespace }}: {{ $labels.pod }} is the new master",
                    runbook: "Sentinel promoted it; check why the old master failed. Synapse follows through the HAProxy master endpoint, LiveKit through Sentinel.",
                },
                {
                    alert: "RedisReplicaLinkDown",
                    expr: `redis_master_link_up == 0`,
                    for: "5m",
                    severity: "warning",
                    source: "program",
                    threshold: "a replica without its master link for 5 min",
                    summary: "Redis replica {{ $labels.pod }} in {{ $labels.namespace }} lost its master",
                    runbook: "Check Sentinel (redis-cli -p 26379 sentinel masters) and the network policy between the Redis pods.",
                },
            ],
        },
        {
            name: "matrix-calls",
            rules: [
                {
                    alert: "CallFailureRateHigh",
                    expr: `sum(rate(livekit_participant_join_total{state="rtc_failure"}[10m])) / sum(rate(livekit_participant_join_total{state="rtc_init"}[10m])) > ${pct(a.callFailurePercent)}`,
                    for: "10m",
                    severity: "warning",
                    source: "§11.4 (§8.2 says 5%)",
                    threshold: `call join failures > ${a.callFailurePercent}% for 10 min`,
                    summary: `More than ${a.callFailurePercent}% of call joins fail`,
                    runbook: "Add LiveKit/coturn instances; check that the call ports are open (docs/cluster.md) and TURN works for clients behind NAT.",
                },
                {
                    alert: "CallPacketLossPoor",
                    expr: `sum by (node_id) (rate(livekit_packet_loss_percent_sum[5m])) / sum by (node_id) (rate(livekit_packet_loss_percent_count[5m])) > ${a.packetLossPoorPercent}`,
                    for: "10m",
                    severity: "warning",
                    source: "§11.4",
                    threshold: `mean packet loss > ${a.packetLossPoorPercent}% for 10 min (acceptable < ${a.packetLossAcceptablePercent}%)`,
                    summary: `Packet loss on LiveKit {{ $labels.node_id }} is poor (> ${a.packetLossPoorPercent}%)`,
                    runbook: "Check the call servers' bandwidth against the plan (§11.5) and their CPU; add LiveKit instances if saturated.",
                },
                {
                    alert: "CallJitterPoor",
                    expr: `sum by (node_id) (rate(livekit_jitter_us_sum[5m])) / sum by (node_id) (rate(livekit_jitter_us_count[5m])) > ${a.jitterPoorMs * 1000}`,
                    for: "10m",
                    severity: "warning",
                    source: "§11.4",
                    threshold: `mean jitter > ${a.jitterPoorMs} ms for 10 min (acceptable < ${a.jitterAcceptableMs} ms)`,
                    summary: `Jitter on LiveKit {{ $labels.node_id }} is poor (> ${a.jitterPoorMs} ms)`,
                    runbook: "Network congestion towards clients: check the call servers' uplink usage; add LiveKit instances in other zones.",
                },
                {
                    alert: "CallLatencyPoor",
                    expr: `sum by (node_id) (rate(livekit_rtt_ms_sum[5m])) / sum by (node_id) (rate(livekit_rtt_ms_count[5m])) > ${a.latencyPoorMs}`,
                    for: "10m",
                    severity: "warning",
                    source: "§11.4",
                    threshold: `mean round-trip time > ${a.latencyPoorMs} ms for 10 min (acceptable < ${a.latencyAcceptableMs} ms)`,
                    summary: `Round-trip time on LiveKit {{ $labels.node_id }} is poor (> ${a.latencyPoorMs} ms)`,
                    runbook: "Clients far from the call servers or a congested uplink: check bandwidth (§11.5) and TURN relay usage.",
                },
                {
                    alert: "CallServerCpuHigh",
                    expr: `${nodeCpuBusy} ${onRole(ROLE_VALUES.calls)} > ${pct(a.callCpuPercent)}`,
                    for: sustained,
                    severity: "warning",
                    source: "§11.4",
                    threshold: `call server CPU > ${a.callCpuPercent}% for ${a.sustainedMinutes} min`,
                    summary: `Call server {{ $labels.node }} CPU above ${a.callCpuPercent}%`,
                    runbook: "Plan more LiveKit/coturn instances (the next tier's call servers).",
                },
                {
                    alert: "CallServerCpuCritical",
                    expr: `${nodeCpuBusy} ${onRole(ROLE_VALUES.calls)} > ${pct(a.callCpuAddCapacityPercent)}`,
                    for: "5m",
                    severity: "critical",
                    source: "§11.4",
                    threshold: `call server CPU > ${a.callCpuAddCapacityPercent}% for 5 min`,
                    summary: `Call server {{ $labels.node }} CPU above ${a.callCpuAddCapacityPercent}%: add capacity`,
                    runbook: "Add call servers now (raise matrix:ccu or the call instance count); quality degrades past this point.",
                },
            ],
        },
        {
            name: "matrix-jobs",
            rules: [
                {
                    alert: "LawfulInterceptSyncStale",
                    expr: `time() - max by (namespace) (${CONTRACT_METRICS.liSyncLastSuccess}) > ${a.liSyncMissedIntervals} * max by (namespace) (${CONTRACT_METRICS.liSyncInterval})`,
                    for: "0m",
                    severity: "critical",
                    source: "program",
                    threshold: `the LI sync's last success older than ${a.liSyncMissedIntervals} intervals`,
                    summary: `The lawful-intercept sync has not succeeded for ${a.liSyncMissedIntervals} intervals`,
                    runbook: "Check the LI sync job's logs in matrix-li and its database role li_sync (connection limit) on the primary.",
                },
                {
                    alert: "LawfulInterceptSyncMissing",
                    expr: `absent(${CONTRACT_METRICS.liSyncLastSuccess})`,
                    for: "30m",
                    severity: "warning",
                    source: "program",
                    threshold: "no LI sync metrics for 30 min",
                    summary: "The lawful-intercept sync exports no metrics",
                    runbook: "Is the LI sync deployed and its PodMonitor selecting it (contracts.ts SCRAPE_CONTRACTS.liSync)?",
                },
            ],
        },
    ];
    if (ctx.backupSchedule !== undefined) {
        const maxAge = cronPeriodHours(ctx.backupSchedule) + a.backupGraceHours;
        groups[groups.length - 1] = {
            ...groups[groups.length - 1],
            rules: [
                ...groups[groups.length - 1].rules,
                {
                    alert: "PostgresBackupTooOld",
                    expr: `time() - max(cnpg_collector_last_available_backup_timestamp) > ${maxAge * 3600}`,
                    for: "0m",
                    severity: "critical",
                    source: "program",
                    threshold: `last base backup older than its schedule plus ${a.backupGraceHours} h (${maxAge} h)`,
                    summary: `The last PostgreSQL base backup is older than ${maxAge} h`,
                    runbook: "kubectl -n matrix get backups; check the Barman plugin's logs and the backup bucket's credentials.",
                },
            ],
        };
    }
    const jobs = ctx.backupJobs ?? [];
    if (jobs.length > 0) {
        const last = groups[groups.length - 1];
        groups[groups.length - 1] = {
            ...last,
            rules: [
                ...last.rules,
                ...jobs.map((job): AlertRule => {
                    // Kubernetes cron has five fields; the period helper reads six (seconds first).
                    const maxAge = cronPeriodHours(`0 ${job.schedule}`) + a.backupGraceHours;
                    const sel = `{namespace="${job.namespace}",cronjob="${job.name}"}`;
                    const age = (metric: string) => `time() - max by (namespace, cronjob) (${metric}${sel}) > ${maxAge * 3600}`;
                    return {
                        alert: backupJobAlertName(job.name),
                        // Its last success is too old, or it never succeeded since it was created that long ago.
                        expr: `(${age("kube_cronjob_status_last_successful_time")}) or ((${age("kube_cronjob_created")}) unless on (namespace, cronjob) kube_cronjob_status_last_successful_time${sel})`,
                        for: "0m",
                        severity: "critical",
                        source: "program",
                        threshold: `last successful run older than its schedule plus ${a.backupGraceHours} h (${maxAge} h)`,
                        summary: `The backup CronJob {{ $labels.namespace }}/{{ $labels.cronjob }} has not succeeded for ${maxAge} h`,
                        runbook: `kubectl -n ${job.namespace} get jobs -l matrix-scale.io/backup=${job.name}; read the last job's logs (docs/backup.md).`,
                    };
                }),
            ],
        };
    }
    return groups;
}

/** The rule objects as Prometheus reads them (rule file and PrometheusRule spec alike). */
export function promGroups(groups: readonly AlertGroup[]) {
    return groups.map((g) => ({
        name: g.name,
        rules: g.rules.map((r) => ({
            alert: r.alert,
            expr: r.expr,
            for: r.for,
            labels: { severity: r.severity },
            annotations: { summary: r.summary, runbook: r.runbook, threshold: r.threshold, source: r.source },
        })),
    }));
}

/** Recording rules the alerts and dashboards share. */
export function recordingGroups() {
    return [
        {
            name: "matrix-recording",
            rules: [
                {
                    record: JOBS.ccuRecord,
                    // Every connected client holds one /sync long-poll open: in-flight syncs are concurrent users.
                    expr: `sum(synapse_http_server_in_flight_requests_count{servlet=~"${SYNAPSE_CCU_SERVLETS.join("|")}"})`,
                },
            ],
        },
    ];
}

export const PROMETHEUS_RULE_NAME = "matrix-alerts";

export function prometheusRule(plan: Plan, ctx: RuleContext = {}) {
    return {
        apiVersion: "monitoring.coreos.com/v1",
        kind: "PrometheusRule",
        metadata: { name: PROMETHEUS_RULE_NAME, namespace: NAMESPACES.monitoring, labels: { "app.kubernetes.io/part-of": "matrix" } },
        spec: { groups: [...recordingGroups(), ...promGroups(alertGroups(plan, ctx))] },
    };
}
