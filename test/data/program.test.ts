// The real program (index.ts) under the harness's mock runtime, for every tier
// (config override of matrix:ccu) and every pair of tiers: the data layer is
// there, on the cluster's provider, with no secret value in plain state, and a
// tier change (done the documented way) is safe.
import { strict as assert } from "assert";
import { FAKE_SECRET_PREFIX, isSecret, runProgram, stackConfigBlock, type RegisteredResource } from "../../tools/mock-runtime";
import { computePlan, TIER_CCUS } from "../../sizing";
import { unsafeChanges } from "../helpers/tier-change";

const base = stackConfigBlock("dev");
const withCcu = (ccu: number, data: Record<string, unknown> = {}) => {
    const d = base["matrix:data"] as Record<string, unknown>;
    return { ...base, "matrix:ccu": ccu, "matrix:data": { ...d, ...data } };
};

/** Plain (non-secret) strings anywhere in a value. */
function plainStrings(v: unknown, out: string[] = []): string[] {
    if (isSecret(v)) return out;
    if (typeof v === "string") out.push(v);
    else if (Array.isArray(v)) v.forEach((x) => plainStrings(x, out));
    else if (v && typeof v === "object") Object.values(v).forEach((x) => plainStrings(x, out));
    return out;
}

describe("data layer in the real program (mock runtime)", function () {
    this.timeout(600_000);
    const runs = new Map<number, { resources: RegisteredResource[]; outputs: Record<string, any> }>();

    before(async () => {
        for (const ccu of TIER_CCUS) runs.set(ccu, await runProgram({ config: withCcu(ccu) }));
    });

    for (const ccu of TIER_CCUS) {
        it(`${ccu} CCU: the data layer is registered from the plan, on the cluster's provider`, () => {
            const plan = computePlan({ ccu, federation: false });
            const { resources, outputs } = runs.get(ccu)!;
            const layer = resources.find((r) => r.type === "matrix:data:DataLayer");
            assert.ok(layer, "DataLayer registered by index.ts");
            const cluster = resources.find((r) => r.type === "kubernetes:postgresql.cnpg.io/v1:Cluster")!;
            assert.equal(cluster.inputs.spec.instances, plan.postgres.instances);
            assert.equal(cluster.inputs.spec.postgresql.parameters.max_connections, String(plan.postgres.maxConnections));
            const pools = resources.filter((r) => r.type === "kubernetes:apps/v1:StatefulSet" && r.name.startsWith("minio-pool-"));
            assert.equal(pools.length, plan.objectStore.pools);
            for (const r of resources.filter((x) => x.type.startsWith("kubernetes:") && x.custom)) {
                assert.ok(r.provider?.includes("pulumi:providers:kubernetes"), `${r.type} ${r.name} uses the cluster's provider, got ${r.provider}`);
            }
            assert.deepEqual(outputs.dataEndpoints.redis.host, "redis-synapse.matrix.svc.cluster.local");
            assert.equal(outputs.dataEndpoints.postgres.host, "synapse-db-rw.matrix.svc.cluster.local");
            assert.equal(outputs.objectStorePools.length, plan.objectStore.pools);
        });
    }

    it("no fake secret appears outside a secret value, in any resource or output", () => {
        for (const [ccu, { resources, outputs }] of runs) {
            for (const r of resources) {
                const leaks = plainStrings(r.inputs).filter((s) => s.includes(FAKE_SECRET_PREFIX));
                assert.deepEqual(leaks, [], `${ccu}: ${r.type} ${r.name}`);
            }
            assert.deepEqual(plainStrings(outputs).filter((s) => s.includes(FAKE_SECRET_PREFIX)), [], `${ccu}: outputs`);
            const secretsInSecrets = resources.filter((r) => r.type === "kubernetes:core/v1:Secret" && JSON.stringify(r.inputs).includes(FAKE_SECRET_PREFIX));
            assert.ok(secretsInSecrets.length >= 9, `${ccu}: generated passwords reach Secrets (${secretsInSecrets.length})`);
        }
    });

    it("every pair of tiers through the program: with the ledger and floor recorded, nothing stateful is renamed, replaced or shrunk", async () => {
        let pairs = 0;
        for (const from of TIER_CCUS) {
            const before = runs.get(from)!;
            for (const to of TIER_CCUS) {
                if (to === from) continue;
                const after = await runProgram({
                    config: withCcu(to, { objectStore: { pools: before.outputs.objectStorePools }, storageFloorCcu: Math.max(from, to) }),
                });
                assert.deepEqual(unsafeChanges(before.resources, after.resources), [], `${from} -> ${to}`);
                pairs++;
            }
        }
        assert.equal(pairs, 20);
    });

    it("a bad matrix:data registers nothing and names every key", async () => {
        await assert.rejects(
            runProgram({ config: withCcu(100, { redis: { haproxyReplicas: 1 }, objectStore: { backend: "gcs" } }) }),
            (e: Error & { registered?: RegisteredResource[] }) => {
                assert.match(e.message, /matrix:data\.redis\.haproxyReplicas/);
                assert.match(e.message, /matrix:data\.objectStore\.backend/);
                assert.ok(!(e.registered ?? []).some((r) => r.type.startsWith("matrix:data")), "no data layer resource registered");
                return true;
            },
        );
    });
});
