// The monitoring stack on the monitoring server: kube-prometheus-stack, Loki
// and Alloy (releases from the pure builders next to this file), the monitors
// of every component that exists, the plan's alert rules and the dashboards.
// The Prometheus operator's CRDs are the base layer's (components/controllers:
// prometheus-operator-crds, or preinstalled); the program makes this component
// depend on that layer, so the release and every monitor and rule find them.
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import * as random from "@pulumi/random";
import type { Plan } from "../../sizing/types";
import { NAMESPACES } from "../contracts";
import type { Topology } from "../synapse/topology";
import { ALERTMANAGER_SECRET, receiverSecretValues, receiverWarnings, type AlertmanagerSettings } from "./alertmanager";
import { alloyRelease } from "./alloy";
import { dashboardConfigMaps } from "./dashboards";
import { lokiRelease } from "./loki";
import { allMonitors, type MonitorTargets } from "./monitors";
import { monitoringNetworkPolicies } from "./network";
import { GRAFANA_ADMIN_SECRET, prometheusStackRelease } from "./operator";
import type { ReleaseArgs } from "./releases";
import { prometheusRule, type RuleContext } from "./rules";

export { prometheusStackRelease } from "./operator";

export interface MonitoringArgs {
    readonly plan: Plan;
    readonly topology: Topology;
    readonly storageClass: string;
    readonly alertmanager: AlertmanagerSettings;
    /** The PostgreSQL backup schedule when backups are configured (for the backup age alert). */
    readonly backupSchedule?: string;
    /** The backup CronJobs and their schedules (for their age alerts). */
    readonly backupJobs?: RuleContext["backupJobs"];
    /** Scrape contracts (components/contracts.ts) of components that exist in this stack: one PodMonitor each. */
    readonly scrapeContracts?: MonitorTargets["contracts"];
    /** Where the Kubernetes API server reaches admission webhooks from (the operator's webhook; network.ts). */
    readonly apiServerCidrs: readonly string[];
}

export class Monitoring extends pulumi.ComponentResource {
    constructor(name: string, args: MonitoringArgs, opts?: pulumi.ComponentResourceOptions) {
        super("matrix:monitoring:Monitoring", name, {}, opts);
        const parent = this;
        const ns = NAMESPACES.monitoring;
        for (const w of receiverWarnings(args.alertmanager)) pulumi.log.warn(w, this);

        const grafanaPassword = new random.RandomPassword("grafana-admin", { length: 32, special: false }, { parent });
        const grafanaSecret = new k8s.core.v1.Secret(
            GRAFANA_ADMIN_SECRET,
            { metadata: { name: GRAFANA_ADMIN_SECRET, namespace: ns }, type: "Opaque", stringData: { "admin-user": "admin", "admin-password": grafanaPassword.result } },
            { parent },
        );
        // Always present (Alertmanager mounts it); empty without receivers.
        const receivers = receiverSecretValues(args.alertmanager);
        const receiverSecret = new k8s.core.v1.Secret(
            ALERTMANAGER_SECRET,
            {
                metadata: { name: ALERTMANAGER_SECRET, namespace: ns },
                type: "Opaque",
                stringData: Object.fromEntries(Object.entries(receivers).map(([k, v]) => [k, pulumi.secret(v)])),
            },
            { parent },
        );

        const helm = (r: ReleaseArgs, deps: pulumi.Resource[] = []) => new k8s.helm.v3.Release(r.name, { ...r }, { parent, dependsOn: deps });
        const stack = helm(prometheusStackRelease(args.plan, { storageClass: args.storageClass, alertmanager: args.alertmanager }), [grafanaSecret, receiverSecret]);
        helm(lokiRelease(args.plan, args.storageClass));
        helm(alloyRelease());

        // The CRDs exist already (the component waits for the base layer); the operator's admission webhook
        // validates PrometheusRules, so they wait for the stack too.
        const after = { parent, dependsOn: [stack] };
        for (const m of allMonitors({ topology: args.topology, contracts: args.scrapeContracts ?? [] })) {
            new k8s.apiextensions.CustomResource(`${m.kind.toLowerCase()}-${m.metadata.namespace}-${m.metadata.name}`, { ...m }, after);
        }
        const rule = prometheusRule(args.plan, {
            ...(args.backupSchedule !== undefined ? { backupSchedule: args.backupSchedule } : {}),
            ...(args.backupJobs !== undefined ? { backupJobs: args.backupJobs } : {}),
        });
        new k8s.apiextensions.CustomResource(`prometheusrule-${rule.metadata.name}`, { ...rule }, after);
        // The namespace denies ingress by default (components/network): these are the stack's own flows.
        for (const p of monitoringNetworkPolicies({ apiServerCidrs: args.apiServerCidrs })) {
            new k8s.networking.v1.NetworkPolicy(p.metadata.name, p, { parent });
        }
        for (const cm of dashboardConfigMaps(args.plan)) {
            new k8s.core.v1.ConfigMap(cm.metadata.name, cm, { parent });
        }
        this.registerOutputs({});
    }
}
