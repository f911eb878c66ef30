// MinIO needs every server restarted together when a pool is added: the pools
// never roll by themselves, and the program says when and how to restart them.
import * as assert from "node:assert/strict";
import { poolRestartNotice, poolStatefulSet, restartAllCommand, serverArgs } from "../../components/data/objectstore/minio";
import { poolLayout } from "../../components/data/objectstore/pools";
import { computePlan } from "../../sizing";

describe("MinIO restarts when a pool is added", () => {
    it("pool StatefulSets never roll on their own (a rolling restart with a new pool list stalls)", () => {
        const layout = poolLayout(computePlan({ ccu: 20000, federation: false }));
        for (const p of layout.pools) assert.equal(poolStatefulSet(p, layout.pools, "matrix-storage", "hdd", 4).spec.updateStrategy.type, "OnDelete");
    });

    it("adding a pool changes every server's arguments and asks for the all-servers restart; same pools or a first deploy do not", () => {
        const small = poolLayout(computePlan({ ccu: 100, federation: false }));
        const ledger = small.pools.map(({ servers, drivesPerServer, driveGB }) => ({ servers, drivesPerServer, driveGB }));
        const grown = poolLayout(computePlan({ ccu: 20000, federation: false }), ledger);
        assert.ok(grown.pools.length > ledger.length);
        assert.notDeepEqual(serverArgs(grown.pools, "ns"), serverArgs(small.pools, "ns"));
        const notice = poolRestartNotice(ledger.length, grown.pools.length, "matrix-storage");
        assert.ok(notice?.includes(restartAllCommand("matrix-storage")), notice);
        assert.equal(poolRestartNotice(ledger.length, ledger.length, "matrix-storage"), undefined);
        assert.equal(poolRestartNotice(0, grown.pools.length, "matrix-storage"), undefined);
    });
});
