// Synapse, router, Element Web and edge as the real program registers them
// under mocks, for the dev (100 CCU) and prod (20,000 CCU) stacks and across
// every pair of tiers.
import * as assert from "node:assert/strict";
import * as YAML from "yaml";
import { computePlan, TIER_CCUS } from "../../sizing";
import { checkSynapseFiles } from "../../components/synapse/checks";
import { CHECKSUM_ANNOTATION } from "../../components/synapse/workloads";
import { WORKER_TABLE } from "../../components/synapse/worker-table";
import { checkConfig } from "../../tools/loopback/haproxy";
import { hasBinary } from "../helpers/binaries";
import { isSecret, runProgram, stackConfigBlock, unwrapSecrets, type ProgramRun, type RegisteredResource } from "../../tools/mock-runtime";

const of = (run: ProgramRun, type: string) => run.resources.filter((r) => r.type === type);
const named = (run: ProgramRun, type: string, name: string): RegisteredResource => {
    const hits = of(run, type).filter((r) => r.inputs.metadata?.name === name);
    assert.equal(hits.length, 1, `${type} ${name}: ${hits.length}`);
    return hits[0];
};

describe("Synapse and its front under the real program", function () {
    this.timeout(300000);

    for (const [stack, ccu] of [["dev", 100], ["prod", 20000]] as const) {
        describe(`stack ${stack} (${ccu} CCU)`, () => {
            let run: ProgramRun;
            const plan = computePlan({ ccu, federation: false });
            before(async () => {
                run = await runProgram({ stack });
            });

            it("registers the four components with matrix:<module>:<Type> tokens, children parented to them", () => {
                for (const token of ["matrix:synapse:Synapse", "matrix:router:Router", "matrix:element:ElementWeb", "matrix:edge:Edge"]) {
                    assert.equal(of(run, token).length, 1, token);
                }
                const synapse = of(run, "matrix:synapse:Synapse")[0];
                const synapseSets = of(run, "kubernetes:apps/v1:StatefulSet").filter((s) => s.inputs.spec.template.metadata.labels?.["app.kubernetes.io/name"] === "synapse");
                assert.ok(synapseSets.length > 5);
                for (const s of synapseSets) assert.equal(s.parent, synapse.urn);
            });

            it("runs every pool of the plan at its size: StatefulSets for named processes, Deployments with HPAs for the rest", () => {
                assert.equal(named(run, "kubernetes:apps/v1:StatefulSet", "synapse-main").inputs.spec.replicas, 1);
                for (const def of WORKER_TABLE) {
                    const w = plan.synapse.workers[def.type];
                    const deployed = w.count > 0 && !(def.federationOnly && !plan.federation);
                    if (!deployed) {
                        assert.equal(of(run, "kubernetes:apps/v1:StatefulSet").filter((s) => s.inputs.metadata.name === def.name).length, 0, def.name);
                        continue;
                    }
                    if (def.scalable) {
                        const hpa = named(run, "kubernetes:autoscaling/v2:HorizontalPodAutoscaler", def.name);
                        assert.equal(hpa.inputs.spec.minReplicas, w.count);
                        assert.equal(hpa.inputs.spec.maxReplicas, w.maxReplicas);
                        named(run, "kubernetes:apps/v1:Deployment", def.name);
                    } else {
                        const sts = named(run, "kubernetes:apps/v1:StatefulSet", def.name);
                        assert.equal(sts.inputs.spec.replicas, w.count);
                        assert.equal(sts.inputs.spec.serviceName, def.name);
                        assert.equal(named(run, "kubernetes:core/v1:Service", def.name).inputs.spec.clusterIP, "None");
                    }
                    named(run, "kubernetes:policy/v1:PodDisruptionBudget", def.name);
                }
            });

            it("shows every Synapse pool in the stack outputs before anything is created", () => {
                const summary = run.outputs.synapse as Record<string, string>;
                assert.match(summary["synapse-main"], /^StatefulSet, 1 pod/);
                assert.match(summary["synapse-synchrotron"], new RegExp(`^Deployment \\+ HPA ${plan.synapse.workers.synchrotron.count}\\.\\.${plan.synapse.workers.synchrotron.maxReplicas} pods`));
                assert.match(summary["synapse-event-persister"], /synapse-event-persister-0/);
            });

            it("annotates every Synapse pod template with the same checksum of the generated files", () => {
                const templates = [...of(run, "kubernetes:apps/v1:StatefulSet"), ...of(run, "kubernetes:apps/v1:Deployment")]
                    .filter((r) => r.inputs.spec.template.metadata.labels?.["app.kubernetes.io/name"] === "synapse")
                    .map((r) => r.inputs.spec.template.metadata.annotations[CHECKSUM_ANNOTATION]);
                assert.ok(templates.length > 5);
                assert.match(templates[0], /^[0-9a-f]{64}$/);
                assert.equal(new Set(templates).size, 1);
            });

            it("ships config files that pass our checks, and keeps generated secrets secret", () => {
                const cm = named(run, "kubernetes:core/v1:ConfigMap", "synapse-config");
                assert.deepEqual(checkSynapseFiles(unwrapSecrets(cm.inputs.data)), []);
                const hs = YAML.parse(unwrapSecrets(cm.inputs.data)["homeserver.yaml"]);
                assert.equal(hs.server_name, stackConfigBlock(stack)["matrix:domain"]);
                const secrets = named(run, "kubernetes:core/v1:Secret", "synapse-secrets").inputs.stringData;
                assert.ok(isSecret(secrets), "generated secrets must be Pulumi secrets");
                for (const k of ["macaroon_secret_key", "form_secret", "registration_shared_secret", "worker_replication_secret"]) {
                    assert.match(unwrapSecrets(secrets)[k], /^mocksecret-password-/, k);
                    // Each is read by Synapse from the file its *_path option names.
                    assert.equal(hs[`${k}_path`], `/secrets/synapse/${k}`);
                }
                const key = named(run, "kubernetes:core/v1:Secret", "synapse-signing-key").inputs.stringData;
                assert.ok(isSecret(key));
                assert.match(unwrapSecrets(key)["signing.key"], /^ed25519 a_\S+ [^=\s]+\n$/);
            });

            it("ships a haproxy.cfg that haproxy -c accepts (the ConfigMap content itself)", function () {
                if (!hasBinary("haproxy")) {
                    if (process.env.CI) throw new Error("haproxy is required in CI but is not installed");
                    console.log("    skipped: haproxy is not installed");
                    this.skip();
                }
                const cfg = unwrapSecrets(named(run, "kubernetes:core/v1:ConfigMap", "synapse-router").inputs.data)["haproxy.cfg"];
                const r = checkConfig(cfg);
                assert.ok(r.ok, r.output);
            });

            it("exposes only the Matrix port of a two-replica router, never replication or metrics", () => {
                const svc = named(run, "kubernetes:core/v1:Service", "synapse-router");
                assert.equal(svc.inputs.spec.type, "ClusterIP");
                assert.deepEqual(svc.inputs.spec.ports.map((p: { port: number }) => p.port), [8008]);
                assert.ok(named(run, "kubernetes:apps/v1:Deployment", "synapse-router").inputs.spec.replicas >= 2);
                named(run, "kubernetes:policy/v1:PodDisruptionBudget", "synapse-router");
                assert.ok(named(run, "kubernetes:apps/v1:Deployment", "element-web").inputs.spec.replicas >= 2);
                for (const s of of(run, "kubernetes:core/v1:Service")) assert.notEqual(s.inputs.spec.type, "LoadBalancer", s.name);
                // Router and Element accept traffic only from the edge's proxies; Synapse's replication only from Synapse.
                for (const np of ["synapse-router", "element-web"]) {
                    const from = named(run, "kubernetes:networking.k8s.io/v1:NetworkPolicy", np).inputs.spec.ingress[0].from;
                    assert.deepEqual(from, [{ namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": "envoy-gateway-system" } } }], np);
                }
                const synapsePolicy = named(run, "kubernetes:networking.k8s.io/v1:NetworkPolicy", "synapse").inputs.spec.ingress;
                const replication = synapsePolicy.find((r: any) => r.ports[0].port === 9093);
                assert.deepEqual(replication.from, [{ podSelector: { matchLabels: { "app.kubernetes.io/name": "synapse" } } }]);
            });
        });
    }

    it("refuses Let's Encrypt on an AWS cluster whose port 80 stays closed, before registering anything", async () => {
        const base = { ccu: 100, domain: "example.org", cluster: { provider: "aws", region: "eu-central-1", adminCidrs: ["203.0.113.0/24"] }, edge: { tls: { mode: "letsencrypt", email: "ops@example.org" } } };
        const err = await runProgram({ config: base }).then(
            () => assert.fail("expected failure"),
            (e) => e,
        );
        assert.equal(err.name, "ConfigError");
        assert.match(err.message, /matrix:edge\.tls\.mode: "letsencrypt" needs port 80 .*matrix:cluster\.edgeHttp is false/);
        assert.deepEqual(err.registered.map((r: RegisteredResource) => r.type), ["pulumi:pulumi:Stack"]);
        const ok = await runProgram({ config: { ...base, cluster: { ...base.cluster, edgeHttp: true } } });
        // The edge's one ACME issuer (the calls and LI components bring their own internal CAs).
        assert.equal(of(ok, "kubernetes:cert-manager.io/v1:Issuer").filter((r) => r.inputs.spec?.acme).length, 1);
    });

    it("keeps every Synapse StatefulSet's identity across every pair of tiers (nothing stateful replaced)", async () => {
        const identities = new Map<number, Map<string, string>>();
        for (const ccu of TIER_CCUS) {
            const run = await runProgram({ stack: "prod", config: { ...stackConfigBlock("prod"), "matrix:ccu": ccu, "matrix:federation": true } });
            identities.set(ccu, new Map(of(run, "kubernetes:apps/v1:StatefulSet").map((s) => [s.inputs.metadata.name as string, s.urn])));
        }
        for (const a of TIER_CCUS) {
            for (const b of TIER_CCUS) {
                for (const [name, urn] of identities.get(a)!) {
                    const other = identities.get(b)!.get(name);
                    if (other !== undefined) assert.equal(other, urn, `${a} -> ${b}: ${name}`);
                }
                // Pools present at both tiers exist under the same name (none renamed).
                const shared = [...identities.get(a)!.keys()].filter((n) => WORKER_TABLE.some((d) => d.name === n) || n === "synapse-main");
                for (const n of shared) assert.ok(identities.get(b)!.has(n), `${a} -> ${b}: ${n} disappeared`);
            }
        }
    });
});
