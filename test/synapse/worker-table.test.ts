import * as assert from "node:assert/strict";
import { computePlan, TIER_CCUS, WORKER_TYPES } from "../../sizing";
import { SINGLE_WRITER_STREAMS, STREAMS } from "../../components/synapse/streams";
import { buildTopology, TopologyError } from "../../components/synapse/topology";
import { WORKER_TABLE, definitionOf } from "../../components/synapse/worker-table";

describe("synapse worker definition table", () => {
    it("has exactly one definition per worker type of the plan", () => {
        assert.deepEqual([...WORKER_TABLE.map((d) => d.type)].sort(), [...WORKER_TYPES].sort());
        assert.equal(new Set(WORKER_TABLE.map((d) => d.name)).size, WORKER_TABLE.length);
    });

    it("gives every stream at most one writer type, and single-writer streams at most one instance", () => {
        for (const s of STREAMS) {
            const writers = WORKER_TABLE.filter((d) => d.streams.includes(s));
            assert.ok(writers.length <= 1, `${s} has ${writers.length} writer types`);
            if (SINGLE_WRITER_STREAMS.includes(s) && writers[0]) assert.equal(writers[0].maxInstances, 1, s);
        }
    });

    it("never lets a stream writer or media worker fall back to main, and only anonymous pools scale", () => {
        for (const d of WORKER_TABLE) {
            if (d.streams.length > 0 || d.type === "mediaRepository") assert.equal(d.fallbackToMain, false, d.type);
            if (d.scalable) assert.equal(d.streams.length, 0, `${d.type} is named in stream_writers and cannot autoscale`);
        }
    });

    it("agrees with the plan on pool class and on which types autoscale, at every tier", () => {
        for (const ccu of TIER_CCUS) {
            const plan = computePlan({ ccu, federation: true });
            for (const t of WORKER_TYPES) {
                const w = plan.synapse.workers[t];
                assert.equal(definitionOf(t).poolClass, w.poolClass, `${ccu}: ${t} pool class`);
                if (!definitionOf(t).scalable) assert.equal(w.maxReplicas, w.count, `${ccu}: ${t} cannot autoscale`);
            }
        }
    });

    it("keeps route regexes free of whitespace and unique across the table", () => {
        const seen = new Map<string, string>();
        for (const d of WORKER_TABLE) {
            for (const g of d.routes) {
                for (const p of g.patterns) {
                    assert.doesNotMatch(p, /\s/);
                    assert.ok(p.startsWith("^/"), p);
                    new RegExp(p);
                    const key = `${p}|${(g.methods ?? []).join()}`;
                    // The same regex may be listed by a writer and the generic worker (the writer wins by order).
                    if (seen.has(key) && seen.get(key) === d.type) assert.fail(`${p} listed twice for ${d.type}`);
                    seen.set(key, d.type);
                }
            }
        }
    });

    it("rejects a plan with two writers for a single-writer stream, naming the key and what is allowed", () => {
        const plan = computePlan({ ccu: 100, federation: false });
        const bad = { ...plan, synapse: { ...plan.synapse, workers: { ...plan.synapse.workers, typingWriter: { ...plan.synapse.workers.typingWriter, count: 2, maxReplicas: 2 } } } };
        assert.throws(() => buildTopology(bad), (e: unknown) => e instanceof TopologyError && /typingWriter: count 2 .* at most 1/.test(e.message));
    });

    it("deploys federation senders only when federation is on", () => {
        for (const ccu of TIER_CCUS) {
            const off = buildTopology(computePlan({ ccu, federation: false }));
            assert.ok(!off.pools.some((p) => p.def.type === "federationSender"));
            const on = buildTopology(computePlan({ ccu, federation: true }));
            assert.equal(on.pools.find((p) => p.def.type === "federationSender")?.instances.length, computePlan({ ccu, federation: true }).synapse.workers.federationSender.count);
        }
    });
});
