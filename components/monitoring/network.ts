// NetworkPolicies of the monitoring namespace, on top of its default deny
// (components/network): exactly the flows the stack needs, each from the pods
// that open it to the port that serves it. Pure: the component registers them,
// the tests check every selector against the pods the charts render.
//
// Inside the namespace:
//   Grafana -> Prometheus 9090, Alertmanager 9093, Loki 3100 (its data sources)
//   Alloy -> Loki 3100 (log push)
//   Prometheus -> Alertmanager 9093 (alerts), and its scrapes of the stack's own
//     monitors (kube-prometheus-stack's ServiceMonitors): itself 9090 and its
//     config-reloader 8080, Alertmanager 9093/8080, Grafana 3000, the operator
//     10250, kube-state-metrics 8080
//   Alertmanager <-> Alertmanager 9094 TCP/UDP (cluster mesh; harmless at one replica)
// From outside the namespace, only:
//   the Kubernetes API server -> the operator 10250: the chart enables the
//     operator's admission webhook (validating/mutating PrometheusRules), served
//     by the operator pod itself; the API server is no pod, so it is admitted by
//     address (apiServerCidrs).
// Not here: node-exporter runs on the host network (NetworkPolicies do not apply
// to it; the node's own firewall does); Alloy listens for nobody (no allow, so
// the default deny closes its UI port); Prometheus' egress is open (it scrapes
// the other namespaces, whose own policies admit the monitoring namespace).
import { NAMESPACES, PROMETHEUS_POD_LABELS } from "../contracts";
import { ALLOY_RELEASE } from "./alloy";
import { LOKI_HTTP_PORT, LOKI_RELEASE } from "./loki";
import { OPERATOR_PORT, STACK_FULLNAME, STACK_RELEASE } from "./operator";

export interface MonitoringPod {
    readonly labels: Readonly<Record<string, string>>;
    /** TCP ports it listens on (what an allow may open). */
    readonly ports: readonly number[];
    readonly udpPorts?: readonly number[];
    /** Where the labels and ports come from. */
    readonly source: string;
}

/** The listening pods of the namespace, with the labels their charts give them. */
export const MONITORING_PODS = {
    prometheus: {
        labels: PROMETHEUS_POD_LABELS,
        ports: [9090, 8080],
        source: "prometheus-operator v0.93 pkg/prometheus/server/statefulset.go (pod labels; web 9090, config-reloader 8080) for the CR kps-prometheus",
    },
    alertmanager: {
        labels: { "app.kubernetes.io/name": "alertmanager", alertmanager: `${STACK_FULLNAME}-alertmanager` },
        ports: [9093, 8080, 9094],
        udpPorts: [9094],
        source: "prometheus-operator v0.93 pkg/alertmanager/operator.go makeSelectorLabels and statefulset.go (web 9093, mesh 9094 TCP/UDP, reloader 8080)",
    },
    grafana: {
        labels: { "app.kubernetes.io/name": "grafana", "app.kubernetes.io/instance": STACK_RELEASE },
        ports: [3000],
        source: "grafana chart (kube-prometheus-stack 88.5.3's dependency 12.11.1) selector labels name=grafana, instance=<release>; container port `grafana` 3000 (service.targetPort default)",
    },
    operator: {
        labels: { app: "kube-prometheus-stack-operator", release: STACK_RELEASE },
        ports: [OPERATOR_PORT],
        source: "kube-prometheus-stack 88.5.3 templates/prometheus-operator/deployment.yaml selector app=<chart name>-operator, release=<release>; port `https` = prometheusOperator.tls.internalPort",
    },
    kubeStateMetrics: {
        labels: { "app.kubernetes.io/name": "kube-state-metrics", "app.kubernetes.io/instance": STACK_RELEASE },
        ports: [8080],
        source: "kube-state-metrics chart 8.4.0 selectorLabels (name, instance=<release>); container port `http` = service.port 8080",
    },
    loki: {
        labels: { "app.kubernetes.io/name": "loki", "app.kubernetes.io/instance": LOKI_RELEASE, "app.kubernetes.io/component": "single-binary" },
        ports: [LOKI_HTTP_PORT],
        source: "loki chart 18.11.0 single-binary StatefulSet selector labels (name=loki, instance=<release>, component=single-binary); http-metrics 3100",
    },
    alloy: {
        labels: { "app.kubernetes.io/name": "alloy", "app.kubernetes.io/instance": ALLOY_RELEASE },
        ports: [],
        source: "alloy chart 1.11.1 selector labels (name=alloy, instance=<release>); a client only",
    },
} as const satisfies Readonly<Record<string, MonitoringPod>>;

type PodKey = keyof typeof MONITORING_PODS;

const pod = (k: PodKey) => ({ podSelector: { matchLabels: { ...MONITORING_PODS[k].labels } } });
const tcp = (...ports: number[]) => ports.map((port) => ({ protocol: "TCP", port }));

function allow(name: string, target: PodKey, ingress: { from: Record<string, unknown>[]; ports: { protocol: string; port: number }[] }[]) {
    return {
        metadata: { name: `monitoring-${name}`, namespace: NAMESPACES.monitoring },
        spec: { podSelector: { matchLabels: { ...MONITORING_PODS[target].labels } }, policyTypes: ["Ingress"], ingress },
    };
}

export interface MonitoringNetworkInputs {
    /** Where the Kubernetes API server's requests to admission webhooks come from (the control plane's addresses). */
    readonly apiServerCidrs: readonly string[];
}

export function monitoringNetworkPolicies(i: MonitoringNetworkInputs) {
    return [
        allow("prometheus", "prometheus", [
            { from: [pod("grafana")], ports: tcp(9090) },
            { from: [pod("prometheus")], ports: tcp(9090, 8080) },
        ]),
        allow("alertmanager", "alertmanager", [
            { from: [pod("prometheus")], ports: tcp(9093, 8080) },
            { from: [pod("grafana")], ports: tcp(9093) },
            { from: [pod("alertmanager")], ports: [...tcp(9094), { protocol: "UDP", port: 9094 }] },
        ]),
        allow("grafana", "grafana", [{ from: [pod("prometheus")], ports: tcp(3000) }]),
        allow("operator", "operator", [
            { from: [pod("prometheus")], ports: tcp(OPERATOR_PORT) },
            { from: i.apiServerCidrs.map((cidr) => ({ ipBlock: { cidr } })), ports: tcp(OPERATOR_PORT) },
        ]),
        allow("kube-state-metrics", "kubeStateMetrics", [{ from: [pod("prometheus")], ports: tcp(8080) }]),
        allow("loki", "loki", [{ from: [pod("alloy"), pod("grafana")], ports: tcp(LOKI_HTTP_PORT) }]),
    ];
}
