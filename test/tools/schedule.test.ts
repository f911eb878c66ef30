// N+1 schedulability: every rendered pod placed on the plan's servers by the
// scheduler's hard rules, and again after losing any one server of a pool.
import * as assert from "assert";
import { TIER_CCUS } from "../../sizing/types";
import { computePlan } from "../../sizing";
import { ROLE_LABEL, ROLE_VALUES } from "../../components/contracts";
import { planServers, place, schedulability, type Server } from "../../tools/schedule/place";
import { allocatable, serverReserve } from "../../sizing/reserve";
import type { PodDemand } from "../../tools/schedule/pods";
import { GiB, quantity } from "../../tools/schedule/quantity";
import { extraAppServersNeeded, holds, renderSchedule, scheduleRun, withExtraAppServers } from "../../tools/schedule";
import { sideConfig } from "../../tools/diff";
import { runProgram } from "../../tools/mock-runtime";
import { runPlanWithSchedule } from "../../tools/plan";
import { tierRun } from "../helpers/program-runs";

const server = (name: string, cpu: number, memGiB: number, extra: Partial<Server> = {}): Server => ({
    name, role: "app", labels: { [ROLE_LABEL]: "app", "kubernetes.io/hostname": name }, taints: [], cpu, memory: memGiB * GiB, ...extra,
});
const pod = (id: string, cpu: number, memGiB: number, extra: Partial<PodDemand> = {}): PodDemand => ({
    id, group: id.replace(/-\d+$/, ""), cpu, memory: memGiB * GiB, nodeSelector: {}, tolerations: [], spreadRequired: false,
    hostPorts: [], localClaims: [], withVolume: false, daemon: false, ...extra,
});

describe("scheduling check: the rules", () => {
    it("reads quantities as Kubernetes does", () => {
        assert.equal(quantity("500m"), 0.5);
        assert.equal(quantity("2"), 2);
        assert.equal(quantity("4Gi"), 4 * 2 ** 30);
        assert.equal(quantity("1G"), 1e9);
        assert.throws(() => quantity("lots"), /not a Kubernetes quantity/);
    });

    it("keeps the documented reserve: 4 vCPU / 16 GiB leaves 3.67 vCPU and 12.8 GiB", () => {
        const r = serverReserve(4, 16);
        assert.equal(Number(r.cpu.toFixed(4)), 0.33);
        assert.equal(Number(r.memoryGiB.toFixed(4)), 3.2);
        const a = allocatable({ vcpu: 4, memoryGiB: 16 });
        assert.deepEqual([a.cpu.toFixed(2), a.memoryGiB.toFixed(2)], ["3.67", "12.80"]);
    });

    it("refuses a pod larger than any server, and one whose taint it does not tolerate", () => {
        const tainted = server("db-0", 4, 16, { taints: [{ key: ROLE_LABEL, value: "database", effect: "NoSchedule" }], labels: { [ROLE_LABEL]: "database" } });
        const r = place([pod("big-0", 8, 1), pod("db-0", 1, 1, { nodeSelector: { [ROLE_LABEL]: "database" } })], [server("app-0", 4, 16), tainted]);
        assert.deepEqual(r.unplaced.map((u) => u.pod.id).sort(), ["big-0", "db-0"]);
        const ok = place([pod("db-0", 1, 1, { nodeSelector: { [ROLE_LABEL]: "database" }, tolerations: [{ key: ROLE_LABEL, operator: "Equal", value: "database", effect: "NoSchedule" }] })], [tainted]);
        assert.deepEqual(ok.unplaced, []);
    });

    it("keeps pods with required anti-affinity on different servers, and host ports apart", () => {
        const spread = [0, 1, 2].map((i) => pod(`pg-${i}`, 0.1, 0.1, { spreadRequired: true }));
        assert.equal(place(spread, [server("a", 4, 8), server("b", 4, 8)]).unplaced.length, 1);
        const turn = [0, 1].map((i) => pod(`coturn-${i}`, 0.1, 0.1, { group: `g${i}`, hostPorts: ["UDP/3478"] }));
        const r = place(turn, [server("a", 4, 8), server("b", 4, 8)]);
        assert.deepEqual(r.unplaced, []);
        assert.notEqual(r.assigned.get("coturn-0"), r.assigned.get("coturn-1"));
        assert.equal(place(turn, [server("a", 4, 8)]).unplaced.length, 1);
    });

    it("needs a free local volume per local claim", () => {
        const disks = (n: number) => ({ localVolumes: new Map([["matrix-hdd", n]]) });
        const minio = [0, 1].map((i) => pod(`minio-${i}`, 0.1, 0.1, { localClaims: ["matrix-hdd", "matrix-hdd"] }));
        assert.equal(place(minio, [server("s0", 4, 8, disks(2)), server("s1", 4, 8, disks(1))]).unplaced.length, 1);
        assert.deepEqual(place(minio, [server("s0", 4, 8, disks(2)), server("s1", 4, 8, disks(2))]).unplaced, []);
    });

    it("N+1 fails when the survivors cannot take the lost server's pods, and lists pods that wait for their data", () => {
        const servers = [server("a", 4, 8), server("b", 4, 8)];
        const tight = schedulability([pod("w-0", 2.5, 1), pod("w-1", 2.5, 1)], servers, (p) => p.withVolume);
        assert.equal(tight.placement.unplaced.length, 0);
        assert.equal(tight.nPlusOne, false);
        assert.ok(tight.losses.every((l) => l.unplaced.length === 1));
        const roomy = schedulability([pod("w-0", 1, 1), pod("w-1", 1, 1), pod("redis-0", 0.5, 1, { withVolume: true })], servers, (p) => p.withVolume);
        assert.equal(roomy.nPlusOne, true);
        assert.ok(roomy.losses.some((l) => l.waiting.includes("redis-0")));
    });

    it("labels and taints the plan's servers as the cluster does (guide §3 at 100 CCU: 17 servers)", () => {
        const servers = planServers(computePlan({ ccu: 100, federation: false }));
        assert.equal(servers.length, 17);
        const db = servers.find((s) => s.name === "database-0")!;
        assert.equal(db.labels[ROLE_LABEL], ROLE_VALUES.database);
        assert.deepEqual(db.taints.map((t) => t.value), ["database"]);
        assert.deepEqual(servers.find((s) => s.name === "app-0")!.taints, []);
    });
});

describe("scheduling check: every tier of the real program", function () {
    this.timeout(1_200_000);
    // At 100 CCU the guide's three 8-vCPU application servers cannot hold the requests of what the
    // guide puts on them (Synapse, both Redis groups, router, Element): see the next test.
    for (const ccu of TIER_CCUS.filter((c) => c > 100)) {
        it(`${ccu} CCU: every pod fits, and still fits after losing any one server of a pool`, async () => {
            const { pods, result } = scheduleRun(await tierRun(ccu));
            const report = renderSchedule(result, pods);
            assert.ok(pods.length > 30, `only ${pods.length} pods rendered`);
            assert.deepEqual(result.placement.unplaced.map((u) => `${u.pod.id}: ${u.why}`), [], report);
            assert.ok(result.nPlusOne, report);
            // The database pool really was exercised: losing a database server leaves its instance waiting.
            assert.ok(result.losses.some((l) => l.lost === "database-0" && l.waiting.some((w) => w.startsWith("Cluster/"))), report);
        });
    }

    it("100 CCU: the check finds the application pool over-committed (the guide's 3 x 8 vCPU), and nothing else", async () => {
        const { pods, result } = scheduleRun(await tierRun(100));
        const report = renderSchedule(result, pods);
        assert.ok(result.placement.unplaced.length > 0, report);
        assert.deepEqual([...new Set(result.placement.unplaced.map((u) => u.why.replace(/^no (\w+) server.*$/, "$1")))], ["app"], report);
        assert.ok(result.placement.utilisation.app.cpu > 0.95, report);
    });

    it("100 CCU: matrix:sizing.extraServers.app adds the fewest servers that make N+1 hold; one fewer does not", async () => {
        const config = sideConfig("dev", 100, undefined);
        const extra = await extraAppServersNeeded("dev", config, scheduleRun(await tierRun(100)).result);
        assert.ok(extra !== undefined && extra >= 1, `no count of extra application servers makes 100 CCU hold: ${extra}`);
        const enough = await runProgram({ stack: "dev", config: withExtraAppServers(config, extra) });
        const fits = scheduleRun(enough);
        assert.ok(holds(fits.result), renderSchedule(fits.result, fits.pods));
        // The cluster builds exactly the servers the check placed pods on.
        const appInstances = enough.resources.filter((r) => r.type === "aws:ec2/instance:Instance" && /-app-\d+$/.test(r.name));
        assert.equal(appInstances.length, 3 + extra);
        assert.equal(enough.outputs.plan.nodePools.app.extra, extra);
        if (extra > 1) {
            const short = scheduleRun(await runProgram({ stack: "dev", config: withExtraAppServers(config, extra - 1) }));
            assert.ok(!holds(short.result), `${extra - 1} extra application servers already hold`);
        }
    });

    it("npm run plan shows utilisation, the N+1 verdict and the erratum naming the option and its value", async () => {
        const at100 = await runPlanWithSchedule(["--ccu", "100"]);
        assert.equal(at100.code, 0);
        assert.match(at100.stdout, /Pool utilisation/);
        assert.match(at100.stdout, /N\+1 .*: FAILS/);
        assert.match(at100.stdout, /Erratum \(N\+1\).*matrix:sizing\.extraServers\.app: \d+/);
        const at1000 = await runPlanWithSchedule(["--ccu", "1000"]);
        assert.match(at1000.stdout, /N\+1 .*: holds/);
        assert.doesNotMatch(at1000.stdout, /Erratum \(N\+1\)/);
        // --json stays the plan alone (its documented paths).
        const json = await runPlanWithSchedule(["--ccu", "100", "--json"]);
        assert.equal(JSON.parse(json.stdout).nodePools.app.count, 3);
    });
});
