// Loki (grafana-community chart, single binary: one monitoring server, and the
// guide's log volume fits one process at every tier) on the plan's volume,
// with the compactor deleting logs older than the plan's retention.
import type { Plan } from "../../sizing/types";
import { NAMESPACES } from "../contracts";
import { onMonitoringServer } from "./placement";
import { CHARTS, release, type ReleaseArgs } from "./releases";

export const LOKI_RELEASE = "loki";
/** Loki's HTTP port (push and query): the chart's default server.http_listen_port. */
export const LOKI_HTTP_PORT = 3100;

export function lokiRelease(plan: Plan, storageClass: string): ReleaseArgs {
    const m = plan.monitoring;
    const here = onMonitoringServer();
    return release(LOKI_RELEASE, CHARTS.loki, NAMESPACES.monitoring, {
        deploymentMode: "SingleBinary",
        fullnameOverride: "loki",
        loki: {
            auth_enabled: false,
            commonConfig: { replication_factor: 1 },
            storage: { type: "filesystem" },
            schemaConfig: {
                configs: [{ from: "2026-01-01", store: "tsdb", object_store: "filesystem", schema: "v13", index: { prefix: "index_", period: "24h" } }],
            },
            limits_config: { retention_period: `${m.lokiRetentionDays * 24}h` },
            compactor: { retention_enabled: true, delete_request_store: "filesystem" },
        },
        singleBinary: { replicas: 1, ...here, persistence: { enabled: true, size: `${m.lokiGB}G`, storageClass } },
        // Single binary: no read/write/backend targets, no bundled MinIO, no gateway, no caches sized for clusters.
        read: { replicas: 0 },
        write: { replicas: 0 },
        backend: { replicas: 0 },
        gateway: { enabled: false },
        minio: { enabled: false },
        chunksCache: { enabled: false },
        resultsCache: { enabled: false },
        lokiCanary: { enabled: false },
        test: { enabled: false },
    });
}
