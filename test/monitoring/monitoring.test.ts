// The monitoring stack's generators and how the real program registers them:
// §2.3 sizing, placement on the monitoring server, both sides of every scrape
// (each monitor's port exists on what it selects), dashboards whose every
// query parses in promtool, and the receivers' config.
import * as assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { stringify } from "yaml";
import { parseStackConfig } from "../../config";
import { ROLE_LABEL, ROLE_VALUES, DEFAULT_STORAGE_CLASSES, PROMETHEUS_POD_LABELS, SCRAPE_CONTRACTS } from "../../components/contracts";
import { alertmanagerConfig, receiverWarnings, SECRETS_DIR } from "../../components/monitoring/alertmanager";
import { matrixDashboards } from "../../components/monitoring/dashboards";
import { lokiRelease } from "../../components/monitoring/loki";
import { alloyRelease, LOKI_PUSH_URL } from "../../components/monitoring/alloy";
import { MONITORING_PODS, monitoringNetworkPolicies } from "../../components/monitoring/network";
import { OPERATOR_PORT, prometheusStackRelease } from "../../components/monitoring/operator";
import { computePlan, TIER_CCUS } from "../../sizing";
import { requireBinary } from "../helpers/binaries";
import { runProgram, unwrapSecrets, type ProgramRun, type RegisteredResource } from "../../tools/mock-runtime";


describe("monitoring stack", function () {
    this.timeout(300000);

    it("sizes Prometheus + Loki by guide §2.3 (50 GB + 1 GB per 100 CCU), split within the total and within the monitoring server's disk", () => {
        for (const ccu of [1, ...TIER_CCUS, 2500, 15000]) {
            const plan = computePlan({ ccu, federation: false });
            const m = plan.monitoring;
            assert.equal(m.storageGB, Math.ceil(50 + ccu / 100), `${ccu}`);
            assert.equal(m.prometheusGB + m.lokiGB + m.alertmanagerGB, m.storageGB);
            assert.ok(m.prometheusRetentionGB < m.prometheusGB);
            assert.ok(m.storageGB <= plan.nodePools.monitoring.diskGB, `${ccu}: ${m.storageGB} GB on a ${plan.nodePools.monitoring.diskGB} GB disk`);
        }
    });

    it("puts Prometheus, Alertmanager, Grafana, the operator, kube-state-metrics and Loki on the monitoring server, node-exporter everywhere, on the ssd class at the plan's sizes", () => {
        const plan = computePlan({ ccu: 5000, federation: false });
        const v = prometheusStackRelease(plan, { storageClass: "fast", alertmanager: {} }).values as any;
        const here = { nodeSelector: { [ROLE_LABEL]: ROLE_VALUES.monitoring }, tolerations: [{ key: ROLE_LABEL, operator: "Equal", value: ROLE_VALUES.monitoring, effect: "NoSchedule" }] };
        for (const part of [v.prometheus.prometheusSpec, v.alertmanager.alertmanagerSpec, v.grafana, v.prometheusOperator, v["kube-state-metrics"]]) {
            assert.deepEqual({ nodeSelector: part.nodeSelector, tolerations: part.tolerations }, here);
        }
        assert.deepEqual(v["prometheus-node-exporter"].tolerations, [{ operator: "Exists" }]);
        assert.equal(v.prometheus.prometheusSpec.storageSpec.volumeClaimTemplate.spec.resources.requests.storage, `${plan.monitoring.prometheusGB}G`);
        assert.equal(v.prometheus.prometheusSpec.storageSpec.volumeClaimTemplate.spec.storageClassName, "fast");
        assert.equal(v.prometheus.prometheusSpec.retention, `${plan.monitoring.prometheusRetentionDays}d`);
        assert.equal(v.prometheus.prometheusSpec.retentionSize, `${plan.monitoring.prometheusRetentionGB}GB`);
        const loki = lokiRelease(plan, "fast").values as any;
        assert.deepEqual({ nodeSelector: loki.singleBinary.nodeSelector, tolerations: loki.singleBinary.tolerations }, here);
        assert.equal(loki.singleBinary.persistence.size, `${plan.monitoring.lokiGB}G`);
        assert.equal(loki.loki.limits_config.retention_period, `${plan.monitoring.lokiRetentionDays * 24}h`);
    });

    it("Alertmanager: no receiver means a warning and a null route; secrets are files, never config", () => {
        assert.equal(receiverWarnings({}).length, 1);
        assert.deepEqual((alertmanagerConfig({}) as any).route.receiver, "null");
        const cfg = parseStackConfig(
            {
                "matrix:ccu": "100",
                "matrix:domain": "example.org",
                "matrix:cluster": JSON.stringify({ provider: "existing", context: "x" }),
                "matrix:monitoring": JSON.stringify({
                    alertmanager: { email: { to: ["ops@example.org"], from: "am@example.org", smarthost: "smtp.example.org:587", username: "am", password: "hunter2" }, webhook: { url: "https://hooks.example.org/T0K3N" } },
                }),
            },
            "matrix",
            { secretKeys: ["matrix:monitoring"] },
        ) as any;
        const am = alertmanagerConfig(cfg.monitoring.alertmanager);
        const text = JSON.stringify(am);
        assert.doesNotMatch(text, /hunter2|T0K3N/);
        assert.match(text, new RegExp(`${SECRETS_DIR}/smtp-password`));
        assert.equal((am as any).route.receiver, "operators");
        assert.equal(receiverWarnings(cfg.monitoring.alertmanager).length, 0);
    });

    it("rejects a webhook without URL and receiver secrets in plain text, naming the keys", () => {
        const base = { "matrix:ccu": "100", "matrix:domain": "example.org", "matrix:cluster": JSON.stringify({ provider: "existing", context: "x" }) };
        assert.throws(() => parseStackConfig({ ...base, "matrix:monitoring": JSON.stringify({ alertmanager: { webhook: {} } }) }, "matrix", { secretKeys: [] }), /matrix:monitoring\.alertmanager\.webhook\.url: required/);
        assert.throws(
            () => parseStackConfig({ ...base, "matrix:monitoring": JSON.stringify({ alertmanager: { webhook: { url: "https://x.example/abc" } } }) }, "matrix", { secretKeys: [] }),
            /matrix:monitoring\.alertmanager\.webhook\.url: set in plain text/,
        );
    });

    it("dashboards: valid structure, and every panel query parses in promtool", function () {
        requireBinary(this, "promtool");
        const plan = computePlan({ ccu: 20000, federation: true });
        const dashboards = matrixDashboards(plan);
        const exprs: string[] = [];
        for (const d of dashboards) {
            assert.match(d.uid, /^[a-z0-9-]{1,40}$/);
            const ids = d.panels.map((p) => p.id);
            assert.equal(new Set(ids).size, ids.length, "unique panel ids");
            for (const p of d.panels) {
                assert.ok(p.title && p.targets.length > 0, p.title);
                assert.ok(p.gridPos.x + p.gridPos.w <= 24, p.title);
                assert.deepEqual(p.targets.map((t) => t.refId), p.targets.map((_, i) => String.fromCharCode(65 + i)));
                exprs.push(...p.targets.map((t) => t.expr));
            }
            JSON.parse(JSON.stringify(d));
        }
        const dir = fs.mkdtempSync(path.join(os.tmpdir(), "matrix-dash-"));
        try {
            const file = path.join(dir, "exprs.yaml");
            fs.writeFileSync(file, stringify({ groups: [{ name: "dashboards", rules: exprs.map((expr, i) => ({ record: `dashboard:expr_${i}`, expr })) }] }));
            const r = spawnSync("promtool", ["check", "rules", file], { encoding: "utf8" });
            assert.equal(r.status, 0, `${r.stdout}\n${r.stderr}`);
        } finally {
            fs.rmSync(dir, { recursive: true, force: true });
        }
    });

    it("monitoring namespace policies: every allow selects a pod the charts render, opens only ports it listens on, from the stack's own pods or the API server", () => {
        const cidrs = ["10.0.0.0/16"];
        const policies = monitoringNetworkPolicies({ apiServerCidrs: cidrs });
        const pods = Object.entries(MONITORING_PODS);
        const podOf = (sel: Record<string, string>) => pods.find(([, p]) => JSON.stringify(Object.entries(p.labels).sort()) === JSON.stringify(Object.entries(sel).sort()));
        const crossNamespace: string[] = [];
        for (const pol of policies) {
            assert.equal(pol.metadata.namespace, "monitoring");
            const target = podOf(pol.spec.podSelector.matchLabels);
            assert.ok(target, `${pol.metadata.name} selects no known pod`);
            const [, t] = target;
            for (const rule of pol.spec.ingress) {
                assert.ok(rule.from.length > 0, `${pol.metadata.name}: a rule open to every source`);
                for (const port of rule.ports) {
                    const listens = port.protocol === "UDP" ? ((t as any).udpPorts ?? []) : t.ports;
                    assert.ok(listens.includes(port.port), `${pol.metadata.name}: ${port.protocol} ${port.port} is not a port of ${target[0]}`);
                }
                for (const f of rule.from as any[]) {
                    assert.ok(!f.namespaceSelector, `${pol.metadata.name}: no other namespace's pods`);
                    if (f.ipBlock) crossNamespace.push(`${target[0]}:${rule.ports.map((p: any) => p.port)}:${f.ipBlock.cidr}`);
                    else assert.ok(podOf(f.podSelector.matchLabels), `${pol.metadata.name}: from an unknown pod ${JSON.stringify(f.podSelector)}`);
                }
            }
        }
        // The only way in from outside: the API server to the operator's webhook port.
        assert.deepEqual(crossNamespace, [`operator:${OPERATOR_PORT}:10.0.0.0/16`]);

        // The other side: the release values the labels and ports come from.
        const plan = computePlan({ ccu: 100, federation: false });
        const kps = prometheusStackRelease(plan, { storageClass: "fast", alertmanager: {} });
        const v = kps.values as any;
        assert.equal(MONITORING_PODS.prometheus.labels["operator.prometheus.io/name"], `${v.fullnameOverride}-prometheus`);
        assert.equal(MONITORING_PODS.alertmanager.labels.alertmanager, `${v.fullnameOverride}-alertmanager`);
        for (const k of ["grafana", "kubeStateMetrics"] as const) assert.equal(MONITORING_PODS[k].labels["app.kubernetes.io/instance"], kps.name);
        assert.equal(MONITORING_PODS.operator.labels.release, kps.name);
        assert.equal(MONITORING_PODS.operator.labels.app, `${kps.chart}-operator`);
        assert.equal(v.prometheusOperator.tls.internalPort, OPERATOR_PORT);
        assert.notEqual(v.prometheusOperator.admissionWebhooks?.enabled, false, "the webhook the API server allow is for");
        const loki = lokiRelease(plan, "fast");
        assert.equal(MONITORING_PODS.loki.labels["app.kubernetes.io/instance"], loki.name);
        assert.equal((loki.values as any).deploymentMode, "SingleBinary");
        assert.equal(MONITORING_PODS.alloy.labels["app.kubernetes.io/instance"], alloyRelease().name);
        // Clients name the ports the allows open: Grafana's Loki data source and Alloy's push URL.
        const lokiUrl = new URL(v.grafana.additionalDataSources.find((d: any) => d.type === "loki").url);
        const pushUrl = new URL(LOKI_PUSH_URL);
        for (const u of [lokiUrl, pushUrl]) {
            assert.equal(u.hostname.split(".")[0], (loki.values as any).fullnameOverride);
            assert.ok((MONITORING_PODS.loki.ports as readonly number[]).includes(Number(u.port)));
        }
    });

    describe("under the real program (dev stack)", () => {
        let run: ProgramRun;
        before(async () => {
            run = await runProgram({ stack: "dev" });
        });
        const of = (type: string) => run.resources.filter((r) => r.type === type);
        const matches = (sel: Record<string, string>, labels: Record<string, string> | undefined) => Object.entries(sel).every(([k, v]) => labels?.[k] === v);

        it("every ServiceMonitor selects Services that name its port, whose target port exists on the selected pods", () => {
            const monitors = of("kubernetes:monitoring.coreos.com/v1:ServiceMonitor");
            assert.ok(monitors.length >= 2);
            const workloads = [...of("kubernetes:apps/v1:StatefulSet"), ...of("kubernetes:apps/v1:Deployment")];
            for (const m of monitors) {
                const ns = m.inputs.metadata.namespace;
                const services = of("kubernetes:core/v1:Service").filter((s) => s.inputs.metadata.namespace === ns && matches(m.inputs.spec.selector.matchLabels, s.inputs.metadata.labels));
                assert.ok(services.length > 0, `${m.inputs.metadata.name} selects no Service`);
                for (const s of services) {
                    for (const ep of m.inputs.spec.endpoints) {
                        const port = s.inputs.spec.ports.find((p: any) => p.name === ep.port);
                        assert.ok(port, `${s.inputs.metadata.name} has no port ${ep.port}`);
                        const pods = workloads.filter((w) => w.inputs.metadata.namespace === ns && matches(s.inputs.spec.selector, w.inputs.spec.template.metadata.labels));
                        assert.ok(pods.length > 0, `${s.inputs.metadata.name} selects no pods`);
                        for (const w of pods) {
                            const cports = w.inputs.spec.template.spec.containers.flatMap((c: any) => c.ports ?? []);
                            assert.ok(cports.some((c: any) => c.name === port.targetPort || c.containerPort === port.targetPort), `${w.inputs.metadata.name}: no container port ${port.targetPort}`);
                        }
                    }
                }
            }
        });

        it("every PodMonitor of an existing component selects pods with its named port", () => {
            const workloads = [...of("kubernetes:apps/v1:StatefulSet"), ...of("kubernetes:apps/v1:Deployment")];
            const monitors = of("kubernetes:monitoring.coreos.com/v1:PodMonitor").filter((m) => m.inputs.metadata.name !== "synapse-db");
            assert.ok(monitors.some((m) => m.inputs.metadata.name === "synapse-router"));
            for (const m of monitors) {
                const pods = workloads.filter((w) => w.inputs.metadata.namespace === m.inputs.metadata.namespace && matches(m.inputs.spec.selector.matchLabels, w.inputs.spec.template.metadata.labels));
                assert.ok(pods.length > 0, `${m.inputs.metadata.name} selects nothing`);
                for (const w of pods) {
                    const names = w.inputs.spec.template.spec.containers.flatMap((c: any) => (c.ports ?? []).map((p: any) => p.name));
                    for (const ep of m.inputs.spec.podMetricsEndpoints) assert.ok(names.includes(ep.port), `${w.inputs.metadata.name} lacks port ${ep.port}`);
                }
            }
        });

        it("MinIO: the PodMonitor's token Secret exists beside it, the pods expose the contract's port, and only Prometheus' pods may reach it", () => {
            const c = SCRAPE_CONTRACTS.minio;
            const [pm] = of("kubernetes:monitoring.coreos.com/v1:PodMonitor").filter((m) => m.inputs.metadata.name === "minio");
            assert.ok(pm, "a MinIO PodMonitor");
            assert.equal(pm.inputs.metadata.namespace, c.namespace);
            const ep = pm.inputs.spec.podMetricsEndpoints[0];
            assert.deepEqual({ path: ep.path, auth: ep.authorization }, { path: c.path, auth: { type: "Bearer", credentials: { ...c.bearerToken } } });
            const secret = of("kubernetes:core/v1:Secret").find((x) => x.inputs.metadata.name === c.bearerToken.name && x.inputs.metadata.namespace === c.namespace);
            assert.ok(secret, "the token Secret");
            const data = unwrapSecrets(secret.inputs.stringData);
            // A JWT (header.claims.signature), which the proof (test/data/minio-metrics.proof.test.ts) shows MinIO accepts.
            assert.match(String(data[c.bearerToken.key]), /^[\w-]+\.[\w-]+\.[\w-]+$/, "the token under the contract's key");
            const sets = of("kubernetes:apps/v1:StatefulSet").filter((w) => w.inputs.metadata.namespace === c.namespace && matches(c.podLabels, w.inputs.spec.template.metadata.labels));
            assert.ok(sets.length >= 1);
            for (const w of sets) {
                const ports = w.inputs.spec.template.spec.containers.flatMap((x: any) => x.ports ?? []);
                assert.ok(ports.some((p: any) => p.name === c.portName && p.containerPort === c.port), w.name);
                assert.ok(w.inputs.spec.template.spec.containers[0].env.some((e: any) => e.name === "MINIO_PROMETHEUS_AUTH_TYPE" && e.value === "jwt"));
            }
            // The allow: from the monitoring namespace's Prometheus pods only, to the contract's port on the MinIO pods.
            const np = of("kubernetes:networking.k8s.io/v1:NetworkPolicy").find((p) => p.inputs.metadata.name === "minio-metrics")!;
            assert.deepEqual(np.inputs.spec.podSelector.matchLabels, c.podLabels);
            assert.deepEqual(np.inputs.spec.ingress, [
                {
                    from: [{ namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": "monitoring" } }, podSelector: { matchLabels: { ...PROMETHEUS_POD_LABELS } } }],
                    ports: [{ protocol: "TCP", port: c.port }],
                },
            ]);
            // Those labels are what the operator gives the pods of kube-prometheus-stack's Prometheus (CR <fullnameOverride>-prometheus).
            const kps = of("kubernetes:helm.sh/v3:Release").find((r) => r.inputs.name === "kube-prometheus-stack")!;
            assert.equal(PROMETHEUS_POD_LABELS["operator.prometheus.io/name"], `${kps.inputs.values.fullnameOverride}-prometheus`);
        });

        it("the monitoring namespace's allows are registered, the webhook's admitted from the control plane's range, never from anywhere", () => {
            const mine = of("kubernetes:networking.k8s.io/v1:NetworkPolicy").filter((p) => p.inputs.metadata.namespace === "monitoring");
            const names = mine.map((p) => p.inputs.metadata.name).sort();
            for (const n of ["monitoring-prometheus", "monitoring-alertmanager", "monitoring-grafana", "monitoring-operator", "monitoring-kube-state-metrics", "monitoring-loki", "default-deny-ingress"]) {
                assert.ok(names.includes(n), `${n} in ${names.join(", ")}`);
            }
            const op = mine.find((p) => p.inputs.metadata.name === "monitoring-operator")!;
            const blocks = op.inputs.spec.ingress.flatMap((r: any) => r.from).filter((f: any) => f.ipBlock).map((f: any) => f.ipBlock.cidr);
            assert.ok(blocks.length > 0 && !blocks.includes("0.0.0.0/0"), JSON.stringify(blocks));
        });

        it("the metrics ports are open to the monitoring namespace only", () => {
            const policies = of("kubernetes:networking.k8s.io/v1:NetworkPolicy");
            const router = policies.find((p) => p.inputs.metadata.name === "synapse-router")!;
            assert.ok(router.inputs.spec.ingress.some((r: any) => r.from[0].namespaceSelector?.matchLabels["kubernetes.io/metadata.name"] === "monitoring"));
        });

        it("installs the stack through the component, with the plan's rule and dashboards, all in the monitoring namespace", () => {
            const component = of("matrix:monitoring:Monitoring");
            assert.equal(component.length, 1);
            const releases = of("kubernetes:helm.sh/v3:Release").filter((r: RegisteredResource) => r.parent === component[0].urn);
            assert.deepEqual(releases.map((r) => r.inputs.name).sort(), ["alloy", "kube-prometheus-stack", "loki"]);
            for (const r of releases) assert.equal(r.inputs.namespace, "monitoring");
            const kps = releases.find((r) => r.inputs.name === "kube-prometheus-stack")!;
            assert.equal(kps.inputs.values.prometheus.prometheusSpec.storageSpec.volumeClaimTemplate.spec.storageClassName, DEFAULT_STORAGE_CLASSES.ssd);
            assert.equal(of("kubernetes:monitoring.coreos.com/v1:PrometheusRule").length, 1);
            assert.ok(of("kubernetes:core/v1:ConfigMap").some((c) => c.inputs.metadata.labels?.grafana_dashboard === "1"));
        });
    });
});
