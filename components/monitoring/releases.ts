// Helm charts of the monitoring stack, pinned. A release builder returns the
// arguments of one k8s.helm.v3.Release (pure data), so the base layer of
// controllers can install it and tests can read it without Pulumi.

export interface ChartRef {
    readonly repo: string;
    readonly chart: string;
    readonly version: string;
    /** The chart's appVersion where another pin must match it (the Prometheus operator's CRDs). */
    readonly appVersion?: string;
}

export const CHARTS = {
    /**
     * Prometheus operator, Prometheus, Alertmanager, Grafana, node-exporter, kube-state-metrics. Its CRDs come from
     * the base layer (components/controllers/catalogue.ts PROMETHEUS_CRDS_CHART, same operator version: appVersion).
     */
    kubePrometheusStack: { repo: "https://prometheus-community.github.io/helm-charts", chart: "kube-prometheus-stack", version: "88.5.3", appVersion: "v0.93.1" },
    /** Loki's chart moved to grafana-community in March 2026. */
    loki: { repo: "https://grafana-community.github.io/helm-charts", chart: "loki", version: "18.11.0" },
    /** Grafana Alloy (Promtail reached end of life on 2 March 2026). */
    alloy: { repo: "https://grafana.github.io/helm-charts", chart: "alloy", version: "1.11.1" },
} as const satisfies Readonly<Record<string, ChartRef>>;

/** Exactly what k8s.helm.v3.Release takes (the plain-data subset the stack uses). */
export interface ReleaseArgs {
    readonly name: string;
    readonly chart: string;
    readonly version: string;
    readonly repositoryOpts: { readonly repo: string };
    readonly namespace: string;
    readonly createNamespace: boolean;
    readonly values: Record<string, unknown>;
}

export function release(name: string, ref: ChartRef, namespace: string, values: Record<string, unknown>): ReleaseArgs {
    return { name, chart: ref.chart, version: ref.version, repositoryOpts: { repo: ref.repo }, namespace, createNamespace: false, values };
}
