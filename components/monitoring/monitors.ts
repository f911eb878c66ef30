// ServiceMonitors and PodMonitors for every component that exists, derived
// from the same topology and names the components are built from. Synapse:
// one ServiceMonitor per pool, `job` = the pool (worker type), `index` = the
// instance (StatefulSet ordinal, or the pod's own suffix in an autoscaled pool).
// Synapse labels its metrics with server_name itself.
import { NAMESPACES, SCRAPE_CONTRACTS, type ScrapeContract } from "../contracts";
import { CLUSTER_NAME } from "../data/postgres/manifests";
import { ROUTER_METRICS_PATH } from "../router/haproxy";
import { ROUTER_NAME } from "../router/index";

import type { Topology } from "../synapse/topology";
import { selectorLabels } from "../synapse/workloads";
import { JOBS, synapseJob } from "./scrape-labels";

export const SYNAPSE_METRICS_PATH = "/_synapse/metrics";
export const SCRAPE_INTERVAL = "30s";

export interface Monitor {
    readonly apiVersion: "monitoring.coreos.com/v1";
    readonly kind: "ServiceMonitor" | "PodMonitor";
    readonly metadata: { readonly name: string; readonly namespace: string; readonly labels?: Record<string, string> };
    readonly spec: Record<string, any>;
}

/** `index` from the pod name's last dash-separated part. */
export const INDEX_RELABEL = { sourceLabels: ["__meta_kubernetes_pod_name"], regex: "^.+-([^-]+)$", targetLabel: "index", replacement: "$1", action: "replace" };
const podLabel = { sourceLabels: ["__meta_kubernetes_pod_name"], targetLabel: "pod", action: "replace" };
const jobLabel = (job: string) => ({ targetLabel: "job", replacement: job, action: "replace" });

export function synapseMonitors(topo: Topology): Monitor[] {
    const pools = [topo.main.name, ...topo.pools.map((p) => p.def.name)];
    return pools.map((pool) => ({
        apiVersion: "monitoring.coreos.com/v1",
        kind: "ServiceMonitor",
        metadata: { name: pool, namespace: topo.namespace, labels: { "app.kubernetes.io/part-of": "matrix" } },
        spec: {
            selector: { matchLabels: selectorLabels(pool) },
            endpoints: [{ port: "metrics", path: SYNAPSE_METRICS_PATH, interval: SCRAPE_INTERVAL, relabelings: [jobLabel(synapseJob(pool)), INDEX_RELABEL, podLabel] }],
        },
    }));
}

export function routerMonitor(namespace: string = NAMESPACES.matrix): Monitor {
    return {
        apiVersion: "monitoring.coreos.com/v1",
        kind: "PodMonitor",
        metadata: { name: ROUTER_NAME, namespace },
        spec: {
            selector: { matchLabels: { "app.kubernetes.io/name": ROUTER_NAME } },
            podMetricsEndpoints: [{ port: "metrics", path: ROUTER_METRICS_PATH, interval: SCRAPE_INTERVAL, relabelings: [jobLabel(JOBS.router), INDEX_RELABEL] }],
        },
    };
}

/** Components built by others: one PodMonitor per scrape contract. */
export function contractMonitor(name: string, c: ScrapeContract): Monitor {
    return {
        apiVersion: "monitoring.coreos.com/v1",
        kind: "PodMonitor",
        metadata: { name, namespace: c.namespace },
        spec: {
            selector: { matchLabels: { ...c.podLabels } },
            podMetricsEndpoints: [
                {
                    port: c.portName,
                    path: c.path,
                    interval: SCRAPE_INTERVAL,
                    // The token lives only in its Secret (in the monitor's namespace, where the operator reads it from).
                    ...("bearerToken" in c && c.bearerToken ? { authorization: { type: "Bearer", credentials: { name: c.bearerToken.name, key: c.bearerToken.key } } } : {}),
                    relabelings: [jobLabel(name), INDEX_RELABEL],
                },
            ],
        },
    };
}

export interface MonitorTargets {
    readonly topology: Topology;
    /** Which contract components exist yet (their PodMonitors select nothing otherwise, which is harmless but noisy). */
    readonly contracts: readonly (keyof typeof SCRAPE_CONTRACTS)[];
}

export function allMonitors(t: MonitorTargets): Monitor[] {
    return [
        ...synapseMonitors(t.topology),
        routerMonitor(t.topology.namespace),
        ...t.contracts.map((k) => contractMonitor(k === "liSync" ? "li-sync" : k, SCRAPE_CONTRACTS[k])),
    ];
}

/** The data layer registers CloudNativePG's PodMonitor itself (components/data/postgres/manifests.ts). */
export const POSTGRES_MONITOR = { namespace: NAMESPACES.matrix, name: CLUSTER_NAME };
