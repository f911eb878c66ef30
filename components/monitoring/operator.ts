// kube-prometheus-stack as a pure release builder, with its CRDs off: the base
// layer of controllers installs them (prometheus-operator-crds at the same
// operator version) before any component's ServiceMonitor, PodMonitor or
// PrometheusRule, and before this release, which renders such objects itself.
// Everything but the per-node
// agents runs on the monitoring server; volumes are the plan's §2.3 sizes on
// the ssd StorageClass.
import type { Plan } from "../../sizing/types";
import { NAMESPACES, ROLE_LABEL } from "../contracts";
import { ALERTMANAGER_SECRET, alertmanagerConfig, type AlertmanagerSettings } from "./alertmanager";
import { LOKI_HTTP_PORT, LOKI_RELEASE } from "./loki";
import { EVERY_NODE_TOLERATIONS, onMonitoringServer } from "./placement";
import { CHARTS, release, type ReleaseArgs } from "./releases";

export const STACK_RELEASE = "kube-prometheus-stack";
/** fullnameOverride: the Prometheus and Alertmanager CRs are kps-prometheus and kps-alertmanager (PROMETHEUS_POD_LABELS, network.ts). */
export const STACK_FULLNAME = "kps";
/** The operator's TLS port (its web/metrics and the admission webhook the chart enables); network.ts opens it. */
export const OPERATOR_PORT = 10250;
/** Secret with Grafana's admin user and password (random, made by the monitoring component). */
export const GRAFANA_ADMIN_SECRET = "grafana-admin";
/** ConfigMaps carrying this label (any namespace) are loaded by Grafana's dashboard sidecar. */
export const DASHBOARD_LABEL = "grafana_dashboard";
export const LOKI_URL = `http://${LOKI_RELEASE}.${NAMESPACES.monitoring}.svc.cluster.local:${LOKI_HTTP_PORT}`;

export interface StackSettings {
    readonly storageClass: string;
    readonly alertmanager: AlertmanagerSettings;
}

const claim = (storageClass: string, gb: number) => ({
    volumeClaimTemplate: { spec: { storageClassName: storageClass, accessModes: ["ReadWriteOnce"], resources: { requests: { storage: `${gb}G` } } } },
});

/** The Helm release args of kube-prometheus-stack for this plan. */
export function prometheusStackRelease(plan: Plan, s: StackSettings): ReleaseArgs {
    const m = plan.monitoring;
    const here = onMonitoringServer();
    const everywhere = { tolerations: EVERY_NODE_TOLERATIONS.map((t) => ({ ...t })) };
    return release(STACK_RELEASE, CHARTS.kubePrometheusStack, NAMESPACES.monitoring, {
        // The CRDs are the base layer's (components/controllers/catalogue.ts): one installer per group.
        crds: { enabled: false },
        fullnameOverride: STACK_FULLNAME,
        prometheusOperator: { ...here, tls: { internalPort: OPERATOR_PORT }, admissionWebhooks: { patch: { ...here } } },
        prometheus: {
            prometheusSpec: {
                ...here,
                retention: `${m.prometheusRetentionDays}d`,
                retentionSize: `${m.prometheusRetentionGB}GB`,
                storageSpec: claim(s.storageClass, m.prometheusGB),
                // Every monitor and rule of every namespace, not only those labelled for this release.
                serviceMonitorSelectorNilUsesHelmValues: false,
                podMonitorSelectorNilUsesHelmValues: false,
                ruleSelectorNilUsesHelmValues: false,
                probeSelectorNilUsesHelmValues: false,
                scrapeConfigSelectorNilUsesHelmValues: false,
            },
        },
        alertmanager: {
            config: alertmanagerConfig(s.alertmanager),
            alertmanagerSpec: { ...here, storage: claim(s.storageClass, m.alertmanagerGB), secrets: [ALERTMANAGER_SECRET] },
        },
        grafana: {
            ...here,
            admin: { existingSecret: GRAFANA_ADMIN_SECRET, userKey: "admin-user", passwordKey: "admin-password" },
            // Dashboards are code (ConfigMaps): nothing to keep on a volume.
            persistence: { enabled: false },
            sidecar: { dashboards: { enabled: true, label: DASHBOARD_LABEL, labelValue: "1", searchNamespace: "ALL" } },
            additionalDataSources: [{ name: "Loki", type: "loki", uid: "loki", url: LOKI_URL, access: "proxy" }],
        },
        "kube-state-metrics": { ...here, metricLabelsAllowlist: [`nodes=[${ROLE_LABEL}]`] },
        // node-exporter on every server; `node` names the Kubernetes node for joins with kube_node_labels.
        "prometheus-node-exporter": {
            ...everywhere,
            prometheus: { monitor: { relabelings: [{ sourceLabels: ["__meta_kubernetes_pod_node_name"], targetLabel: "node", action: "replace" }] } },
        },
    });
}
