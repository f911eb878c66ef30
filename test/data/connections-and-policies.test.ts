// The PostgreSQL role's connection limit leaves room for a rolling update at
// the HPA maximum, within max_connections; the LiveKit Redis policy can admit
// hostNetwork clients by their nodes' networks.
import * as assert from "node:assert/strict";
import { ROLLING_MAX_SURGE } from "../../components/contracts";
import { allowFromNamespaces } from "../../components/data/network";
import { appConnectionLimit, clusterSpec, LI_SYNC_CONNECTION_LIMIT } from "../../components/data/postgres/manifests";
import { computePlan, TIER_CCUS } from "../../sizing";

/** CloudNativePG's default superuser_reserved_connections. */
const SUPERUSER_RESERVED = 3;

describe("PostgreSQL role limits and Redis reachability", () => {
    for (const ccu of TIER_CCUS) {
        for (const federation of [false, true]) {
            it(`${ccu} CCU${federation ? ", federation" : ""}: Synapse's role admits every process at HPA maximum plus one surge pod per autoscaled pool`, () => {
                const plan = computePlan({ ccu, federation });
                const w = plan.synapse.workers;
                const surge = ROLLING_MAX_SURGE * (w.synchrotron.cpMax + w.generic.cpMax);
                const role = (clusterSpec(plan, { namespace: "matrix", storageClass: "x" }).spec.managed.roles as any[]).find((r) => r.name === "synapse");
                assert.equal(role.connectionLimit, appConnectionLimit(plan));
                assert.ok(role.connectionLimit >= plan.postgres.connections.totalAtMaxReplicas + surge, `${role.connectionLimit}`);
                assert.ok(role.connectionLimit + LI_SYNC_CONNECTION_LIMIT + SUPERUSER_RESERVED <= plan.postgres.maxConnections, `${role.connectionLimit} vs max_connections ${plan.postgres.maxConnections}`);
            });
        }
    }

    it("LiveKit (host network) reaches its Redis through an ipBlock of the call servers' networks", () => {
        const p = allowFromNamespaces("redis-livekit-ingress", "matrix-calls", { a: "b" }, [6379, 26379], ["matrix-calls"], ["10.40.64.0/20"]);
        assert.deepEqual(p.spec.ingress[0].from, [{ namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": "matrix-calls" } } }, { ipBlock: { cidr: "10.40.64.0/20" } }]);
        assert.deepEqual(allowFromNamespaces("x", "ns", { a: "b" }, [1], ["ns"]).spec.ingress[0].from.length, 1);
    });
});
