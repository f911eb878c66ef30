// The guide's tables (§3-§12) as acceptance data, transcribed here on their
// own so that a slip in sizing/guide-tiers.ts cannot agree with itself.
import * as assert from "assert";
import * as fs from "fs";
import * as path from "path";
import { computePlan, NodeRole, Plan } from "../../sizing";

interface Row {
    servers: Record<NodeRole, [count: number, vcpu: number, ram: number, diskGB: number]>;
    workers: [sync: number, generic: number, persisters: number, senders: number, total: number];
    sizes: { main: [number, number]; sync: [number, number]; generic: [number, number]; persister: [number, number]; sender: [number, number] };
    pools: [mainCpMax: number, workerCpMax: number, guideTotal: number, maxConnections: number];
    caches: [globalFactor: number, eventCache: string, upload: string];
    rc: [perSecond: number, burst: number, federationConcurrent: number];
    postgres: Record<string, string>;
    redis: [synCpu: number, synRam: number, lkCpu: number, lkRam: number];
    minioPools: number;
    livekit: [instances: number, cpu: number, ram: number];
    coturn: [instances: number, cpu: number, ram: number];
    bandwidth: [avg: number, peak: number, uplink: number, calls: number, video: number, audio: number, total: number];
    growthGB: number;
}

const GUIDE: Record<number, Row> = {
    100: {
        servers: { controlPlane: [3, 4, 8, 100], app: [3, 8, 16, 200], database: [3, 4, 16, 500], storage: [4, 4, 8, 1000], calls: [2, 4, 8, 50], li: [1, 4, 8, 100], monitoring: [1, 4, 16, 200] },
        workers: [2, 2, 2, 2, 9],
        sizes: { main: [2, 4], sync: [1, 1], generic: [1, 1], persister: [2, 2], sender: [0.5, 0.5] },
        pools: [10, 8, 74, 200],
        caches: [0.5, "5K", "50M"],
        rc: [5, 25, 5],
        postgres: { max_connections: "200", shared_buffers: "4GB", effective_cache_size: "12GB", maintenance_work_mem: "1GB", work_mem: "20MB", random_page_cost: "1.1", effective_io_concurrency: "200", wal_buffers: "16MB", max_wal_size: "4GB", checkpoint_completion_target: "0.9" },
        redis: [1, 2, 1, 1],
        minioPools: 1,
        livekit: [2, 4, 8],
        coturn: [2, 4, 4],
        bandwidth: [2, 10, 100, 5, 3, 2, 20],
        growthGB: 200,
    },
    1000: {
        servers: { controlPlane: [3, 4, 8, 100], app: [5, 16, 32, 500], database: [3, 8, 32, 1000], storage: [4, 8, 16, 2000], calls: [4, 8, 16, 100], li: [1, 4, 16, 200], monitoring: [1, 8, 32, 300] },
        workers: [4, 2, 2, 2, 11],
        sizes: { main: [2, 8], sync: [1.5, 2], generic: [1.5, 2], persister: [2, 3], sender: [1, 1] },
        pools: [15, 12, 135, 300],
        caches: [1.0, "10K", "100M"],
        rc: [10, 50, 10],
        postgres: { max_connections: "300", shared_buffers: "8GB", effective_cache_size: "24GB", maintenance_work_mem: "2GB", work_mem: "26MB", max_wal_size: "8GB", checkpoint_completion_target: "0.9", autovacuum_max_workers: "4" },
        redis: [2, 4, 2, 2],
        minioPools: 1,
        livekit: [2, 8, 16],
        coturn: [2, 8, 8],
        bandwidth: [20, 100, 500, 50, 30, 20, 200],
        growthGB: 2000,
    },
    5000: {
        servers: { controlPlane: [3, 8, 16, 200], app: [8, 16, 64, 1000], database: [3, 16, 64, 2000], storage: [4, 16, 32, 4000], calls: [6, 16, 32, 200], li: [1, 8, 32, 500], monitoring: [1, 8, 32, 500] },
        workers: [6, 4, 2, 4, 17],
        sizes: { main: [4, 12], sync: [2, 3], generic: [2, 3], persister: [3, 4], sender: [1.5, 2] },
        pools: [18, 12, 210, 400],
        caches: [2.0, "20K", "100M"],
        rc: [15, 75, 20],
        postgres: { max_connections: "400", shared_buffers: "16GB", effective_cache_size: "48GB", maintenance_work_mem: "4GB", work_mem: "40MB", max_wal_size: "16GB", checkpoint_completion_target: "0.9", autovacuum_max_workers: "6", autovacuum_naptime: "30s" },
        redis: [4, 8, 2, 4],
        minioPools: 1,
        livekit: [3, 16, 32],
        coturn: [3, 16, 16],
        bandwidth: [100, 500, 2000, 250, 150, 100, 1000],
        growthGB: 10000,
    },
    10000: {
        servers: { controlPlane: [3, 8, 16, 200], app: [12, 32, 128, 2000], database: [3, 32, 128, 4000], storage: [8, 16, 32, 4000], calls: [8, 16, 32, 200], li: [1, 8, 32, 500], monitoring: [1, 16, 64, 1000] },
        workers: [8, 4, 2, 4, 19],
        sizes: { main: [4, 16], sync: [2, 4], generic: [2, 4], persister: [4, 6], sender: [2, 3] },
        pools: [20, 15, 290, 500],
        caches: [3.0, "30K", "100M"],
        rc: [20, 100, 30],
        postgres: { max_connections: "500", shared_buffers: "32GB", effective_cache_size: "96GB", maintenance_work_mem: "8GB", work_mem: "50MB", max_wal_size: "32GB", checkpoint_completion_target: "0.9", autovacuum_max_workers: "8", autovacuum_naptime: "20s" },
        redis: [8, 16, 4, 8],
        minioPools: 2,
        livekit: [4, 16, 32],
        coturn: [4, 16, 16],
        bandwidth: [200, 1000, 5000, 500, 300, 200, 2000],
        growthGB: 20000,
    },
    20000: {
        servers: { controlPlane: [3, 8, 16, 200], app: [21, 32, 128, 2000], database: [5, 32, 128, 4000], storage: [12, 16, 32, 4000], calls: [10, 16, 32, 200], li: [1, 16, 64, 1000], monitoring: [1, 16, 64, 1000] },
        workers: [18, 8, 4, 8, 39],
        sizes: { main: [4, 16], sync: [2, 4], generic: [2, 4], persister: [4, 6], sender: [2, 3] },
        pools: [25, 12, 481, 600],
        caches: [4.0, "50K", "100M"],
        rc: [25, 150, 50],
        postgres: { max_connections: "600", shared_buffers: "32GB", effective_cache_size: "96GB", maintenance_work_mem: "8GB", work_mem: "64MB", max_wal_size: "64GB", checkpoint_completion_target: "0.9", autovacuum_max_workers: "10", autovacuum_naptime: "15s", autovacuum_vacuum_scale_factor: "0.05", autovacuum_analyze_scale_factor: "0.025" },
        redis: [8, 24, 4, 12],
        minioPools: 3,
        livekit: [5, 16, 32],
        coturn: [5, 16, 16],
        bandwidth: [400, 2000, 10000, 1000, 600, 400, 4000],
        growthGB: 40000,
    },
};

const TOTAL_SERVERS: Record<number, number> = { 100: 17, 1000: 21, 5000: 26, 10000: 36, 20000: 53 };

function roleSum(plan: Plan, f: (role: NodeRole) => number): number {
    return (Object.keys(plan.nodePools) as NodeRole[]).reduce((s, r) => s + f(r), 0);
}

describe("sizing plan reproduces the guide's tables", () => {
    for (const [ccuText, row] of Object.entries(GUIDE)) {
        const ccu = Number(ccuText);
        describe(`${ccu} CCU (federation on, as the guide counts)`, () => {
            const plan = computePlan({ ccu, federation: true });

            it("is exactly on a tier", () => {
                assert.deepStrictEqual(plan.tier, { lower: ccu, upper: ccu, exact: true });
            });

            it("server inventory per role (§3.2-§7.2)", () => {
                for (const [role, [count, vcpu, ram, disk]] of Object.entries(row.servers)) {
                    const pool = plan.nodePools[role as NodeRole];
                    assert.deepStrictEqual([pool.count, pool.vcpu, pool.memoryGiB, pool.diskGB], [count, vcpu, ram, disk], role);
                }
                assert.strictEqual(plan.nodePools.database.diskType, "nvme");
                assert.strictEqual(plan.nodePools.storage.diskType, "hdd");
                assert.strictEqual(plan.nodePools.app.diskType, "ssd");
                assert.strictEqual(plan.totals.servers, TOTAL_SERVERS[ccu]);
            });

            it("totals are computed from the inventory", () => {
                assert.strictEqual(plan.totals.vcpu, roleSum(plan, (r) => row.servers[r][0] * row.servers[r][1]));
                assert.strictEqual(plan.totals.memoryGiB, roleSum(plan, (r) => row.servers[r][0] * row.servers[r][2]));
                assert.strictEqual(plan.totals.diskGB, roleSum(plan, (r) => row.servers[r][0] * row.servers[r][3]));
            });

            it("Synapse workers and sizes (§9.1)", () => {
                const w = plan.synapse.workers;
                const [sync, generic, persisters, senders, total] = row.workers;
                assert.deepStrictEqual([w.synchrotron.count, w.generic.count, w.eventPersister.count, w.federationSender.count], [sync, generic, persisters, senders]);
                assert.strictEqual(plan.synapse.guideProcesses, total);
                assert.deepStrictEqual([plan.synapse.main.cpu, plan.synapse.main.memoryGiB], row.sizes.main);
                assert.deepStrictEqual([w.synchrotron.cpu, w.synchrotron.memoryGiB], row.sizes.sync);
                assert.deepStrictEqual([w.generic.cpu, w.generic.memoryGiB], row.sizes.generic);
                assert.deepStrictEqual([w.eventPersister.cpu, w.eventPersister.memoryGiB], row.sizes.persister);
                assert.deepStrictEqual([w.federationSender.cpu, w.federationSender.memoryGiB], row.sizes.sender);
            });

            it("connection pools (§9.2)", () => {
                const [mainCp, workerCp, guideTotal, maxConnections] = row.pools;
                const c = plan.postgres.connections;
                assert.deepStrictEqual([c.main, c.worker, c.guideTotal], [mainCp, workerCp, guideTotal]);
                assert.strictEqual(plan.synapse.main.cpMax, mainCp);
                assert.strictEqual(plan.synapse.main.cpMin, 5);
                assert.strictEqual(plan.synapse.workers.synchrotron.cpMax, workerCp);
                assert.strictEqual(plan.postgres.guideMaxConnections, maxConnections);
                // The guide's max_connections stands wherever the real process set fits in it.
                if (c.total * 100 < 85 * maxConnections) {
                    assert.strictEqual(plan.postgres.maxConnections, maxConnections);
                } else {
                    assert.ok(plan.postgres.maxConnections > maxConnections);
                    assert.ok(plan.errata.some((e) => e.includes(`raised from the guide's ${maxConnections}`)));
                }
            });

            it("caches, upload size and rate limits (§9.3, §9.4)", () => {
                const s = plan.synapse;
                assert.deepStrictEqual([s.caches.globalFactor, s.caches.eventCacheSize, s.maxUploadSize], row.caches);
                assert.deepStrictEqual([s.rcMessage.perSecond, s.rcMessage.burstCount, s.rcFederation.concurrent], row.rc);
                assert.deepStrictEqual(s.rcRegistration, { perSecond: 0.1, burstCount: 3 });
            });

            it("PostgreSQL tuning: every parameter the tier lists", () => {
                for (const [name, value] of Object.entries(row.postgres)) {
                    if (name === "max_connections") continue;
                    assert.strictEqual(plan.postgres.parameters[name], value, name);
                }
                assert.strictEqual(plan.postgres.parameters.max_connections, String(plan.postgres.maxConnections));
                assert.strictEqual(plan.postgres.instances, row.servers.database[0]);
            });

            it("Redis, MinIO, LiveKit, coturn", () => {
                const r = plan.redis;
                assert.deepStrictEqual([r.synapse.cpu, r.synapse.memoryGiB, r.livekit.cpu, r.livekit.memoryGiB], row.redis);
                assert.deepStrictEqual([r.synapse.instances, r.synapse.sentinels, r.synapse.persistence, r.livekit.persistence], [3, 3, "aof", "rdb"]);
                assert.strictEqual(plan.objectStore.pools, row.minioPools);
                assert.strictEqual(plan.objectStore.pools * plan.objectStore.serversPerPool, row.servers.storage[0]);
                assert.deepStrictEqual([plan.livekit.instances, plan.livekit.cpu, plan.livekit.memoryGiB], row.livekit);
                assert.deepStrictEqual([plan.coturn.instances, plan.coturn.cpu, plan.coturn.memoryGiB], row.coturn);
            });

            it("media growth and bandwidth (§10, §10.5, §11.5)", () => {
                const bw = plan.bandwidth;
                assert.deepStrictEqual(
                    [bw.mediaAvgMbps, bw.mediaPeakMbps, bw.mediaUplinkMbps, bw.concurrentCalls, bw.videoCalls, bw.audioCalls, bw.callsMbps],
                    row.bandwidth,
                );
                assert.strictEqual(plan.media.annualGrowthGB, row.growthGB);
            });
        });
    }

    it("erasure coding: EC:4 over 8 drives per pool, usable = raw x 4/8", () => {
        const plan = computePlan({ ccu: 10000, federation: false });
        const o = plan.objectStore;
        assert.strictEqual(o.erasureSetDrives, o.serversPerPool * o.drivesPerServer);
        assert.ok(o.erasureSetDrives >= 2 * o.parity, "parity may be at most half the set");
        assert.strictEqual(o.rawGB, 2 * 4 * 4000);
        assert.strictEqual(o.usableGB, 16000);
    });

    it("warns when provisioned media storage covers less than a year of growth", () => {
        assert.ok(computePlan({ ccu: 20000, federation: false }).warnings.some((w) => w.startsWith("object storage:")));
        assert.ok(!computePlan({ ccu: 100, federation: false }).warnings.some((w) => w.startsWith("object storage:")));
    });

    it("lists the guide's known errata", () => {
        const errata = computePlan({ ccu: 20000, federation: true }).errata.join("\n");
        for (const needle of ["rc_federation.concurrent", "§1.4 formulas", "Total Resources", "EC:4", "595", "Connection budget"]) {
            assert.ok(errata.includes(needle), needle);
        }
        const small = computePlan({ ccu: 100, federation: false }).errata.join("\n");
        for (const needle of ["8 vCPU / 8 GB", "port ranges must not overlap", "federation is off"]) {
            assert.ok(small.includes(needle), needle);
        }
    });
});

describe("PostgreSQL max_connections as documented (docs/sizing.md, guide §7.2 and §12)", () => {
    // Written out, not derived: the guide's value per tier, raised at 20,000 CCU to the next multiple of 50 that
    // keeps the connection total, with one surge pod per autoscaled pool (+24), below 85% (542 -> 650 without federation, 638 -> 800 with it).
    const DOCUMENTED: Readonly<Record<number, { off: number; on: number }>> = {
        100: { off: 200, on: 200 },
        1000: { off: 300, on: 300 },
        5000: { off: 400, on: 400 },
        10000: { off: 500, on: 500 },
        20000: { off: 650, on: 800 },
    };
    for (const [ccu, { off, on }] of Object.entries(DOCUMENTED)) {
        it(`${ccu} CCU: ${off} without federation, ${on} with it`, () => {
            assert.strictEqual(computePlan({ ccu: Number(ccu), federation: false }).postgres.maxConnections, off);
            assert.strictEqual(computePlan({ ccu: Number(ccu), federation: true }).postgres.maxConnections, on);
        });
    }
    it("documents the same numbers it pins", () => {
        const doc = fs.readFileSync(path.join(__dirname, "..", "..", "docs", "sizing.md"), "utf8");
        assert.match(doc, /\(800 and\s+650\)/);
        assert.match(doc, /614\s+connections with federation, 518 without, plus 24 for the surge, against a\s+limit of 510/);
    });
});
