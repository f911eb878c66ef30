// Properties that hold for every CCU the guide covers, checked exhaustively
// (1..20,000, federation on and off) and, for overrides, with fast-check.
import * as assert from "assert";
import fc from "fast-check";
import { CcuRangeError, computePlan, MAX_CCU, Plan, SizingError, WORKER_TYPES, WorkerType } from "../../sizing";

const SINGLE_WRITERS: WorkerType[] = ["typingWriter", "toDeviceWriter", "accountDataWriter", "presenceWriter", "pushRulesWriter", "background"];
const HA_PAIRS: WorkerType[] = ["synchrotron", "generic", "eventPersister", "mediaRepository"];

/**
 * Plan values that may go down as CCU goes up, each for a stated reason; every
 * other number in the plan must never decrease.
 */
const NOT_MONOTONE: [RegExp, string][] = [
    [/^synapse\.workers\.\w+\.cpMax$/, "the guide lowers worker cp_max at 20K to fit the budget"],
    [/^postgres\.connections\.(worker|total|totalAtMaxReplicas|guideTotal)$/, "follows worker cp_max"],
    [/^synapse\.workers\.\w+\.maxReplicas$/, "HPA headroom is what the budget leaves, not capacity"],
    [/^media\.yearsCovered$/, "a ratio of capacity to growth"],
    [/^livekit\.capacity\.peak\w+$/, "the load on one LiveKit instance falls when the tier adds an instance"],
    [/^postgres\.parameters\.(autovacuum_naptime|autovacuum_vacuum_scale_factor|autovacuum_analyze_scale_factor)$/, "smaller is more vacuuming"],
];

const UNITS: Record<string, number> = { kB: 1e3, MB: 1e6, GB: 1e9, TB: 1e12, s: 1, min: 60, ms: 1e-3 };

function numeric(value: unknown): number | undefined {
    if (typeof value === "number") return value;
    if (typeof value === "string") {
        const m = /^(-?[\d.]+)\s*([a-zA-Z]*)$/.exec(value);
        if (m && (m[2] === "" || m[2] in UNITS)) return Number(m[1]) * (m[2] ? UNITS[m[2]] : 1);
    }
    return undefined;
}

function leaves(value: unknown, path = "", out = new Map<string, number>()): Map<string, number> {
    if (Array.isArray(value)) return out;
    if (value !== null && typeof value === "object") {
        for (const [k, v] of Object.entries(value)) leaves(v, path ? `${path}.${k}` : k, out);
        return out;
    }
    const n = numeric(value);
    if (n !== undefined && !NOT_MONOTONE.some(([re]) => re.test(path))) out.set(path, n);
    return out;
}

function checkInvariants(plan: Plan): void {
    const w = plan.synapse.workers;
    // HA minimums, guide §2.4.
    assert.ok(plan.postgres.instances >= 3);
    assert.strictEqual(plan.redis.synapse.instances, 3);
    assert.strictEqual(plan.redis.synapse.sentinels, 3);
    assert.strictEqual(plan.redis.livekit.instances, 3);
    assert.strictEqual(plan.redis.livekit.sentinels, 3);
    assert.ok(plan.objectStore.serversPerPool >= 4);
    assert.ok(plan.objectStore.erasureSetDrives >= 2 * plan.objectStore.parity);
    assert.ok(plan.livekit.instances >= 2 && plan.coturn.instances >= 2);
    for (const t of HA_PAIRS) assert.ok(w[t].count >= 2, t);
    assert.strictEqual(w.federationSender.count, plan.federation ? Math.max(2, w.federationSender.count) : 0);
    for (const t of SINGLE_WRITERS) assert.strictEqual(w[t].count, 1, t);
    // Inventory follows the components placed on it.
    assert.strictEqual(plan.nodePools.database.count, plan.postgres.instances);
    assert.strictEqual(plan.nodePools.storage.count, plan.objectStore.pools * plan.objectStore.serversPerPool);
    // LiveKit and coturn share call servers only in the guide's smallest tier (§3.2 and §11.3 size 100 CCU that way).
    assert.strictEqual(plan.callsColocated, plan.ccu <= 100, `${plan.ccu} CCU colocated ${plan.callsColocated}`);
    assert.strictEqual(
        plan.nodePools.calls.count,
        plan.callsColocated ? Math.max(plan.livekit.instances, plan.coturn.instances) : plan.livekit.instances + plan.coturn.instances,
    );
    assert.strictEqual(plan.nodePools.controlPlane.count, 3);
    // A pod alone on its server still leaves room for the kubelet, the OS and daemon sets.
    assert.ok(plan.postgres.pod.cpu > 0 && plan.postgres.pod.cpu <= plan.nodePools.database.vcpu - 0.5);
    assert.ok(plan.postgres.pod.memoryGiB > 0 && plan.postgres.pod.memoryGiB <= plan.nodePools.database.memoryGiB - 2);
    // The connection budget over every process that runs, at planned and at HPA-maximum replicas.
    const c = plan.postgres.connections;
    let total = plan.synapse.main.cpMax;
    let atMax = plan.synapse.main.cpMax;
    let processes = 1;
    for (const t of WORKER_TYPES) {
        assert.ok(w[t].cpMin <= w[t].cpMax, t);
        assert.ok(w[t].maxReplicas >= w[t].count, t);
        total += w[t].count * w[t].cpMax;
        atMax += w[t].maxReplicas * w[t].cpMax;
        processes += w[t].count;
    }
    assert.strictEqual(c.total, total);
    assert.strictEqual(c.totalAtMaxReplicas, atMax);
    assert.strictEqual(plan.synapse.processes, processes);
    assert.ok(total < 0.85 * plan.postgres.maxConnections, `${total} < 0.85 x ${plan.postgres.maxConnections}`);
    assert.ok(atMax < 0.85 * plan.postgres.maxConnections);
    assert.ok(plan.postgres.maxConnections >= plan.postgres.guideMaxConnections);
}

describe("sizing plan invariants for every CCU from 1 to 20,000", function () {
    this.timeout(300000);

    for (const federation of [false, true]) {
        it(`holds HA minimums and the connection budget, and is monotone (federation ${federation ? "on" : "off"})`, () => {
            let previous: Map<string, number> | undefined;
            for (let ccu = 1; ccu <= MAX_CCU; ccu++) {
                const plan = computePlan({ ccu, federation });
                checkInvariants(plan);
                const current = leaves(plan);
                if (previous) {
                    for (const [path, before] of previous) {
                        const after = current.get(path);
                        if (after === undefined) {
                            assert.fail(`${path} disappears between ${ccu - 1} and ${ccu} CCU`);
                        }
                        if (after < before) {
                            assert.fail(`${path} decreases from ${before} to ${after} between ${ccu - 1} and ${ccu} CCU`);
                        }
                    }
                }
                previous = current;
            }
        });
    }

    it("is immutable", () => {
        const plan = computePlan({ ccu: 5000, federation: false });
        assert.throws(() => {
            (plan.synapse.workers.synchrotron as { count: number }).count = 99;
        }, TypeError);
        assert.ok(Object.isFrozen(plan.postgres.parameters));
    });

    it("refuses CCU outside 1..20,000 with a message that says the guide's range", () => {
        for (const bad of [0, -5, 20001, 1.5, Number.NaN]) {
            assert.throws(() => computePlan({ ccu: bad, federation: false }), (e: unknown) => {
                assert.ok(e instanceof CcuRangeError);
                assert.match((e as Error).message, /ccu: got .*allowed: a whole number from 1 to 20,000.*up to 20,000 concurrent users/);
                return true;
            });
        }
    });

    it("accepts overrides that add capacity and keeps the budget, raising max_connections when needed", () => {
        fc.assert(
            fc.property(
                fc.integer({ min: 1, max: MAX_CCU }),
                fc.boolean(),
                fc.integer({ min: 0, max: 10 }),
                fc.integer({ min: 0, max: 4 }),
                (ccu, federation, extraSync, extraPersisters) => {
                    const base = computePlan({ ccu, federation });
                    const workers = {
                        synchrotron: base.synapse.workers.synchrotron.count + extraSync,
                        eventPersister: base.synapse.workers.eventPersister.count + extraPersisters,
                    };
                    const plan = computePlan({ ccu, federation, overrides: { workers } });
                    assert.strictEqual(plan.synapse.workers.synchrotron.count, workers.synchrotron);
                    assert.strictEqual(plan.synapse.workers.eventPersister.count, workers.eventPersister);
                    checkInvariants(plan);
                },
            ),
            { numRuns: 300 },
        );
    });

    it("refuses overrides that remove capacity or break Synapse, naming every key at once", () => {
        const base = computePlan({ ccu: 5000, federation: false });
        assert.throws(
            () =>
                computePlan({
                    ccu: 5000,
                    federation: false,
                    overrides: {
                        workers: { synchrotron: base.synapse.workers.synchrotron.count - 1, typingWriter: 2, federationSender: 2 },
                        postgresMaxConnections: 100,
                    },
                }),
            (e: unknown) => {
                assert.ok(e instanceof SizingError);
                const problems = (e as SizingError).problems;
                assert.strictEqual(problems.length, 4, problems.join("\n"));
                assert.match(problems[0], /^matrix:sizing\.workers\.synchrotron: got 5; allowed: at least 6/);
                assert.match(problems[1], /^matrix:sizing\.workers\.typingWriter: got 2; allowed: 1/);
                assert.match(problems[2], /^matrix:sizing\.workers\.federationSender: got 2; allowed: 0 while matrix:federation is false/);
                assert.match(problems[3], /^matrix:sizing\.postgresMaxConnections: got 100; allowed: a whole number of at least 400/);
                return true;
            },
        );
    });

    it("an explicit max_connections gives the autoscalers more headroom", () => {
        const base = computePlan({ ccu: 20000, federation: true });
        const roomy = computePlan({ ccu: 20000, federation: true, overrides: { postgresMaxConnections: 1000 } });
        assert.strictEqual(roomy.postgres.maxConnections, 1000);
        assert.ok(roomy.synapse.workers.generic.maxReplicas > base.synapse.workers.generic.maxReplicas);
        checkInvariants(roomy);
    });

    it("matrix:sizing.extraServers.app adds application servers of the tier's size to the pool and the totals, and nothing else", () => {
        const base = computePlan({ ccu: 100, federation: false });
        const more = computePlan({ ccu: 100, federation: false, overrides: { extraServers: { app: 2 } } });
        assert.strictEqual(more.nodePools.app.count, base.nodePools.app.count + 2);
        assert.strictEqual(more.nodePools.app.extra, 2);
        assert.strictEqual(base.nodePools.app.extra, 0);
        assert.strictEqual(more.nodePools.app.vcpu, base.nodePools.app.vcpu);
        assert.strictEqual(more.totals.servers, base.totals.servers + 2);
        assert.strictEqual(more.totals.vcpu, base.totals.vcpu + 2 * base.nodePools.app.vcpu);
        for (const role of ["database", "storage", "calls", "li", "monitoring", "controlPlane"] as const) assert.deepEqual(more.nodePools[role], base.nodePools[role]);
        assert.throws(
            () => computePlan({ ccu: 100, federation: false, overrides: { extraServers: { app: -1 } } }),
            (e: unknown) => e instanceof SizingError && /^matrix:sizing\.extraServers\.app: got -1; allowed: a whole number from 0 to \d+$/.test(e.problems[0]),
        );
    });
});
