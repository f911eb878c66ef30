// The cluster-wide controllers every other layer stands on, in install order,
// and the one map "CRD API group -> the release that installs it". Pure: the
// component turns the entries into Helm releases, the tests check every custom
// resource the program renders against this map.
//
// Order matters on a fresh cluster:
// 0. The Prometheus operator's CRDs (monitoring.coreos.com) alone: plain CRDs,
//    they need nothing, and every component may then render its ServiceMonitor,
//    PodMonitor or PrometheusRule (CloudNativePG's PodMonitor included) whatever
//    else is monitored. The operator itself runs in kube-prometheus-stack on the
//    monitoring server (components/monitoring), installed with its CRDs off.
// 1. Envoy Gateway: its chart ships the Gateway API CRDs (gateway.networking.k8s.io)
//    with its own (gateway.envoyproxy.io); it needs nothing else.
// 2. cert-manager with Gateway API support: it only watches Gateway API objects
//    if their CRDs exist when it starts, hence after 1.
// 3. CloudNativePG operator.
// 4. Barman Cloud plugin: its chart renders cert-manager Certificates/Issuers
//    (the plugin's mTLS with the operator) and registers with the operator.
// Each entry depends on every entry before it. A new controller is one more entry.

export const EDGE_PROXY_NAMESPACE = "envoy-gateway-system";
export const CNPG_NAMESPACE = "cnpg-system";
export const CERT_MANAGER_NAMESPACE = "cert-manager";
/** Holds only the Helm record of the CRD release (CRDs are cluster-scoped; no pod runs here). Not NAMESPACES.monitoring:
 * that one is created by the Namespaces component with its Pod Security labels, which this layer does not wait for. */
export const PROMETHEUS_CRDS_NAMESPACE = "prometheus-operator-crds";

export interface ControllerVersions {
    readonly envoyGateway: string;
    readonly certManager: string;
}

export interface ControllerRelease {
    /** Resource name of the Helm release (and the Helm release name). */
    readonly id: string;
    readonly chart: string;
    /** Helm repository; absent for an OCI chart reference. */
    readonly repo?: string;
    readonly version: string;
    readonly namespace: string;
    readonly values?: Readonly<Record<string, unknown>>;
    /** API groups whose CRDs this release installs. */
    readonly crdGroups: readonly string[];
    /** API groups whose CRDs must exist before this release starts (it renders such objects, or watches them from start). */
    readonly needs: readonly string[];
    readonly why: string;
}

export const CNPG_CHART = { chart: "cloudnative-pg", version: "0.27.1", repo: "https://cloudnative-pg.github.io/charts" } as const;
export const BARMAN_CHART = { chart: "plugin-barman-cloud", version: "0.4.0", repo: "https://cloudnative-pg.github.io/charts" } as const;
/**
 * The Prometheus operator's CRDs, at the operator version of the pinned
 * kube-prometheus-stack (components/monitoring/releases.ts CHARTS.kubePrometheusStack):
 * kube-prometheus-stack 88.5.3 has appVersion v0.93.1, and prometheus-operator-crds
 * 31.0.1 is the chart release for v0.93.1 (its Chart.yaml appVersion; its CRD
 * files are prometheus-operator v0.93.1's example/prometheus-operator-crd, the
 * same files kube-prometheus-stack 88.5.3 bundles in charts/crds). Bump both
 * together: a test checks the operator versions recorded here match.
 */
export const PROMETHEUS_CRDS_CHART = {
    chart: "prometheus-operator-crds",
    version: "31.0.1",
    repo: "https://prometheus-community.github.io/helm-charts",
    operatorVersion: "v0.93.1",
} as const;

/** Every controller release, in install order. */
export function controllerCatalogue(v: ControllerVersions): readonly ControllerRelease[] {
    return [
        {
            id: PROMETHEUS_CRDS_CHART.chart,
            chart: PROMETHEUS_CRDS_CHART.chart,
            repo: PROMETHEUS_CRDS_CHART.repo,
            version: PROMETHEUS_CRDS_CHART.version,
            namespace: PROMETHEUS_CRDS_NAMESPACE,
            crdGroups: ["monitoring.coreos.com"],
            needs: [],
            why: "the Prometheus operator's CRDs (ServiceMonitor, PodMonitor, PrometheusRule, ...), before any component renders one; kube-prometheus-stack runs the operator with its own CRDs off",
        },
        {
            id: "envoy-gateway",
            chart: "oci://docker.io/envoyproxy/gateway-helm",
            version: v.envoyGateway,
            namespace: EDGE_PROXY_NAMESPACE,
            crdGroups: ["gateway.networking.k8s.io", "gateway.envoyproxy.io"],
            needs: [],
            why: "the HTTPS edge (Gateway API implementation); ships the Gateway API CRDs",
        },
        {
            id: "cert-manager",
            chart: "cert-manager",
            repo: "https://charts.jetstack.io",
            version: v.certManager,
            namespace: CERT_MANAGER_NAMESPACE,
            values: {
                crds: { enabled: true },
                config: { apiVersion: "controller.config.cert-manager.io/v1alpha1", kind: "ControllerConfiguration", enableGatewayAPI: true },
            },
            crdGroups: ["cert-manager.io", "acme.cert-manager.io"],
            needs: ["gateway.networking.k8s.io"],
            why: "the edge's certificates (HTTP-01 through the Gateway) and the Barman plugin's mTLS",
        },
        {
            id: "cnpg",
            chart: CNPG_CHART.chart,
            repo: CNPG_CHART.repo,
            version: CNPG_CHART.version,
            namespace: CNPG_NAMESPACE,
            // The data layer makes the instances' PodMonitor itself (the chart's would monitor the operator only).
            values: { monitoring: { podMonitorEnabled: false } },
            crdGroups: ["postgresql.cnpg.io"],
            needs: [],
            why: "PostgreSQL for Synapse (CloudNativePG operator)",
        },
        {
            id: "barman-cloud",
            chart: BARMAN_CHART.chart,
            repo: BARMAN_CHART.repo,
            version: BARMAN_CHART.version,
            // The plugin must run in the operator's namespace.
            namespace: CNPG_NAMESPACE,
            crdGroups: ["barmancloud.cnpg.io"],
            needs: ["cert-manager.io", "postgresql.cnpg.io"],
            why: "PostgreSQL backups (Barman Cloud plugin; renders cert-manager objects, registers with CloudNativePG)",
        },
    ];
}

/** The API group of an apiVersion ("cert-manager.io/v1" -> "cert-manager.io"; core "v1" -> ""). */
export const apiGroup = (apiVersion: string) => (apiVersion.includes("/") ? apiVersion.slice(0, apiVersion.indexOf("/")) : "");

/** Groups every Kubernetes API server serves without any CRD (as in apiVersion; the core group is ""). */
export const BUILTIN_GROUPS: ReadonlySet<string> = new Set([
    "", "apps", "batch", "policy", "autoscaling", "networking.k8s.io", "rbac.authorization.k8s.io", "storage.k8s.io",
    "scheduling.k8s.io", "apiextensions.k8s.io", "admissionregistration.k8s.io", "coordination.k8s.io", "discovery.k8s.io",
    "certificates.k8s.io", "node.k8s.io", "flowcontrol.apiserver.k8s.io",
]);

export interface ControllerLayout {
    /** Releases to install, in order. */
    readonly releases: readonly ControllerRelease[];
    /** API group -> id of the release installing it, or "preinstalled". */
    readonly crdInstallers: Readonly<Record<string, string>>;
    readonly problems: readonly string[];
}

/**
 * What to install given the groups the cluster already has: a release is
 * skipped when every group it installs is preinstalled; declaring only part of
 * a release's groups is an error (the release would install them again).
 */
export function controllerLayout(v: ControllerVersions, preinstalled: readonly string[], key = "matrix:controllers.preinstalledCrds"): ControllerLayout {
    const catalogue = controllerCatalogue(v);
    const pre = new Set(preinstalled);
    const problems: string[] = [];
    const releases: ControllerRelease[] = [];
    const crdInstallers: Record<string, string> = {};
    for (const g of pre) crdInstallers[g] = "preinstalled";
    for (const r of catalogue) {
        const have = r.crdGroups.filter((g) => pre.has(g));
        if (have.length === r.crdGroups.length) continue;
        if (have.length > 0) {
            problems.push(
                `${key}: ${JSON.stringify(have)} is not allowed without ${JSON.stringify(r.crdGroups.filter((g) => !pre.has(g)))}; ` +
                    `allowed: all of ${JSON.stringify(r.crdGroups)} (the cluster runs ${r.id}) or none of them (the program installs ${r.id})`,
            );
            continue;
        }
        releases.push(r);
        for (const g of r.crdGroups) crdInstallers[g] = r.id;
    }
    return { releases, crdInstallers, problems };
}
