// The AwsCluster component under Pulumi mocks, for every tier: what it
// registers matches the plan, nothing internal is open to the internet, and
// moving between any two tiers never replaces or moves a stateful server or
// volume.
import { strict as assert } from "assert";
import { INSTANCE_FAMILIES } from "../../components/cluster/aws/catalogue";
import { USER_DATA_LIMIT_BYTES } from "../../components/cluster/aws/bootstrap";
import { NO_PROVISIONER } from "../../components/cluster/aws/addons";
import { dataDeviceName, STATEFUL_ROLES } from "../../components/cluster/aws/component";
import { gbToGiB } from "../../components/cluster/aws/inventory";
import { DEFAULT_STORAGE_CLASSES, ROLE_LABEL, ROLE_VALUES, SERVER_LABEL } from "../../components/contracts";
import { policyViolations } from "../helpers/policy";
import { NODE_ROLES, type NodeRole, type Plan } from "../../sizing/types";
import { options, planFor, TIERS } from "./aws-fixtures";
import { runAwsCluster, type Registered, type Run } from "./aws-mock-run";
import { at, ATTACHMENT, INSTANCE, PERSISTENT_VOLUME, REPLACING_INPUTS, VOLUME } from "./aws-replacement";


const roleOf = (r: Registered) => NODE_ROLES.find((role) => ROLE_VALUES[role] === r.inputs.tags?.[ROLE_LABEL]) as NodeRole;
const zoneOfSubnet = (subnetId: string) => Number(/^cluster-(?:private|public)-(\d+)-id$/.exec(subnetId)?.[1]);


describe("aws node pools: AwsCluster under mocks", function () {
    const runs = new Map<number, { plan: Plan; run: Run }>();
    before(async function () {
        for (const ccu of TIERS) {
            const plan = planFor(ccu);
            runs.set(ccu, { plan, run: await runAwsCluster(plan, options()) });
        }
    });

    for (const ccu of TIERS) {
        describe(`${ccu} CCU`, () => {
            const get = () => runs.get(ccu) as { plan: Plan; run: Run };

            it("registers the plan's servers per role, each with its data volumes (one per MinIO drive on storage servers) attached in its own zone", () => {
                const { plan, run } = get();
                const instances = run.resources.filter((r) => r.type === INSTANCE);
                assert.equal(instances.length, plan.totals.servers);
                for (const role of NODE_ROLES) assert.equal(instances.filter((i) => roleOf(i) === role).length, plan.nodePools[role].count, role);
                const volumes = new Map(run.resources.filter((r) => r.type === VOLUME).map((v) => [v.name, v]));
                const attachments = run.resources.filter((r) => r.type === ATTACHMENT);
                const perServer = (role: NodeRole) => (role === "storage" ? plan.objectStore.drivesPerServer : 1);
                const expected = NODE_ROLES.reduce((n, role) => n + plan.nodePools[role].count * perServer(role), 0);
                assert.equal(volumes.size, expected);
                assert.equal(attachments.length, expected);
                for (const inst of instances) {
                    const role = roleOf(inst);
                    const pool = plan.nodePools[role];
                    const perDiskGB = role === "storage" ? plan.objectStore.driveGB : pool.diskGB;
                    for (let k = 0; k < perServer(role); k++) {
                        const vol = volumes.get(`${inst.name}-data-${k}`);
                        assert.ok(vol, `${inst.name} has no data volume ${k}`);
                        assert.equal(vol.inputs.type, { ssd: "gp3", nvme: "io2", hdd: "st1" }[pool.diskType]);
                        assert.equal(vol.inputs.size, Math.max(gbToGiB(perDiskGB), pool.diskType === "hdd" ? 125 : 1));
                        assert.equal(vol.inputs.encrypted, true);
                        const zone = zoneOfSubnet(inst.inputs.subnetId);
                        assert.equal(vol.inputs.availabilityZone, options().availabilityZones[zone], `${inst.name} volume zone`);
                        const att = attachments.find((x) => x.name === `${inst.name}-data-${k}`);
                        assert.equal(att?.inputs.instanceId, `${inst.name}-id`);
                        assert.equal(att?.inputs.deviceName, dataDeviceName(k));
                        assert.match(String(att?.inputs.volumeId), /^vol-[0-9a-f]{17}$/);
                        // The bootstrap mounts exactly this volume at disk-<k>.
                        const mount = role === "controlPlane" ? "/var/lib/etcd" : `/var/lib/matrix-scale/data/disk-${k}`;
                        assert.ok(inst.inputs.userData.includes(`Block_Store_${String(att?.inputs.volumeId).replace("-", "")}=${mount}`), `${inst.name} does not mount volume ${k} at ${mount}`);
                    }
                }
            });

            it("offers every database and storage disk as a local PersistentVolume pinned to its server, sized like the volume", () => {
                const { plan, run } = get();
                const pvs = new Map(run.resources.filter((r) => r.type === PERSISTENT_VOLUME).map((r) => [r.inputs.metadata.name as string, r]));
                const servers = run.resources.filter((r) => r.type === INSTANCE && STATEFUL_ROLES.includes(roleOf(r)));
                assert.equal(pvs.size, plan.nodePools.database.count + plan.nodePools.storage.count * plan.objectStore.drivesPerServer);
                for (const inst of servers) {
                    const role = roleOf(inst);
                    const server = inst.inputs.tags[SERVER_LABEL] as string;
                    const disks = role === "storage" ? plan.objectStore.drivesPerServer : 1;
                    for (let k = 0; k < disks; k++) {
                        const pv = pvs.get(`${server}-disk-${k}`);
                        assert.ok(pv, `no PersistentVolume ${server}-disk-${k}`);
                        assert.equal(pv.name, `cluster-pv-${server}-disk-${k}`);
                        const vol = run.resources.find((r) => r.type === VOLUME && r.name === `${inst.name}-data-${k}`) as Registered;
                        assert.deepEqual(pv.inputs.spec.capacity, { storage: `${vol.inputs.size}Gi` });
                        assert.equal(pv.inputs.spec.storageClassName, role === "database" ? DEFAULT_STORAGE_CLASSES.nvme : DEFAULT_STORAGE_CLASSES.hdd);
                        assert.equal(pv.inputs.spec.persistentVolumeReclaimPolicy, "Retain");
                        assert.deepEqual(pv.inputs.spec.accessModes, ["ReadWriteOnce"]);
                        assert.deepEqual(pv.inputs.spec.local, { path: `/var/lib/matrix-scale/data/disk-${k}` });
                        assert.deepEqual(pv.inputs.spec.nodeAffinity, {
                            required: { nodeSelectorTerms: [{ matchExpressions: [{ key: SERVER_LABEL, operator: "In", values: [server] }] }] },
                        });
                        assert.equal(pv.opts.retainOnDelete, true, pv.name);
                        // The server's node is labelled with exactly this value at join (node-labels).
                        assert.ok(inst.inputs.userData.includes(`export SERVER_NAME='${server}'`), inst.name);
                    }
                }
            });

            it("sizes every instance to the smallest type of its family that meets the plan", () => {
                const { plan, run } = get();
                for (const inst of run.resources.filter((r) => r.type === INSTANCE)) {
                    const pool = plan.nodePools[roleOf(inst)];
                    const [family, size] = String(inst.inputs.instanceType).split(".");
                    const sizes = INSTANCE_FAMILIES[family].sizes;
                    const idx = sizes.findIndex((s) => s.name === size);
                    assert.ok(sizes[idx].vcpu >= pool.vcpu && sizes[idx].memoryGiB >= pool.memoryGiB, inst.name);
                    if (idx > 0) assert.ok(sizes[idx - 1].vcpu < pool.vcpu || sizes[idx - 1].memoryGiB < pool.memoryGiB, `${inst.name}: a smaller ${family} fits`);
                }
            });

            it("spreads each role evenly across the zones", () => {
                const { plan, run } = get();
                const zones = options().availabilityZones.length;
                for (const role of NODE_ROLES) {
                    const perZone = new Array(zones).fill(0);
                    for (const inst of run.resources.filter((r) => r.type === INSTANCE && roleOf(r) === role)) perZone[zoneOfSubnet(inst.inputs.subnetId)]++;
                    assert.ok(Math.max(...perZone) <= Math.ceil(plan.nodePools[role].count / zones), `${role}: ${perZone}`);
                }
            });

            it("opens exactly the public ports written here to 0.0.0.0/0 and ::/0, and passes the policy pack", async () => {
                const { run } = get();
                const rules = run.resources.filter((r) => r.type === "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule");
                assert.ok(rules.length > 0);
                const open = (family: "cidrIpv4" | "cidrIpv6", world: string) =>
                    rules
                        .filter((r) => r.inputs[family] === world)
                        .map((r) => `${r.inputs.securityGroupId} ${r.inputs.ipProtocol} ${r.inputs.fromPort}-${r.inputs.toPort}`)
                        .sort();
                // The oracle: HTTPS on the edge load balancer; TURN (3478 UDP/TCP, 5349 TLS), LiveKit ICE/TCP 7881 and the
                // two UDP ranges (LiveKit 50000-59999, TURN relay 60000-65535) on the call servers. edgeHttp is off here.
                const expected = [
                    "cluster-sg-edgeLb-id tcp 443-443",
                    "cluster-sg-calls-id udp 3478-3478",
                    "cluster-sg-calls-id tcp 3478-3478",
                    "cluster-sg-calls-id tcp 5349-5349",
                    "cluster-sg-calls-id tcp 7881-7881",
                    "cluster-sg-calls-id udp 50000-59999",
                    "cluster-sg-calls-id udp 60000-65535",
                ].sort();
                assert.deepEqual(open("cidrIpv4", "0.0.0.0/0"), expected);
                assert.deepEqual(open("cidrIpv6", "::/0"), expected);
                assert.deepEqual(await policyViolations(run.resources), []);
            });

            it("hardens instances: IMDSv2 (one hop outside the control plane), encrypted disks, no SSH key, no secret in user data, stateful ones protected and rolled one at a time", () => {
                const { run } = get();
                const byRole = new Map<NodeRole, Registered[]>();
                for (const inst of run.resources.filter((r) => r.type === INSTANCE)) {
                    const hops = roleOf(inst) === "controlPlane" ? 2 : 1;
                    assert.deepEqual(inst.inputs.metadataOptions, { httpEndpoint: "enabled", httpTokens: "required", httpPutResponseHopLimit: hops });
                    assert.equal(inst.inputs.rootBlockDevice.encrypted, true);
                    assert.equal(inst.inputs.keyName, undefined);
                    assert.equal(inst.inputs.userDataReplaceOnChange, false);
                    assert.doesNotMatch(inst.inputs.userData, /PRIVATE KEY/);
                    assert.ok(Buffer.byteLength(inst.inputs.userData) <= USER_DATA_LIMIT_BYTES, `${inst.name} user data too large for EC2`);
                    assert.ok(inst.opts.ignoreChanges?.includes("ami"), inst.name);
                    const role = roleOf(inst);
                    byRole.set(role, [...(byRole.get(role) ?? []), inst]);
                    assert.equal(inst.inputs.tags[SERVER_LABEL], inst.name.replace(/^cluster-/, ""));
                }
                for (const role of STATEFUL_ROLES) {
                    const list = byRole.get(role) ?? [];
                    list.forEach((inst, i) => {
                        assert.equal(inst.opts.protect, true, inst.name);
                        assert.deepEqual(inst.opts.dependsOn, i === 0 ? [] : [list[i - 1].name], inst.name);
                        const vols = run.resources.filter((r) => r.type === VOLUME && r.name.startsWith(`${inst.name}-data-`));
                        assert.ok(vols.length >= 1 && vols.every((v) => v.opts.protect === true), `${inst.name} volumes unprotected`);
                    });
                }
                const ssm = run.resources.filter((r) => r.type === "aws:ssm/parameter:Parameter");
                for (const p of ssm) assert.equal(p.inputs.type, /\.key$|join-token$/.test(p.inputs.name) ? "SecureString" : "String", p.inputs.name);
                assert.equal(run.kubeconfigIsSecret, true);
            });

            it("installs the pinned add-ons and one StorageClass per disk type", () => {
                const { run } = get();
                const releases = run.resources.filter((r) => r.type === "kubernetes:helm.sh/v3:Release");
                // Literal pins: a version change here is a reviewed upgrade, not a side effect.
                assert.deepEqual(releases.map((r) => `${r.inputs.chart} ${r.inputs.version}`).sort(), [
                    "aws-cloud-controller-manager 0.0.10",
                    "aws-ebs-csi-driver 2.53.0",
                    "cilium 1.18.4",
                    "metrics-server 3.13.0",
                ]);
                for (const r of releases) assert.match(String(r.inputs.version), /^\d+\.\d+\.\d+$/, `${r.inputs.chart} is not pinned`);
                const classes = run.resources.filter((r) => r.type === "kubernetes:storage.k8s.io/v1:StorageClass");
                assert.deepEqual(classes.map((c) => c.inputs.metadata.name).sort(), Object.values(DEFAULT_STORAGE_CLASSES).sort());
                const byName = new Map(classes.map((c) => [c.inputs.metadata.name as string, c]));
                // ssd is dynamically provisioned gp3; nvme and hdd are the servers' own disks.
                const ssd = byName.get(DEFAULT_STORAGE_CLASSES.ssd) as Registered;
                assert.equal(ssd.inputs.provisioner, "ebs.csi.aws.com");
                assert.equal(ssd.inputs.parameters.type, "gp3");
                assert.equal(ssd.inputs.allowVolumeExpansion, true);
                for (const local of [DEFAULT_STORAGE_CLASSES.nvme, DEFAULT_STORAGE_CLASSES.hdd]) {
                    const c = byName.get(local) as Registered;
                    assert.equal(c.inputs.provisioner, NO_PROVISIONER);
                    assert.equal(NO_PROVISIONER, "kubernetes.io/no-provisioner");
                    assert.equal(c.inputs.parameters, undefined);
                    assert.equal(c.inputs.allowVolumeExpansion, false, `${local}: local volumes cannot grow through the claim`);
                }
                for (const c of classes) {
                    assert.equal(c.inputs.volumeBindingMode, "WaitForFirstConsumer");
                    assert.equal(c.inputs.reclaimPolicy, "Retain");
                }
            });
        });
    }

    describe("every pair of tiers", () => {
        for (const a of TIERS) {
            for (const b of TIERS) {
                if (a === b) continue;
                it(`${a} -> ${b}: servers and volumes keep name, zone and every replacing input; stateful ones only grow in place`, () => {
                    const from = (runs.get(a) as { run: Run }).run.resources;
                    const to = new Map((runs.get(b) as { run: Run }).run.resources.map((r) => [`${r.type}::${r.name}`, r]));
                    for (const old of from.filter((r) => r.type in REPLACING_INPUTS)) {
                        const next = to.get(`${old.type}::${old.name}`);
                        const role = NODE_ROLES.find((x) => old.name.startsWith(`cluster-${ROLE_VALUES[x]}-`)) as NodeRole;
                        const stateful = STATEFUL_ROLES.includes(role);
                        if (!next) {
                            // Only a smaller tier drops servers; stateful ones are protected, so
                            // `pulumi up` stops instead of deleting them (see README, decommissioning).
                            assert.ok(b < a, `${old.name} vanished on the way up`);
                            if (stateful && old.type !== ATTACHMENT && old.type !== PERSISTENT_VOLUME) assert.equal(old.opts.protect, true, old.name);
                            if (old.type === PERSISTENT_VOLUME) assert.equal(old.opts.retainOnDelete, true, old.name);
                            continue;
                        }
                        for (const key of REPLACING_INPUTS[old.type]) {
                            assert.deepEqual(at(next.inputs, key), at(old.inputs, key), `${old.name}.${key} changes between ${a} and ${b}`);
                        }
                        if (old.type === INSTANCE && stateful) {
                            assert.equal(String(next.inputs.instanceType).split(".")[0], String(old.inputs.instanceType).split(".")[0], `${old.name} changes family`);
                        }
                        if (old.type === VOLUME && stateful && b > a) assert.ok(next.inputs.size >= old.inputs.size, `${old.name} shrinks`);
                        if (old.type === PERSISTENT_VOLUME && b > a) {
                            assert.ok(parseInt(next.inputs.spec.capacity.storage) >= parseInt(old.inputs.spec.capacity.storage), `${old.name} shrinks`);
                            // nodeAffinity is immutable in the API: it must never change.
                            assert.deepEqual(next.inputs.spec.nodeAffinity, old.inputs.spec.nodeAffinity, old.name);
                            assert.equal(next.inputs.spec.storageClassName, old.inputs.spec.storageClassName, old.name);
                        }
                    }
                });
            }
        }
    });
});
