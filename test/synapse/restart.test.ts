// Which config changes restart Synapse all at once (sharding: Synapse requires
// it), which roll one process at a time, which restart nothing; and the Job
// that does the all-at-once restart, driven against an in-memory API.
import * as assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import * as path from "node:path";
import { synapseConfigFiles } from "../../components/synapse/homeserver";
import { restarterRole } from "../../components/restarts";
import { configChecksums, reshardJobName, restartTriggers, rollJobName } from "../../components/synapse/restart";
import { buildTopology } from "../../components/synapse/topology";
import { poolProcess, SERVICE_ACCOUNT, type WorkloadInputs } from "../../components/synapse/workloads";
import { computePlan, TIER_CCUS } from "../../sizing";
import type { SizingInput } from "../../sizing/types";
import { SETTINGS } from "../fixtures/synapse-settings";
import { requireTool, venvProgram } from "../helpers/tools";

const files = (input: SizingInput) => {
    const plan = computePlan(input);
    return synapseConfigFiles(plan, buildTopology(plan), SETTINGS);
};
const writers = (input: SizingInput) => {
    const p = computePlan(input);
    return JSON.stringify([p.synapse.workers.eventPersister.count, p.synapse.workers.federationSender.count, p.federation]);
};

describe("coordinated restarts of Synapse", () => {
    it("every tier pair: all-at-once exactly when the writers (stream writers, persisters, senders) change; otherwise a rolling restart", () => {
        for (const a of TIER_CCUS) {
            for (const b of TIER_CCUS) {
                if (a === b) continue;
                const t = restartTriggers(files({ ccu: a, federation: false }), files({ ccu: b, federation: false }));
                const shardingChanged = writers({ ccu: a, federation: false }) !== writers({ ccu: b, federation: false });
                assert.equal(t.allAtOnce, shardingChanged, `${a} -> ${b}`);
                assert.equal(t.rolling, true, `${a} -> ${b}: caches and pools differ`);
            }
        }
    });

    it("one more event persister or turning federation on restarts everything together", () => {
        const base = files({ ccu: 1000, federation: false });
        assert.equal(restartTriggers(base, files({ ccu: 1000, federation: false, overrides: { workers: { eventPersister: 3 } } })).allAtOnce, true);
        assert.equal(restartTriggers(base, files({ ccu: 1000, federation: true })).allAtOnce, true);
    });

    it("more synchrotrons (an HPA bound) restart nothing; a rate-limit or pool change only rolls", () => {
        const base = files({ ccu: 1000, federation: false });
        assert.deepEqual(restartTriggers(base, files({ ccu: 1000, federation: false, overrides: { workers: { synchrotron: 8 } } })), { allAtOnce: false, rolling: false });
        assert.deepEqual(restartTriggers(base, files({ ccu: 1000, federation: false, overrides: { postgresMaxConnections: 800 } })).allAtOnce, false);
    });

    it("a new reshard Job exists only when the sharding checksum changes (its name is the checksum)", () => {
        const a = configChecksums(files({ ccu: 100, federation: false }));
        const b = configChecksums(files({ ccu: 1000, federation: false }));
        const c = configChecksums(files({ ccu: 20000, federation: false }));
        assert.equal(reshardJobName(a), reshardJobName(b));
        assert.notEqual(rollJobName(a), rollJobName(b));
        assert.notEqual(reshardJobName(b), reshardJobName(c));
        assert.match(reshardJobName(c), /^synapse-reshard-[0-9a-f]{12}$/);
    });

    it("named pods carry the sharding checksum the Job compares; autoscaled pods do not", () => {
        const plan = computePlan({ ccu: 5000, federation: false });
        const w: WorkloadInputs = { image: "i", checksum: "r", shardingChecksum: "s", postgresPassword: { name: "a", key: "b" }, redisPassword: { name: "a", key: "b" }, mediaCredentialsSecret: "m", mediaCacheGiB: 5 };
        for (const pool of buildTopology(plan).pools) {
            const meta = poolProcess(pool, w).pod.metadata as any;
            if (pool.def.scalable) assert.equal(meta.annotations["matrix-scale.io/sharding-checksum"], undefined, pool.def.name);
            else {
                assert.equal(meta.annotations["matrix-scale.io/sharding-checksum"], "s", pool.def.name);
                assert.equal(meta.labels["matrix-scale.io/restart"], "coordinated");
            }
        }
    });

    it("the restarter's Role: one namespace, only pods get/list/delete and workloads get/list/patch/scale", () => {
        const role = restarterRole("matrix", "synapse");
        assert.equal(role.metadata.namespace, "matrix");
        for (const rule of role.rules) {
            assert.ok(!rule.verbs.includes("*") && !rule.resources.includes("*") && !rule.apiGroups.includes("*"));
            assert.ok(!rule.resources.includes("secrets"));
        }
        assert.notEqual(SERVICE_ACCOUNT, "synapse-restarter", "Synapse's own account gets no API rights");
    });

    it("restarter.py against an in-memory API: stops all and restores replicas on a sharding change, nothing when current, rolls only stale pods", function () {
        const python = requireTool(this, venvProgram("synapse", "python"), ".ci/install.d/20-synapse.sh");
        const r = spawnSync(python, [path.join(__dirname, "restarter-fake-api.py"), path.resolve(__dirname, "../../components/restarts/restarter.py")], { encoding: "utf8", timeout: 60_000 });
        assert.equal(r.status, 0, r.stderr);
        const out = JSON.parse(r.stdout.trim().split("\n").pop()!);
        assert.deepEqual(out.current.writes, []);
        assert.deepEqual(out.changed.scaledToZero, ["synapse-event-persister", "synapse-main", "synapse-synchrotron"]);
        assert.deepEqual(out.changed.replicasAfter, { "synapse-main": 1, "synapse-event-persister": 2, "synapse-synchrotron": 3 });
        assert.deepEqual(out.changed.annotationsLeft, []);
        assert.deepEqual(out.rolling, ["synapse-event-persister-0", "synapse-main-0"]);
        // The same script as MinIO's restart Job runs it (components/data/objectstore/minio.ts).
        assert.deepEqual(out.minioAdded.scaledToZero, ["pool-0", "pool-1"]);
        assert.deepEqual(out.minioAdded.replicasAfter, { "pool-0": 4, "pool-1": 4 });
        assert.deepEqual(out.minioCurrent.writes, []);
    });
});
