// What a first `pulumi up` and later ones do on AWS, judged from what the
// component registers under mocks: the program's path to its API and the
// readiness gate in front of the Kubernetes provider, least-privilege IAM
// read as JSON, servers rolled one at a time, bootstrap edits that touch no
// running server, and stateful volumes that never shrink (all 20 ordered
// tier pairs, with and without matrix:data.storageFloorCcu).
import { strict as assert } from "assert";
import { buildInventory, STATEFUL_ROLES, withStatefulFloor } from "../../components/cluster/aws/inventory";
import { FLOOR_KEY, plannedStatefulVolumes, shrinkProblems } from "../../components/cluster/aws/stateful-volumes";
import { ROLE_LABEL, ROLE_VALUES } from "../../components/contracts";
import { NODE_ROLES, type NodeRole } from "../../sizing/types";
import { options, planFor, TIERS } from "./aws-fixtures";
import { runAwsCluster, type Registered, type Run } from "./aws-mock-run";
import { INSTANCE } from "./aws-replacement";

const API_READY = "pulumi-nodejs:dynamic/matrix-scale:ApiReady";
const roleOf = (r: Registered) => NODE_ROLES.find((role) => ROLE_VALUES[role] === r.inputs.tags?.[ROLE_LABEL]) as NodeRole;
const byName = (run: Run, type: string, name: string) => run.resources.find((r) => r.type === type && r.name === name) as Registered;

interface Statement {
    Effect: string;
    Action: string | string[];
    Resource: string | string[];
    Principal?: { AWS?: string };
}
const list = <T>(x: T | T[]) => (Array.isArray(x) ? x : [x]);
const isWrite = (action: string) => !/^[a-z0-9]+:(Describe|List|Get)/.test(action);

describe("aws cluster: first `pulumi up` and later ones", function () {
    this.timeout(600_000);
    let run: Run;
    let edited: Run;

    before(async () => {
        run = await runAwsCluster(planFor(1000), options());
        // Only the bootstrap differs (a cluster-wide value that lands in every server's user data).
        edited = await runAwsCluster(planFor(1000), options({ serviceCidr: "172.22.0.0/16" }));
    });

    describe("reaching the cluster (item 1)", () => {
        it("puts the API behind an internet-facing NLB that admits only the admin networks, next to the nodes' internal one", () => {
            const admin = byName(run, "aws:lb/loadBalancer:LoadBalancer", "cluster-api-admin");
            const internal = byName(run, "aws:lb/loadBalancer:LoadBalancer", "cluster-api");
            assert.equal(admin.inputs.internal, false);
            assert.equal(internal.inputs.internal, true);
            assert.deepEqual(admin.inputs.securityGroups, ["cluster-sg-adminApiLb-id"]);
            const rules = run.resources.filter((r) => r.type === "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule" && r.inputs.securityGroupId === "cluster-sg-adminApiLb-id");
            assert.deepEqual(rules.map((r) => [r.inputs.fromPort, r.inputs.cidrIpv4]), options().adminCidrs.map((c) => [6443, c]));
        });

        it("health-checks API targets with HTTPS /readyz, not a TCP connect", () => {
            for (const name of ["cluster-api", "cluster-api-admin"]) {
                const tg = byName(run, "aws:lb/targetGroup:TargetGroup", name);
                assert.deepEqual([tg.inputs.healthCheck.protocol, tg.inputs.healthCheck.path, tg.inputs.healthCheck.port], ["HTTPS", "/readyz", "6443"], name);
            }
        });

        it("builds the Kubernetes provider only after /readyz answered through the admin endpoint, which waits for every control-plane server", () => {
            const ready = run.resources.filter((r) => r.type === API_READY);
            assert.equal(ready.length, 1);
            const gate = ready[0];
            const adminLb = run.resources.find((r) => r.name === "cluster-api-admin" && r.type === "aws:lb/loadBalancer:LoadBalancer") as Registered;
            assert.ok(adminLb);
            assert.match(gate.inputs.url, /^https:\/\/cluster-api-admin-[0-9a-f]+\.elb\.eu-central-1\.amazonaws\.com:6443$/);
            assert.match(gate.inputs.caCertPem, /BEGIN CERTIFICATE/);
            const cps = run.resources.filter((r) => r.type === INSTANCE && roleOf(r) === "controlPlane").map((r) => r.name);
            for (const cp of cps) {
                assert.ok(gate.opts.dependsOn?.includes(cp), `readiness does not wait for ${cp}`);
                assert.ok(gate.opts.dependsOn?.includes(`${cp.replace("cluster-", "cluster-api-")}`), `readiness does not wait for ${cp}'s API target`);
            }
            const provider = run.resources.find((r) => r.type === "pulumi:providers:kubernetes") as Registered;
            assert.deepEqual(provider.opts.dependsOn, [gate.name]);
            // Every release and object goes through that provider.
            const k8s = run.resources.filter((r) => r.type.startsWith("kubernetes:"));
            assert.ok(k8s.length > 0);
        });
    });

    describe("least privilege (item 3)", () => {
        const policies = () =>
            run.resources
                .filter((r) => r.type === "aws:iam/rolePolicy:RolePolicy")
                .map((r) => ({ name: r.name, role: String(r.inputs.role), doc: JSON.parse(r.inputs.policy) as { Statement: Statement[] } }));

        it("attaches no AWS-managed policy (AmazonSSMManagedInstanceCore granted ssm:GetParameter on every parameter)", () => {
            assert.deepEqual(run.resources.filter((r) => r.type === "aws:iam/rolePolicyAttachment:RolePolicyAttachment"), []);
        });

        it("grants no write action on ssm, kms or ec2 over Resource *", () => {
            for (const p of policies()) {
                for (const st of p.doc.Statement) {
                    for (const action of list(st.Action)) {
                        if (!/^(ssm|kms|ec2):/.test(action) || !isWrite(action)) continue;
                        assert.ok(!list(st.Resource).includes("*"), `${p.name}: ${action} on *`);
                    }
                }
            }
        });

        it("lets only the control-plane role read the PKI parameters or use the PKI key; workers read the join token only", () => {
            const pki = run.resources.filter((r) => r.type === "aws:ssm/parameter:Parameter" && /\/pki\//.test(r.inputs.name));
            assert.ok(pki.length >= 8);
            const key = run.resources.find((r) => r.type === "aws:kms/key:Key") as Registered;
            for (const p of pki.filter((x) => x.inputs.type === "SecureString")) assert.equal(p.inputs.keyId, `arn:aws:mock:::${key.name}`, p.inputs.name);
            const token = run.resources.find((r) => r.type === "aws:ssm/parameter:Parameter" && r.inputs.name.endsWith("/join-token")) as Registered;
            const arn = (r: Registered) => `arn:aws:ssm:eu-central-1:123456789012:parameter${r.inputs.name}`;
            const worker = policies().filter((p) => p.role === "cluster-node-id");
            assert.ok(worker.length > 0);
            const workerResources = worker.flatMap((p) => p.doc.Statement.flatMap((s) => list(s.Resource)));
            assert.deepEqual(workerResources, [arn(token)]);
            assert.ok(worker.every((p) => p.doc.Statement.every((s) => list(s.Action).every((a) => a === "ssm:GetParameter"))));
            const cp = policies().filter((p) => p.role === "cluster-controlPlane-id").flatMap((p) => p.doc.Statement);
            const cpReads = cp.filter((s) => list(s.Action).includes("ssm:GetParameter")).flatMap((s) => list(s.Resource));
            for (const p of pki) assert.ok(cpReads.includes(arn(p)), p.inputs.name);
            const keyPolicy = JSON.parse(key.inputs.policy) as { Statement: Statement[] };
            const users = keyPolicy.Statement.filter((s) => list(s.Action).includes("kms:Decrypt")).map((s) => s.Principal?.AWS);
            assert.deepEqual(users, ["arn:aws:mock:::cluster-controlPlane"]);
        });

        it("keeps pods away from the instance role outside the control plane (IMDS hop limit 1)", () => {
            for (const inst of run.resources.filter((r) => r.type === INSTANCE)) {
                assert.equal(inst.inputs.metadataOptions.httpPutResponseHopLimit, roleOf(inst) === "controlPlane" ? 2 : 1, inst.name);
            }
        });
    });

    describe("rollouts (item 2)", () => {
        it("an edited bootstrap changes user data only, which no existing server picks up", () => {
            let changed = 0;
            for (const inst of run.resources.filter((r) => r.type === INSTANCE)) {
                const next = byName(edited, INSTANCE, inst.name);
                if (next.inputs.userData !== inst.inputs.userData) changed++;
                const ignored = new Set(next.opts.ignoreChanges ?? []);
                const keys = new Set([...Object.keys(inst.inputs), ...Object.keys(next.inputs)]);
                for (const k of keys) {
                    if (ignored.has(k)) continue;
                    assert.deepEqual(next.inputs[k], inst.inputs[k], `${inst.name}.${k} changes with a bootstrap edit`);
                }
            }
            assert.equal(changed, run.resources.filter((r) => r.type === INSTANCE).length, "the edit did not reach user data: the test proves nothing");
        });

        // Pulumi waits for a resource's dependencies: a server that depends on its predecessor of the
        // same role is never stopped while that one is. So at most one server of a role changes at a time.
        for (const a of TIERS) {
            for (const b of TIERS) {
                if (a === b) continue;
                it(`${a} -> ${b}: every server a tier change resizes waits for the previous server of its role`, () => {
                    const from = buildInventory(withStatefulFloor(planFor(a), b < a ? planFor(a) : undefined), options());
                    const to = buildInventory(withStatefulFloor(planFor(b), b < a ? planFor(a) : undefined), options());
                    for (const role of NODE_ROLES) {
                        const before = from.servers.filter((s) => s.role === role);
                        const after = to.servers.filter((s) => s.role === role);
                        const resized = after.filter((s) => before.some((o) => o.name === s.name && o.instance.instanceType !== s.instance.instanceType));
                        for (const s of resized) {
                            if (s.index === 0) continue;
                            // The run registers the same chain for any tier (see the per-tier check in aws-resources).
                            const inst = byName(run, INSTANCE, `cluster-${s.name}`);
                            if (inst) assert.deepEqual(inst.opts.dependsOn, [`cluster-${ROLE_VALUES[role]}-${s.index - 1}`], s.name);
                        }
                    }
                });
            }
        }
    });

    describe("stateful volumes never shrink (item 7)", () => {
        for (const a of TIERS) {
            for (const b of TIERS) {
                if (a === b) continue;
                it(`${a} -> ${b}: with the floor at ${Math.max(a, b)} every stateful server stays and no volume shrinks${b < a ? "; without it, each volume that would shrink is a config error naming the floor key" : ""}`, () => {
                    const floor = (ccu: number) => (Math.max(a, b) > ccu ? planFor(Math.max(a, b)) : undefined);
                    const from = buildInventory(withStatefulFloor(planFor(a), undefined), options());
                    const to = buildInventory(withStatefulFloor(planFor(b), floor(b)), options());
                    const before = plannedStatefulVolumes(from, "matrix-test");
                    const after = plannedStatefulVolumes(to, "matrix-test");
                    for (const [name, size] of before) {
                        assert.ok(after.has(name), `${name} disappears`);
                        assert.ok((after.get(name) as number) >= size, `${name} shrinks from ${size} to ${after.get(name)} GiB`);
                    }
                    for (const role of STATEFUL_ROLES) {
                        assert.ok(to.servers.filter((s) => s.role === role).length >= from.servers.filter((s) => s.role === role).length, `${role} servers removed`);
                    }
                    assert.deepEqual(shrinkProblems([...before].map(([name, sizeGiB]) => ({ name, sizeGiB })), after, b), []);
                    if (b < a) {
                        const unfloored = plannedStatefulVolumes(buildInventory(planFor(b), options()), "matrix-test");
                        const problems = shrinkProblems([...before].map(([name, sizeGiB]) => ({ name, sizeGiB })), unfloored, b);
                        // Some downward pairs keep the same disks (e.g. 20000 -> 10000); the error is due exactly when one would shrink.
                        const shrinking = [...before].filter(([name, size]) => (unfloored.get(name) ?? size) < size);
                        assert.equal(problems.length, shrinking.length, problems.join("\n"));
                        for (const p of problems) assert.ok(p.startsWith(`${FLOOR_KEY}:`), p);
                    }
                });
            }
        }

        it("refuses, under the component, a plan that would shrink a volume existing in AWS, before any stateful volume is registered", async () => {
            const big = buildInventory(planFor(20000), options());
            const existing = [...plannedStatefulVolumes(big, "matrix-test")].map(([name, sizeGiB]) => ({ name, sizeGiB }));
            // With the floor, the same existing volumes are fine.
            const floored = await runAwsCluster(planFor(1000), options(), { existingVolumes: existing, floorPlan: planFor(20000) });
            assert.deepEqual(floored.errors, []);
            assert.ok(floored.resources.some((r) => r.type === "aws:ebs/volume:Volume" && r.name === "cluster-database-0-data-0"));
            const small = await runAwsCluster(planFor(1000), options(), { existingVolumes: existing });
            assert.ok(small.errors.some((e) => e.includes(`${FLOOR_KEY}: volume matrix-test-database-0-data-0 is`)), small.errors.join("\n"));
            assert.equal(small.resources.filter((r) => r.type === "aws:ebs/volume:Volume" && /-(database|storage)-/.test(r.name)).length, 0);
        });
    });
});
