// Grafana dashboards as code: pure functions of the plan, shipped as
// ConfigMaps that Grafana's sidecar loads. Every number drawn as a line
// (tier capacity, connection budget, thresholds) comes from the plan.
import type { Plan } from "../../sizing/types";
import { NAMESPACES } from "../contracts";
import { DASHBOARD_LABEL } from "./operator";
import { HPA_JOB, JOBS } from "./scrape-labels";

export interface Target {
    readonly expr: string;
    readonly legendFormat: string;
    readonly refId: string;
}

export interface Panel {
    readonly id: number;
    readonly type: "timeseries";
    readonly title: string;
    readonly datasource: { readonly type: "prometheus"; readonly uid: string };
    readonly gridPos: { readonly x: number; readonly y: number; readonly w: number; readonly h: number };
    readonly fieldConfig: { readonly defaults: { readonly unit: string; readonly thresholds: { readonly mode: "absolute"; readonly steps: readonly { color: string; value: number | null }[] } }; readonly overrides: readonly unknown[] };
    readonly targets: readonly Target[];
}

export interface Dashboard {
    readonly uid: string;
    readonly title: string;
    readonly tags: readonly string[];
    readonly schemaVersion: number;
    readonly version: number;
    readonly editable: boolean;
    readonly time: { readonly from: string; readonly to: string };
    readonly refresh: string;
    readonly templating: { readonly list: readonly unknown[] };
    readonly annotations: { readonly list: readonly unknown[] };
    readonly panels: readonly Panel[];
}

const DS = { type: "prometheus", uid: "prometheus" } as const;

interface PanelSpec {
    readonly title: string;
    readonly unit: string;
    readonly targets: readonly [expr: string, legend: string][];
    /** Warning / critical lines. */
    readonly thresholds?: readonly number[];
}

function panels(specs: readonly PanelSpec[]): Panel[] {
    return specs.map((s, i) => ({
        id: i + 1,
        type: "timeseries",
        title: s.title,
        datasource: DS,
        gridPos: { x: (i % 2) * 12, y: Math.floor(i / 2) * 8, w: 12, h: 8 },
        fieldConfig: {
            defaults: {
                unit: s.unit,
                thresholds: {
                    mode: "absolute",
                    steps: [{ color: "green", value: null }, ...(s.thresholds ?? []).map((v, k) => ({ color: k === 0 ? "orange" : "red", value: v }))],
                },
            },
            overrides: [],
        },
        targets: s.targets.map(([expr, legendFormat], k) => ({ expr, legendFormat, refId: String.fromCharCode(65 + k) })),
    }));
}

function dashboard(uid: string, title: string, specs: readonly PanelSpec[]): Dashboard {
    return {
        uid,
        title,
        tags: ["matrix"],
        schemaVersion: 39,
        version: 1,
        editable: false,
        time: { from: "now-6h", to: "now" },
        refresh: "1m",
        templating: { list: [] },
        annotations: { list: [] },
        panels: panels(specs),
    };
}

export function matrixDashboards(plan: Plan): Dashboard[] {
    const a = plan.alerts;
    const tier = plan.tier.upper;
    const pg = plan.postgres;
    const sync = `synapse_http_server_response_time_seconds_bucket{servlet="SyncRestServlet"}`;
    const overview = dashboard("matrix-capacity", "Matrix: capacity against the plan", [
        {
            title: `Concurrent users against the ${tier} CCU tier`,
            unit: "short",
            targets: [[JOBS.ccuRecord, "concurrent users (in-flight /sync)"], [`vector(${tier})`, "tier capacity"]],
            thresholds: [(tier * a.ccuPlanUpgradePercent) / 100, (tier * a.ccuUrgentUpgradePercent) / 100],
        },
        {
            title: "/sync latency by worker (p50, p99)",
            unit: "s",
            targets: [
                [`histogram_quantile(0.5, sum by (job, le) (rate(${sync}[5m])))`, "p50 {{job}}"],
                [`histogram_quantile(0.99, sum by (job, le) (rate(${sync}[5m])))`, "p99 {{job}}"],
            ],
        },
        {
            title: "Message sending latency p99",
            unit: "s",
            targets: [[`histogram_quantile(0.99, sum by (le) (rate(synapse_http_server_response_time_seconds_bucket{servlet="RoomSendEventRestServlet"}[5m])))`, "p99"]],
            thresholds: [a.messageLatencyP99Ms / 1000],
        },
        {
            title: "Event processing lag",
            unit: "ms",
            targets: [[`max by (job, name) (synapse_event_processing_lag)`, "{{job}} {{name}}"]],
            thresholds: [a.eventProcessingLagSeconds * 1000],
        },
        {
            title: `Database connections against the budget (${pg.connections.limit}) and max_connections (${pg.maxConnections})`,
            unit: "short",
            targets: [
                [`sum by (pod) (cnpg_backends_total)`, "{{pod}}"],
                [`vector(${pg.connections.total})`, "pools at planned replicas"],
                [`vector(${pg.connections.totalAtMaxReplicas})`, "pools at HPA maxima"],
                [`max(cnpg_pg_settings_setting{name="max_connections"})`, "max_connections"],
            ],
            thresholds: [(pg.maxConnections * a.dbConnectionsPercent) / 100, (pg.maxConnections * a.dbConnectionsBudgetPercent) / 100],
        },
        {
            title: "Database pool wait per process",
            unit: "s",
            targets: [[`sum by (job, index) (rate(synapse_storage_schedule_time_sum[5m])) / sum by (job, index) (rate(synapse_storage_schedule_time_count[5m]))`, "{{job}} {{index}}"]],
            thresholds: [a.dbPoolWaitMs / 1000],
        },
        {
            title: "Redis memory and replication",
            unit: "bytes",
            targets: [
                [`redis_memory_used_bytes`, "{{namespace}} {{pod}} used"],
                [`redis_connected_slaves`, "{{namespace}} {{pod}} replicas"],
            ],
        },
        {
            title: `Media storage against the growth model (${plan.media.annualGrowthGB} GB/year)`,
            unit: "bytes",
            targets: [
                [`max(minio_cluster_capacity_usable_total_bytes) - max(minio_cluster_capacity_usable_free_bytes)`, "used"],
                [`vector(${plan.objectStore.usableGB * 1e9})`, "usable capacity"],
                [`predict_linear((max(minio_cluster_capacity_usable_total_bytes) - max(minio_cluster_capacity_usable_free_bytes))[7d:1h], 365 * 86400)`, "used in a year at the current rate"],
            ],
        },
        {
            title: "Call quality: packet loss, jitter, round-trip time",
            unit: "short",
            targets: [
                [`sum by (node_id) (rate(livekit_packet_loss_percent_sum[5m])) / sum by (node_id) (rate(livekit_packet_loss_percent_count[5m]))`, "loss % {{node_id}}"],
                [`sum by (node_id) (rate(livekit_jitter_us_sum[5m])) / sum by (node_id) (rate(livekit_jitter_us_count[5m])) / 1000`, "jitter ms {{node_id}}"],
                [`sum by (node_id) (rate(livekit_rtt_ms_sum[5m])) / sum by (node_id) (rate(livekit_rtt_ms_count[5m]))`, "rtt ms {{node_id}}"],
            ],
            thresholds: [a.packetLossPoorPercent],
        },
        {
            title: `Call participants per LiveKit instance (plan: ${plan.livekit.participantsPerInstance})`,
            unit: "short",
            targets: [[`sum by (node_id) (livekit_participant_total)`, "{{node_id}}"], [`vector(${plan.livekit.participantsPerInstance})`, "planned per instance"]],
        },
        {
            title: "Autoscalers against their maximum",
            unit: "short",
            targets: [
                [`kube_horizontalpodautoscaler_status_current_replicas{job="${HPA_JOB}",namespace="${NAMESPACES.matrix}"}`, "{{horizontalpodautoscaler}} current"],
                [`kube_horizontalpodautoscaler_spec_max_replicas{job="${HPA_JOB}",namespace="${NAMESPACES.matrix}"}`, "{{horizontalpodautoscaler}} max"],
            ],
        },
        {
            title: "Synapse processes up",
            unit: "short",
            targets: [[`sum by (job) (up{job=~"${JOBS.synapseRegex}"})`, "{{job}}"]],
        },
    ]);
    return [overview];
}

/** One ConfigMap per dashboard, labelled for Grafana's sidecar. */
export function dashboardConfigMaps(plan: Plan) {
    return matrixDashboards(plan).map((d) => ({
        metadata: { name: `dashboard-${d.uid}`, namespace: NAMESPACES.monitoring, labels: { [DASHBOARD_LABEL]: "1" } },
        data: { [`${d.uid}.json`]: JSON.stringify(d, null, 2) },
    }));
}
