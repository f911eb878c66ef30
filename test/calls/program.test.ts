// The calls component as the real program registers it under mocks, for the
// dev (100 CCU) and prod (20,000 CCU) stacks: as many LiveKit and coturn
// instances as the plan sizes, each on its own call server with that server's
// Elastic IP, one TURN secret shared with Synapse, the signalling host at the
// edge, and no secret in any ConfigMap.
import * as assert from "node:assert/strict";
import * as YAML from "yaml";
import { callPlacement } from "../../components/calls/placement";
import { ROLE_LABEL, SERVER_LABEL } from "../../components/contracts";
import { computePlan } from "../../sizing";
import { runProgram, unwrapSecrets, type ProgramRun, type RegisteredResource } from "../../tools/mock-runtime";

const of = (run: ProgramRun, type: string) => run.resources.filter((r) => r.type === type);
const named = (run: ProgramRun, type: string, name: string, namespace?: string): RegisteredResource => {
    const hits = of(run, type).filter((r) => r.inputs.metadata?.name === name && (namespace === undefined || r.inputs.metadata?.namespace === namespace));
    assert.equal(hits.length, 1, `${type} ${name}: ${hits.length}`);
    return hits[0];
};

describe("calls under the real program", function () {
    this.timeout(300000);

    for (const [stack, ccu] of [["dev", 100], ["prod", 20000]] as const) {
        describe(`stack ${stack} (${ccu} CCU)`, () => {
            let run: ProgramRun;
            const plan = computePlan({ ccu, federation: false });
            before(async () => {
                run = await runProgram({ stack });
            });

            it("runs the plan's LiveKit and coturn instances, one per call server, on host network with that server's Elastic IP", () => {
                const deployments = of(run, "kubernetes:apps/v1:Deployment").filter((d) => d.inputs.metadata.namespace === "matrix-calls");
                const livekit = deployments.filter((d) => d.inputs.metadata.name.startsWith("livekit-"));
                const coturn = deployments.filter((d) => d.inputs.metadata.name.startsWith("coturn-"));
                assert.equal(livekit.length, plan.livekit.instances);
                assert.equal(coturn.length, plan.coturn.instances);
                const eips = of(run, "aws:ec2/eip:Eip").filter((e) => /-calls-\d+$/.test(e.name));
                assert.equal(eips.length, plan.nodePools.calls.count);
                const byServer = new Map<string, string[]>();
                for (const s of callPlacement(plan)) {
                    for (const name of [s.livekit, s.coturn].filter((n): n is string => n !== undefined)) {
                        const d = deployments.find((x) => x.inputs.metadata.name === name)!;
                        const spec = d.inputs.spec.template.spec;
                        assert.equal(d.inputs.spec.replicas, 1);
                        assert.equal(d.inputs.spec.strategy.type, "Recreate");
                        assert.equal(spec.hostNetwork, true);
                        assert.deepEqual(spec.nodeSelector, { [ROLE_LABEL]: "calls", [SERVER_LABEL]: s.server });
                        assert.ok(spec.tolerations.some((t: any) => t.key === ROLE_LABEL && t.value === "calls"));
                        const env = spec.containers[0].env as { name: string; value?: string }[];
                        const address = env.find((e) => e.name === (name.startsWith("livekit") ? "NODE_IP" : "PUBLIC_IP"))?.value;
                        assert.ok(eips.some((e) => e.name.endsWith(`-${s.server}`)), `no Elastic IP for ${s.server}`);
                        // The mock gives Elastic IPs documentation addresses; a server's instances advertise the same one.
                        assert.match(address ?? "", /^198\.51\.100\.\d+$/, name);
                        byServer.set(s.server, [...(byServer.get(s.server) ?? []), address!]);
                    }
                }
                for (const [server, addrs] of byServer) assert.equal(new Set(addrs).size, 1, server);
            });

            it("lets host-network LiveKit reach its Redis: the policy in front of the Sentinels and servers LiveKit names admits every call server's subnet", () => {
                // Side one: where LiveKit connects (livekit.yaml's Sentinels), and from which servers (the call servers' instances and subnets).
                const lkConfig = named(run, "kubernetes:core/v1:ConfigMap", "livekit-config", "matrix-calls");
                const redis = YAML.parse(lkConfig.inputs.data["livekit.yaml"]).redis;
                const sentinelPorts = (redis.sentinel_addresses as string[]).map((a) => Number(a.split(":").pop()));
                const sentinelService = (redis.sentinel_addresses as string[])[0].split(".")[0];
                const subnets = new Map(of(run, "aws:ec2/subnet:Subnet").map((s) => [`${s.name}-id`, s.inputs.cidrBlock as string]));
                const callInstances = of(run, "aws:ec2/instance:Instance").filter((i) => /-calls-\d+$/.test(i.name));
                assert.equal(callInstances.length, plan.nodePools.calls.count);
                // Side two: the NetworkPolicies selecting the pods behind that Sentinel Service (and the Redis servers they hand out).
                const svc = named(run, "kubernetes:core/v1:Service", sentinelService, "matrix-calls");
                const podLabels = svc.inputs.spec.selector as Record<string, string>;
                const policies = of(run, "kubernetes:networking.k8s.io/v1:NetworkPolicy").filter(
                    (p) => p.inputs.metadata.namespace === "matrix-calls" && Object.entries(p.inputs.spec.podSelector.matchLabels ?? {}).every(([k, v]) => podLabels[k] === v),
                );
                const admitted = policies.flatMap((p) =>
                    (p.inputs.spec.ingress ?? []).flatMap((rule: any) =>
                        (rule.from ?? []).filter((f: any) => f.ipBlock).map((f: any) => ({ cidr: f.ipBlock.cidr as string, ports: (rule.ports ?? []).map((x: any) => x.port as number) })),
                    ),
                );
                // The Redis servers Sentinel hands out: the group's other StatefulSet, on its container's port.
                const redisSets = of(run, "kubernetes:apps/v1:StatefulSet").filter(
                    (x) => x.inputs.metadata.namespace === "matrix-calls" && x.inputs.spec.template.metadata.labels["app.kubernetes.io/instance"] === podLabels["app.kubernetes.io/instance"] && x.inputs.spec.template.metadata.labels["app.kubernetes.io/component"] !== "sentinel",
                );
                const redisPorts = redisSets.flatMap((x) => x.inputs.spec.template.spec.containers.flatMap((c: any) => (c.ports ?? []).filter((p: any) => p.name === "redis").map((p: any) => p.containerPort as number)));
                assert.ok(redisPorts.length > 0, "no Redis server port found beside the Sentinels");
                const inCidr = (inner: string, outer: string) => {
                    const toInt = (ip: string) => ip.split(".").reduce((a, o) => a * 256 + Number(o), 0);
                    const [ia, ib] = inner.split("/");
                    const [oa, ob] = outer.split("/");
                    const size = (bits: string) => 2 ** (32 - Number(bits));
                    return Number(ib) >= Number(ob) && Math.floor(toInt(ia) / size(ob)) === Math.floor(toInt(oa) / size(ob));
                };
                for (const instance of callInstances) {
                    const subnet = subnets.get(instance.inputs.subnetId);
                    assert.ok(subnet, `${instance.name}: subnet ${instance.inputs.subnetId} not found`);
                    for (const port of [...sentinelPorts, ...redisPorts]) {
                        assert.ok(
                            admitted.some((a) => inCidr(subnet, a.cidr) && a.ports.includes(port)),
                            `${instance.name} (subnet ${subnet}) may not reach LiveKit's Redis on port ${port}; admitted: ${JSON.stringify(admitted)}`,
                        );
                    }
                }
            });

            it("shares one generated TURN secret between coturn and Synapse, and keeps secrets out of ConfigMaps", () => {
                const turn = unwrapSecrets(named(run, "kubernetes:core/v1:Secret", "turn-shared-secret").inputs) as any;
                const synapse = unwrapSecrets(named(run, "kubernetes:core/v1:Secret", "synapse-secrets").inputs) as any;
                assert.ok(turn.stringData.secret.length >= 32);
                assert.equal(synapse.stringData.turn_shared_secret, turn.stringData.secret);
                const keys = unwrapSecrets(named(run, "kubernetes:core/v1:Secret", "livekit-keys").inputs) as any;
                const [apiKey, apiSecret] = [keys.stringData["api-key"], keys.stringData["api-secret"]];
                assert.equal(keys.stringData["keys.yaml"], `${apiKey}: ${apiSecret}\n`);
                for (const cm of of(run, "kubernetes:core/v1:ConfigMap")) {
                    const text = JSON.stringify(unwrapSecrets(cm.inputs));
                    for (const secret of [turn.stringData.secret, apiSecret]) assert.ok(!text.includes(secret), `secret in ConfigMap ${cm.inputs.metadata.name}`);
                }
            });

            it("configures Synapse with TURN URIs and the MatrixRTC focus on the signalling host", () => {
                const hs = YAML.parse((unwrapSecrets(named(run, "kubernetes:core/v1:ConfigMap", "synapse-config").inputs) as any).data["homeserver.yaml"]);
                const domain = hs.server_name as string;
                assert.deepEqual(hs.turn_uris, [`turn:turn.${domain}:3478?transport=udp`, `turn:turn.${domain}:3478?transport=tcp`, `turns:turn.${domain}:5349?transport=tcp`]);
                assert.deepEqual(hs.extra_well_known_client_content["org.matrix.msc4143.rtc_foci"], [{ type: "livekit", livekit_service_url: `https://rtc.${domain}` }]);
                const lk = YAML.parse((unwrapSecrets(named(run, "kubernetes:core/v1:ConfigMap", "livekit-config").inputs) as any).data["livekit.yaml"]);
                assert.equal(lk.room.auto_create, false);
                const jwt = named(run, "kubernetes:apps/v1:Deployment", "lk-jwt-service").inputs;
                assert.equal(jwt.spec.replicas, 2);
                const env = Object.fromEntries(jwt.spec.template.spec.containers[0].env.map((e: any) => [e.name, e.value]));
                assert.equal(env.LIVEKIT_FULL_ACCESS_HOMESERVERS, domain);
                assert.equal(env.LIVEKIT_URL, `wss://rtc.${domain}`);
            });

            it("routes the signalling host at the edge: lk-jwt-service's paths to it, the rest to LiveKit, across namespaces by a ReferenceGrant", () => {
                const route = of(run, "kubernetes:gateway.networking.k8s.io/v1:HTTPRoute").find((r) => r.inputs.metadata.name === "calls");
                assert.ok(route);
                const rules = route!.inputs.spec.rules;
                assert.deepEqual(rules[0].matches.map((m: any) => m.path.value), ["/sfu/get", "/get_token"]);
                assert.equal(rules[0].backendRefs[0].name, "lk-jwt-service");
                assert.equal(rules[1].backendRefs[0].name, "livekit");
                assert.equal(rules[1].backendRefs[0].namespace, "matrix-calls");
                assert.ok(of(run, "kubernetes:gateway.networking.k8s.io/v1beta1:ReferenceGrant").some((g) => g.inputs.metadata.namespace === "matrix-calls"));
            });
        });
    }
});
