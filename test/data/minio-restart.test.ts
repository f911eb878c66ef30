// MinIO needs every server restarted together when a pool is added: the pools
// never roll by themselves, and a Job named after the pool layout stops and
// starts them all once the new pool's servers exist. Both sides are read: the
// checksum the Job enforces and the one each server's pod carries.
import * as assert from "node:assert/strict";
import { POOLS_ANNOTATION, poolRestartNotice, poolsChecksum, poolStatefulSet, restartJobName, serverArgs } from "../../components/data/objectstore/minio";
import { poolLayout } from "../../components/data/objectstore/pools";
import { computePlan } from "../../sizing";
import { transitiveDependencies, type ProgramRun } from "../../tools/mock-runtime";
import { tierRun } from "../helpers/program-runs";

const restartJobs = (run: ProgramRun) =>
    run.resources.filter((r) => r.type === "kubernetes:batch/v1:Job" && String(r.inputs.metadata?.name).startsWith("minio-restart-"));
const poolSets = (run: ProgramRun) =>
    run.resources.filter((r) => r.type === "kubernetes:apps/v1:StatefulSet" && r.inputs.metadata?.namespace === "matrix-storage" && r.inputs.metadata?.labels?.["app.kubernetes.io/name"] === "minio");
const ledgerOf = (run: ProgramRun) => run.outputs.objectStorePools as unknown[];

describe("MinIO restarts when a pool is added", function () {
    this.timeout(300000);

    it("pool StatefulSets never roll on their own (a rolling restart with a new pool list stalls)", () => {
        const layout = poolLayout(computePlan({ ccu: 20000, federation: false }));
        for (const p of layout.pools) assert.equal(poolStatefulSet(p, layout.pools, "matrix-storage", "hdd", 4).spec.updateStrategy.type, "OnDelete");
    });

    it("adding a pool changes every server's arguments and checksum, and says what the update will do; same pools or a first deploy do not", () => {
        const small = poolLayout(computePlan({ ccu: 100, federation: false }));
        const ledger = small.pools.map(({ servers, drivesPerServer, driveGB }) => ({ servers, drivesPerServer, driveGB }));
        const grown = poolLayout(computePlan({ ccu: 20000, federation: false }), ledger);
        assert.ok(grown.pools.length > ledger.length);
        assert.notDeepEqual(serverArgs(grown.pools, "ns"), serverArgs(small.pools, "ns"));
        assert.notEqual(poolsChecksum(grown.pools, "ns"), poolsChecksum(small.pools, "ns"));
        const notice = poolRestartNotice(ledger.length, grown.pools, "matrix-storage");
        assert.ok(notice?.includes(restartJobName(poolsChecksum(grown.pools, "matrix-storage"))), notice);
        assert.equal(poolRestartNotice(ledger.length, small.pools, "matrix-storage"), undefined);
        assert.equal(poolRestartNotice(0, grown.pools, "matrix-storage"), undefined);
        for (const p of grown.pools) {
            assert.equal(poolStatefulSet(p, grown.pools, "matrix-storage", "hdd", 4).spec.template.metadata.annotations[POOLS_ANNOTATION], poolsChecksum(grown.pools, "matrix-storage"));
        }
    });

    describe("in the real program: 100 CCU, then 20,000 CCU on its ledger", () => {
        let small: ProgramRun;
        let after: ProgramRun;
        let again: ProgramRun;
        before(async () => {
            small = await tierRun(100);
            after = await tierRun(20000, undefined, ledgerOf(small));
            again = await tierRun(20000, undefined, ledgerOf(after));
        });

        it("the Job enforces exactly the checksum every server's pod carries, for every pod the selector it passes finds", () => {
            for (const run of [small, after]) {
                const [job] = restartJobs(run);
                assert.ok(job, "no MinIO restart Job");
                const command = job.inputs.spec.template.spec.containers[0].command as string[];
                const [, , mode, ns, app, podSelector, annotation, checksum] = command;
                assert.equal(mode, "all");
                assert.equal(ns, "matrix-storage");
                const sets = poolSets(run);
                assert.ok(sets.length > 0);
                for (const set of sets) {
                    assert.equal(set.inputs.metadata.labels["app.kubernetes.io/name"], app, "the restarter scales the workloads of its app");
                    const podLabels = set.inputs.spec.template.metadata.labels as Record<string, string>;
                    const [k, v] = podSelector.split("=");
                    assert.equal(podLabels[k], v, `${set.name}'s pods are among those the Job checks`);
                    assert.equal(set.inputs.spec.template.metadata.annotations[annotation], checksum, `${set.name} carries the Job's checksum`);
                }
                // It runs only once every pool's StatefulSet (so the new pool's servers) is updated.
                const deps = transitiveDependencies(run, job.urn);
                for (const set of sets) assert.ok(deps.has(set.urn), `the Job waits for ${set.name}`);
                // Its account may scale those StatefulSets and nothing beyond its namespace.
                const account = job.inputs.spec.template.spec.serviceAccountName;
                const binding = run.resources.find((r) => r.type === "kubernetes:rbac.authorization.k8s.io/v1:RoleBinding" && r.inputs.metadata.name === account && r.inputs.metadata.namespace === ns);
                assert.ok(binding, `no RoleBinding for ${account}`);
                const role = run.resources.find((r) => r.type === "kubernetes:rbac.authorization.k8s.io/v1:Role" && r.inputs.metadata.name === binding!.inputs.roleRef.name && r.inputs.metadata.namespace === ns);
                assert.ok(role?.inputs.rules.some((rule: any) => rule.resources.includes("statefulsets/scale") && rule.verbs.includes("patch")));
            }
        });

        it("a new Job (so a restart of all servers) exactly when a pool is added; none when the pools stay", () => {
            const name = (run: ProgramRun) => restartJobs(run).map((j) => j.inputs.metadata.name);
            assert.ok(poolSets(after).length > poolSets(small).length, "the 20,000 CCU tier adds pools");
            assert.notDeepEqual(name(after), name(small));
            assert.deepEqual(name(again), name(after));
            // Resource identity is stable: Pulumi replaces the one Job resource instead of adding Jobs.
            assert.deepEqual(restartJobs(after).map((j) => j.name), restartJobs(small).map((j) => j.name));
        });
    });
});
