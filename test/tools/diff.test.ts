// npm run diff: what a tier change would do, and above all whether it would
// replace, remove or shrink anything that holds data or identity.
import * as assert from "assert";
import { diffRuns, type Registered } from "../../tools/diff/compare";
import { parseDiffArgs, runDiff, sideConfig } from "../../tools/diff";
import { tierRun as run } from "../helpers/program-runs";

const TIERS = [100, 1000, 5000, 10000, 20000];

const res = (type: string, name: string, inputs: Record<string, any>): Registered => ({
    type,
    name,
    urn: `urn:pulumi:dev::matrix::matrix:test:Thing$${type}::${name}`,
    inputs,
});
const clone = <T>(v: T): T => JSON.parse(JSON.stringify(v));

describe("tier-change diff: the pure comparison", () => {
    const sts = res("kubernetes:apps/v1:StatefulSet", "redis", {
        metadata: { name: "redis" },
        spec: {
            serviceName: "redis",
            selector: { matchLabels: { app: "redis" } },
            replicas: 3,
            template: { metadata: { annotations: { "checksum/config": "a" } }, spec: { containers: [{ name: "r" }] } },
            volumeClaimTemplates: [{ metadata: { name: "data" }, spec: { resources: { requests: { storage: "10Gi" } } } }],
        },
    });
    const pvc = res("kubernetes:core/v1:PersistentVolumeClaim", "data0-minio-pool-0-0", {
        metadata: { name: "data0-minio-pool-0-0" },
        spec: { storageClassName: "matrix-hdd", accessModes: ["ReadWriteOnce"], resources: { requests: { storage: "500Gi" } } },
    });
    const dbClaim = res("kubernetes:core/v1:PersistentVolumeClaim", "data-db", {
        metadata: { name: "data-db" },
        spec: { storageClassName: "matrix-ssd", accessModes: ["ReadWriteOnce"], resources: { requests: { storage: "100Gi" } } },
    });
    const cnpg = res("kubernetes:postgresql.cnpg.io/v1:Cluster", "synapse-db", {
        kind: "Cluster",
        metadata: { name: "synapse-db" },
        spec: { instances: 3, storage: { size: "500Gi", storageClass: "matrix-nvme" } },
    });
    const server = (n: string) =>
        res("aws:ec2/instance:Instance", `cluster-${n}`, {
            ami: "ami-1", availabilityZone: "eu-central-1a", subnetId: "subnet-1", instanceType: "m6i.xlarge",
            tags: { "matrix-scale.io/server": n },
        });
    const volume = res("aws:ebs/volume:Volume", "cluster-database-0-data-0", { availabilityZone: "eu-central-1a", size: 500, encrypted: true });
    const password = res("random:index/randomPassword:RandomPassword", "db-password", { length: 32, special: false });
    const before = [sts, pvc, dbClaim, cnpg, server("database-0"), server("app-3"), volume, password];

    /** One hand-made unsafe change per kind the issue names; each must be caught with a reason naming it. */
    const unsafeCases: Array<[string, (rs: Registered[]) => void, RegExp]> = [
        ["StatefulSet serviceName", (rs) => { rs[0]!.inputs.spec.serviceName = "redis-2"; }, /spec\.serviceName/],
        ["StatefulSet selector", (rs) => { rs[0]!.inputs.spec.selector.matchLabels.app = "x"; }, /spec\.selector/],
        ["StatefulSet volumeClaimTemplates", (rs) => { rs[0]!.inputs.spec.volumeClaimTemplates[0].spec.resources.requests.storage = "5Gi"; }, /volumeClaimTemplates|shrinks/],
        ["PVC storage class", (rs) => { rs[2]!.inputs.spec.storageClassName = "gp2"; }, /storageClassName/],
        ["PVC shrink", (rs) => { rs[2]!.inputs.spec.resources.requests.storage = "50Gi"; }, /shrinks/],
        ["MinIO drive growth", (rs) => { rs[1]!.inputs.spec.resources.requests.storage = "600Gi"; }, /MinIO drive changes size/],
        ["CNPG storage shrink", (rs) => { rs[3]!.inputs.spec.storage.size = "400Gi"; }, /spec\.storage\.size shrinks/],
        ["CNPG storage class", (rs) => { rs[3]!.inputs.spec.storage.storageClass = "matrix-ssd"; }, /storageClass/],
        ["server zone", (rs) => { rs[4]!.inputs.availabilityZone = "eu-central-1b"; }, /availabilityZone/],
        ["server subnet", (rs) => { rs[4]!.inputs.subnetId = "subnet-2"; }, /subnetId/],
        ["server AMI", (rs) => { rs[4]!.inputs.ami = "ami-2"; }, /ami changes/],
        ["EBS volume shrink", (rs) => { rs[6]!.inputs.size = 400; }, /size shrinks/],
        ["EBS volume zone", (rs) => { rs[6]!.inputs.availabilityZone = "eu-central-1c"; }, /availabilityZone/],
        ["a generated password's inputs", (rs) => { rs[7]!.inputs.length = 40; }, /makes a new value/],
        ["a database server removed", (rs) => { rs.splice(4, 1); }, /removed/],
        ["a pool's drive claim removed", (rs) => { rs.splice(1, 1); }, /removed/],
        ["an object's name", (rs) => { rs[2]!.inputs.metadata.name = "data-db-2"; }, /metadata\.name/],
    ];
    for (const [what, mutate, reason] of unsafeCases) {
        it(`catches ${what}`, () => {
            const after = clone(before);
            mutate(after);
            const d = diffRuns(before, after);
            assert.ok(d.unsafe.length > 0, `${what} not caught`);
            assert.ok(d.unsafe.some((u) => reason.test(u.reason)), d.unsafe.map((u) => u.reason).join("\n"));
        });
    }

    it("lets safe changes through: growth, more replicas, a resize in place, an app server removed", () => {
        const after = clone(before);
        after[0]!.inputs.spec.replicas = 5;
        after[2]!.inputs.spec.resources.requests.storage = "200Gi";
        after[3]!.inputs.spec.storage.size = "1Ti";
        after[4]!.inputs.instanceType = "m6i.2xlarge";
        after[6]!.inputs.size = 1000;
        after.splice(5, 1);
        const d = diffRuns(before, after);
        assert.deepEqual(d.unsafe, []);
        assert.equal(d.removed.length, 1);
        assert.ok(d.changed.some((c) => c.name === "cluster-database-0" && c.fields.includes("instanceType")));
    });

    it("lists a workload restart with what changed in its pod template, and how it rolls out", () => {
        const after = clone(before);
        after[0]!.inputs.spec.template.metadata.annotations["checksum/config"] = "b";
        let d = diffRuns(before, after);
        assert.deepEqual(d.restarts.map((r) => [r.name, r.rollout, r.because]), [["redis", "rolling", ["metadata.annotations.checksum/config"]]]);
        after[0]!.inputs.spec.updateStrategy = { type: "OnDelete" };
        d = diffRuns(before, after);
        assert.equal(d.restarts[0]!.rollout, "coordinated");
        // Replica count alone is no restart.
        const scaled = clone(before);
        scaled[0]!.inputs.spec.replicas = 7;
        assert.deepEqual(diffRuns(before, scaled).restarts, []);
    });
});

describe("tier-change diff: arguments", () => {
    const stacks = ["dev", "prod"];
    it("accepts a stack or a CCU on the from side", () => {
        assert.deepEqual(parseDiffArgs(["--from", "dev", "--to", "5000"], stacks), { stack: "dev", fromCcu: undefined, toCcu: 5000, floor: undefined, json: false, ledger: true });
        assert.deepEqual(parseDiffArgs(["--from=1000", "--to=100", "--floor", "1000", "--stack", "prod", "--json"], stacks), { stack: "prod", fromCcu: 1000, toCcu: 100, floor: 1000, json: true, ledger: true });
    });
    it("reports every bad argument at once, and exits 2", async () => {
        const parsed = parseDiffArgs(["--from", "staging", "--to", "0", "--floor", "x", "--what"], stacks);
        assert.ok("problems" in parsed);
        assert.equal(parsed.problems.length, 4, parsed.problems.join("\n"));
        assert.ok(parsed.problems.some((p) => /--from: got "staging"; allowed: a stack name \(dev, prod\)/.test(p)));
        assert.ok(parsed.problems.some((p) => /--to: got "0"; allowed: a whole number from 1 to 20,000/.test(p)));
        const r = await runDiff(["--to", "5"]);
        assert.equal(r.code, 2);
        assert.match(r.stderr, /--from: missing/);
    });
    it("sets the CCU, the floor and the ledger in the stack file's config", () => {
        const c = sideConfig("dev", 5000, 20000, [{ servers: 4 }]) as Record<string, any>;
        assert.equal(c["matrix:ccu"], 5000);
        assert.equal(c["matrix:data"].storageFloorCcu, 20000);
        assert.deepEqual(c["matrix:data"].objectStore.pools, [{ servers: 4 }]);
        assert.ok(c["matrix:backup"].target, "the stack's other settings are kept");
    });
});

describe("tier-change diff: every ordered pair of the guide's tiers through the real program", function () {
    this.timeout(1_200_000);

    it("upward: nothing unsafe; downward with matrix:data.storageFloorCcu at the larger tier: nothing unsafe (20 pairs)", async () => {
        const verdicts: string[] = [];
        for (const from of TIERS) {
            for (const to of TIERS) {
                if (from === to) continue;
                const floor = to < from ? from : undefined;
                const before = await run(from, floor);
                const after = await run(to, floor, before.outputs.objectStorePools);
                const d = diffRuns(before.resources, after.resources);
                verdicts.push(`${from}->${to}: ${d.unsafe.length === 0 ? "safe" : d.unsafe.map((u) => `${u.name} ${u.reason}`).join("; ")}`);
            }
        }
        assert.equal(verdicts.length, 20);
        assert.deepEqual(verdicts.filter((v) => !v.endsWith(": safe")), [], verdicts.join("\n"));
    });

    it("downward without the floor is refused: 20000 -> 100 shrinks the database and drops pools", async () => {
        const before = await run(20000);
        const d = diffRuns(before.resources, (await run(100, undefined, before.outputs.objectStorePools)).resources);
        assert.ok(d.unsafe.some((u) => /shrinks/.test(u.reason)), d.unsafe.map((u) => u.reason).join("\n"));
    });

    it("hand-made unsafe changes to what the real program registers are each caught", async () => {
        const before = (await run(1000)).resources;
        const find = (type: string, name?: RegExp) => before.findIndex((r) => r.type === type && (!name || name.test(r.name)));
        const cases: Array<[string, number, (r: any) => void]> = [
            ["a StatefulSet's serviceName", find("kubernetes:apps/v1:StatefulSet"), (r) => { r.inputs.spec.serviceName += "-x"; }],
            ["the CNPG Cluster's storage shrinks", find("kubernetes:postgresql.cnpg.io/v1:Cluster"), (r) => { r.inputs.spec.storage.size = "1Gi"; }],
            ["a MinIO drive claim grows", find("kubernetes:core/v1:PersistentVolumeClaim", /minio-pool/), (r) => { r.inputs.spec.resources.requests.storage = "99Ti"; }],
            ["a database server moves zone", find("aws:ec2/instance:Instance", /database-0/), (r) => { r.inputs.availabilityZone = "elsewhere-1z"; }],
            ["a data volume shrinks", find("aws:ebs/volume:Volume", /database-0/), (r) => { r.inputs.size = 1; }],
            ["a local PersistentVolume's path", find("kubernetes:core/v1:PersistentVolume"), (r) => { r.inputs.spec.local.path += "-moved"; }],
        ];
        for (const [what, index, mutate] of cases) {
            assert.ok(index >= 0, `the program registers no resource for: ${what}`);
            const after = clone(before);
            mutate(after[index]);
            assert.ok(diffRuns(before, after).unsafe.length > 0, `not caught: ${what}`);
        }
    });

    it("the command prints the JSON form and exits 0 for a safe upward change", async () => {
        const r = await runDiff(["--from", "100", "--to", "1000", "--json"]);
        assert.equal(r.code, 0, r.stdout + r.stderr);
        const out = JSON.parse(r.stdout);
        assert.equal(out.safe, true);
        assert.ok(out.added.some((a: { type: string }) => a.type === "aws:ec2/instance:Instance"), "new app servers");
        assert.ok(out.restarts.length > 0, "a tier change restarts Synapse");
    });
});
