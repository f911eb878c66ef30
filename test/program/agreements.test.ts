// Agreements between components, read from what the real program registers
// under mocks: the public load balancer and the edge's NodePort Service (issue
// 8 item 9), every custom resource and the release installing its CRD (item 10).
import { strict as assert } from "assert";
import { NAMESPACES } from "../../components/contracts";
import { controllerCatalogue, PROMETHEUS_CRDS_CHART } from "../../components/controllers/catalogue";
import { CHARTS } from "../../components/monitoring/releases";
import { configChecksums, reshardJobName, rollJobName } from "../../components/synapse/restart";
import { runProgram, stackConfigBlock, transitiveDependencies, unwrapSecrets, type ProgramRun, type RegisteredResource } from "../../tools/mock-runtime";
import { customResources, installOrderProblems, releaseOrderProblems } from "../helpers/install-order";

const of = (run: ProgramRun, type: string) => run.resources.filter((r) => r.type === type);
const cr = (run: ProgramRun, kind: string) => run.resources.filter((r) => r.inputs.kind === kind && r.type.includes(":"));

/** NLB listener port -> NodePort its target group forwards to, for the public edge load balancer. */
function edgeForwarding(run: ProgramRun): Map<number, number> {
    const lbs = of(run, "aws:lb/loadBalancer:LoadBalancer").filter((r) => /-edge$/.test(r.name));
    assert.equal(lbs.length, 1, "one public edge load balancer");
    const lbName = lbs[0].name;
    const tgs = new Map(of(run, "aws:lb/targetGroup:TargetGroup").map((t) => [t.name, t]));
    const out = new Map<number, number>();
    for (const l of of(run, "aws:lb/listener:Listener")) {
        if (!String(l.inputs.loadBalancerArn).includes(`/net/${lbName}/`)) continue;
        const tgArn = String(l.inputs.defaultActions[0].targetGroupArn);
        const tg = [...tgs.values()].find((t) => tgArn.includes(`targetgroup/${t.name}/`));
        assert.ok(tg, `listener ${l.name}: target group ${tgArn} not registered`);
        assert.equal(tg.inputs.targetType, "instance");
        out.set(l.inputs.port, tg.inputs.port);
    }
    return out;
}

/** The Envoy Service as Envoy Gateway will render it: type, and Service port -> nodePort. */
function envoyService(run: ProgramRun): { type: string; nodePorts: Map<number, number>; listeners: Map<number, string> } {
    const [proxy] = cr(run, "EnvoyProxy");
    const [gateway] = cr(run, "Gateway");
    const svc = proxy.inputs.spec.provider.kubernetes.envoyService;
    assert.equal(svc.patch?.type ?? "StrategicMerge", "StrategicMerge");
    const ports: { port: number; nodePort: number }[] = svc.patch?.value?.spec?.ports ?? [];
    return {
        type: svc.type ?? "LoadBalancer",
        nodePorts: new Map(ports.map((p) => [p.port, p.nodePort])),
        // Envoy Gateway makes one Service port per distinct Gateway listener port.
        listeners: new Map(gateway.inputs.spec.listeners.map((l: { port: number; protocol: string }) => [l.port, l.protocol])),
    };
}

function nodePortProblems(run: ProgramRun): string[] {
    const problems: string[] = [];
    const svc = envoyService(run);
    if (svc.type !== "NodePort") problems.push(`Envoy Service type ${svc.type}: NodePorts would be random`);
    const protocolFor: Record<number, string> = { 443: "HTTPS", 80: "HTTP" };
    for (const [lbPort, nodePort] of edgeForwarding(run)) {
        const servicePort = [...svc.nodePorts].find(([, n]) => n === nodePort)?.[0];
        if (servicePort === undefined) {
            problems.push(`load balancer port ${lbPort} forwards to NodePort ${nodePort}, which the Envoy Service does not expose`);
            continue;
        }
        const protocol = svc.listeners.get(servicePort);
        if (protocol !== protocolFor[lbPort]) problems.push(`NodePort ${nodePort} reaches Gateway listener port ${servicePort} (${protocol}), expected ${protocolFor[lbPort]}`);
    }
    for (const [port, nodePort] of svc.nodePorts) {
        if (!svc.listeners.has(port)) problems.push(`nodePort ${nodePort} pinned for Service port ${port}, which no Gateway listener has`);
        if (nodePort < 30000 || nodePort > 32767) problems.push(`nodePort ${nodePort} outside the default NodePort range`);
    }
    return problems;
}

describe("agreements across components (real program under mocks)", function () {
    this.timeout(600_000);
    const runs: Record<string, ProgramRun> = {};
    before(async () => {
        runs.dev = await runProgram({ stack: "dev" });
        // Port 80 open too, and a cluster that already runs the Prometheus operator.
        const block = stackConfigBlock("dev");
        runs.devHttp = await runProgram({
            config: {
                ...block,
                "matrix:cluster": { ...(block["matrix:cluster"] as object), edgeHttp: true },
                "matrix:edge": { tls: { mode: "letsencrypt", email: "ops@example.org" } },
                "matrix:controllers": { preinstalledCrds: ["monitoring.coreos.com"] },
            },
        });
    });

    for (const variant of ["dev", "devHttp"]) {
        it(`${variant}: every port the public load balancer forwards to is the Envoy Service's NodePort for the matching listener`, () => {
            const forwarding = edgeForwarding(runs[variant]);
            assert.ok(forwarding.size >= 1);
            assert.deepEqual(nodePortProblems(runs[variant]), []);
        });

        it(`${variant}: every custom resource waits for the release that installs its CRD`, () => {
            const run = runs[variant];
            assert.ok(customResources(run).length >= 10);
            assert.deepEqual(installOrderProblems(run, run.outputs.crdInstallers), []);
        });

        it(`${variant}: every controller release waits for the CRDs it needs at start`, () => {
            const run = runs[variant];
            assert.deepEqual(releaseOrderProblems(run, controllerCatalogue({ envoyGateway: "v0.0.0", certManager: "v0.0.0" }), run.outputs.crdInstallers), []);
        });
    }

    const OURS = new Set<string>(Object.values(NAMESPACES));
    const workloads = (run: ProgramRun) =>
        [...of(run, "kubernetes:apps/v1:Deployment"), ...of(run, "kubernetes:apps/v1:StatefulSet")].filter((w) => OURS.has(w.inputs.metadata.namespace));
    const subset = (sel: Record<string, string> | undefined, labels: Record<string, string>) => sel !== undefined && Object.entries(sel).every(([k, v]) => labels[k] === v);
    const policies = (run: ProgramRun, ns: string) => of(run, "kubernetes:networking.k8s.io/v1:NetworkPolicy").filter((p) => p.inputs.metadata.namespace === ns);

    for (const variant of ["dev", "devHttp"]) {
        it(`${variant}: every namespace denies ingress by default, and every listening workload has an explicit allow`, () => {
            const run = runs[variant];
            for (const ns of OURS) {
                assert.ok(policies(run, ns).some((p) => JSON.stringify(p.inputs.spec.podSelector) === "{}" && p.inputs.spec.policyTypes.includes("Ingress") && !p.inputs.spec.ingress?.length), `${ns}: no default deny`);
            }
            const missing: string[] = [];
            for (const w of workloads(run)) {
                const labels = w.inputs.spec.template.metadata.labels;
                const listens = w.inputs.spec.template.spec.containers.some((c: any) => (c.ports ?? []).length > 0);
                // NetworkPolicies cannot select host-network pods (LiveKit, coturn): the call servers' security group guards them.
                if (!listens || w.inputs.spec.template.spec.hostNetwork === true) continue;
                const allows = policies(run, w.inputs.metadata.namespace).filter((p) => p.inputs.spec.ingress?.length && subset(p.inputs.spec.podSelector.matchLabels, labels));
                if (allows.length === 0) missing.push(`${w.inputs.metadata.namespace}/${w.inputs.metadata.name}`);
                for (const p of allows) for (const rule of p.inputs.spec.ingress) assert.ok(rule.from?.length, `${p.inputs.metadata.name}: an ingress rule open to every source`);
            }
            assert.deepEqual(missing, []);
        });

        it(`${variant}: PostgreSQL accepts connections only from Synapse, its own instances, the operator, LI and monitoring`, () => {
            const run = runs[variant];
            const pg = policies(run, NAMESPACES.matrix).filter((p) => p.inputs.spec.podSelector.matchLabels?.["cnpg.io/cluster"] === "synapse-db");
            assert.equal(pg.length, 1);
            const sources = pg[0].inputs.spec.ingress.filter((r: any) => r.ports.some((p: any) => p.port === 5432)).flatMap((r: any) => r.from);
            assert.ok(sources.length > 0 && sources.every((f: any) => f.podSelector || f.namespaceSelector), JSON.stringify(sources));
            assert.ok(!sources.some((f: any) => f.namespaceSelector && Object.keys(f.namespaceSelector).length === 0), "no namespace-wide wildcard");
        });

        it(`${variant}: every workload with more than one replica has a disruption budget`, () => {
            const run = runs[variant];
            const pdbs = of(run, "kubernetes:policy/v1:PodDisruptionBudget");
            const missing = workloads(run)
                .filter((w) => w.inputs.spec.replicas === undefined || w.inputs.spec.replicas > 1)
                .filter((w) => !pdbs.some((p) => p.inputs.metadata.namespace === w.inputs.metadata.namespace && subset(p.inputs.spec.selector.matchLabels, w.inputs.spec.template.metadata.labels)))
                .map((w) => `${w.inputs.metadata.namespace}/${w.inputs.metadata.name}`);
            assert.deepEqual(missing, []);
        });

        it(`${variant}: MinIO servers and the bootstrap Job have requests and limits`, () => {
            const run = runs[variant];
            const minio = [...of(run, "kubernetes:apps/v1:StatefulSet"), ...of(run, "kubernetes:batch/v1:Job")].filter((w) => w.inputs.metadata.namespace === NAMESPACES.storage);
            assert.ok(minio.length >= 2);
            for (const w of minio) {
                for (const c of w.inputs.spec.template.spec.containers) {
                    assert.ok(c.resources?.requests?.cpu && c.resources?.requests?.memory && c.resources?.limits?.memory, `${w.inputs.metadata.name}/${c.name}`);
                }
            }
        });
    }

    it("the restart Jobs are named by the checksums of the files Synapse runs with, and wait for every Synapse workload", () => {
        const run = runs.dev;
        const cm = of(run, "kubernetes:core/v1:ConfigMap").find((c) => c.inputs.metadata.name === "synapse-config")!;
        const sums = configChecksums(unwrapSecrets(cm.inputs.data));
        const jobs = new Map(of(run, "kubernetes:batch/v1:Job").map((j) => [j.name, j]));
        const reshard = jobs.get("synapse-reshard")!;
        const roll = jobs.get("synapse-roll")!;
        assert.equal(reshard.inputs.metadata.name, reshardJobName(sums));
        assert.equal(roll.inputs.metadata.name, rollJobName(sums));
        const [mode, ns, app, podSelector, annotation, checksum] = reshard.inputs.spec.template.spec.containers[0].command.slice(-6);
        assert.deepEqual([mode, ns, app, checksum], ["all", "matrix", "synapse", sums.sharding]);
        // The pods it compares are the named processes, and they carry that very annotation.
        const [k, v] = podSelector.split("=");
        const named = workloads(run).filter((w) => w.inputs.spec.template.metadata.labels[k] === v);
        assert.ok(named.length > 0, `no pod matches ${podSelector}`);
        for (const w of named) assert.equal(w.inputs.spec.template.metadata.annotations[annotation], sums.sharding, w.name);
        const synapseWorkloads = workloads(run).filter((w) => w.inputs.spec.template.metadata.labels["app.kubernetes.io/name"] === "synapse");
        assert.ok(synapseWorkloads.length > 5);
        for (const job of [reshard, roll]) {
            const deps = transitiveDependencies(run, job.urn);
            for (const w of synapseWorkloads) assert.ok(deps.has(w.urn), `${job.name} does not wait for ${w.name}`);
        }
        assert.ok(transitiveDependencies(run, roll.urn).has(reshard.urn));
        for (const w of synapseWorkloads.filter((x) => x.type.endsWith(":StatefulSet"))) assert.equal(w.inputs.spec.updateStrategy.type, "OnDelete");
    });

    it("both NLB ports reach the Envoy Service when port 80 is open", () => {
        assert.deepEqual([...edgeForwarding(runs.devHttp).keys()].sort(), [443, 80]);
    });

    it("CloudNativePG's PodMonitor exists on every stack and waits for the release installing its CRD (or the CRDs are declared preinstalled)", () => {
        // dev: the base layer installs monitoring.coreos.com (prometheus-operator-crds); devHttp declares it preinstalled.
        assert.equal(runs.dev.outputs.crdInstallers["monitoring.coreos.com"], "prometheus-operator-crds");
        assert.equal(runs.devHttp.outputs.crdInstallers["monitoring.coreos.com"], "preinstalled");
        assert.ok(!of(runs.devHttp, "kubernetes:helm.sh/v3:Release").some((r) => r.name === "prometheus-operator-crds"), "no CRD release when preinstalled");
        for (const run of [runs.dev, runs.devHttp]) {
            const pg = cr(run, "PodMonitor").filter((m) => m.inputs.metadata.name === "synapse-db" && m.inputs.metadata.namespace === NAMESPACES.matrix);
            assert.equal(pg.length, 1, "the CNPG PodMonitor");
            // Both sides: it selects the instances' pods by their CNPG label, on the port the operator names "metrics".
            assert.deepEqual(pg[0].inputs.spec.selector.matchLabels, { "cnpg.io/cluster": "synapse-db" });
            assert.deepEqual(pg[0].inputs.spec.podMetricsEndpoints.map((e: any) => e.port), ["metrics"]);
        }
        const crds = of(runs.dev, "kubernetes:helm.sh/v3:Release").find((r) => r.name === "prometheus-operator-crds")!;
        const [pg] = cr(runs.dev, "PodMonitor").filter((m) => m.inputs.metadata.name === "synapse-db");
        assert.ok(transitiveDependencies(runs.dev, pg.urn).has(crds.urn), "the CNPG PodMonitor waits for prometheus-operator-crds");
        // kube-prometheus-stack runs the operator without its own copy of the CRDs, and waits for them too.
        const kps = of(runs.dev, "kubernetes:helm.sh/v3:Release").find((r) => r.name === "kube-prometheus-stack")!;
        assert.deepEqual(kps.inputs.values.crds, { enabled: false });
        assert.ok(transitiveDependencies(runs.dev, kps.urn).has(crds.urn), "kube-prometheus-stack waits for prometheus-operator-crds");
    });

    it("the CRD chart and kube-prometheus-stack pin the same Prometheus operator version", () => {
        assert.equal(PROMETHEUS_CRDS_CHART.operatorVersion, CHARTS.kubePrometheusStack.appVersion);
        const crds = of(runs.dev, "kubernetes:helm.sh/v3:Release").find((r) => r.name === "prometheus-operator-crds")!;
        assert.equal(crds.inputs.version, PROMETHEUS_CRDS_CHART.version);
        assert.equal(crds.inputs.repositoryOpts.repo, CHARTS.kubePrometheusStack.repo);
    });

    it("the checks fail when the sides disagree", () => {
        const run = runs.dev;
        // A random NodePort (the old LoadBalancer Service) and a CR that waits for nothing.
        const [proxy] = cr(run, "EnvoyProxy");
        const broken: RegisteredResource = { ...proxy, inputs: { ...proxy.inputs, spec: { provider: { type: "Kubernetes", kubernetes: { envoyService: { externalTrafficPolicy: "Local" } } } } } };
        const withBroken = { ...run, resources: run.resources.map((r) => (r === proxy ? broken : r)) };
        assert.ok(nodePortProblems(withBroken).some((p) => /type LoadBalancer/.test(p)));
        assert.ok(nodePortProblems(withBroken).some((p) => /does not expose/.test(p)));

        const issuer = cr(run, "Issuer")[0];
        const orphan: RegisteredResource = { ...issuer, parent: undefined, dependencies: [] };
        const monitor: RegisteredResource = { ...issuer, type: "kubernetes:monitoring.coreos.com/v1:PodMonitor", name: "stray", urn: `${issuer.urn}-stray`, parent: undefined, dependencies: [] };
        const cut = { ...run, resources: [...run.resources.map((r) => (r === issuer ? orphan : r)), monitor] };
        const problems = installOrderProblems(cut, run.outputs.crdInstallers);
        assert.ok(problems.some((p) => p.includes(issuer.name) && /does not wait for release cert-manager/.test(p)), problems.join("\n"));
        assert.ok(problems.some((p) => p.includes("stray") && /does not wait for release prometheus-operator-crds/.test(p)), problems.join("\n"));
        assert.deepEqual(installOrderProblems(cut, { ...run.outputs.crdInstallers, "monitoring.coreos.com": "preinstalled" }).filter((p) => p.includes("stray")), []);
    });
});
