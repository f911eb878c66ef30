// Where the monitoring stack runs: the monitoring server only (its role label
// and the toleration of its taint), except the per-node agents.
import { ROLE_LABEL, ROLE_VALUES } from "../contracts";

export const MONITORING_NODE_SELECTOR: Readonly<Record<string, string>> = { [ROLE_LABEL]: ROLE_VALUES.monitoring };

export const MONITORING_TOLERATIONS = [{ key: ROLE_LABEL, operator: "Equal", value: ROLE_VALUES.monitoring, effect: "NoSchedule" }] as const;

/** Both, as Helm values spell them for most charts. */
export const onMonitoringServer = () => ({ nodeSelector: { ...MONITORING_NODE_SELECTOR }, tolerations: MONITORING_TOLERATIONS.map((t) => ({ ...t })) });

/** Per-node agents (node-exporter, Alloy) run on every server, whatever its taint. */
export const EVERY_NODE_TOLERATIONS = [{ operator: "Exists" }] as const;

/**
 * The label kube-state-metrics gives a node label in `kube_node_labels`
 * (prefix `label_`, every character outside [a-zA-Z0-9_] becomes `_`), so rules
 * can select servers by role without repeating the label's name.
 */
export const ksmNodeLabel = (label: string) => `label_${label.replace(/[^a-zA-Z0-9_]/g, "_")}`;
