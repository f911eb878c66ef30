import * as assert from "assert";
import { spawnSync } from "child_process";
import * as path from "path";
import { runPlan } from "../../tools/plan";

const ROOT = path.resolve(__dirname, "../..");

describe("npm run plan", () => {
    it("--json carries the documented paths", () => {
        const { code, stdout } = runPlan(["--ccu", "20000", "--federation", "--json"]);
        assert.strictEqual(code, 0);
        const plan = JSON.parse(stdout);
        assert.strictEqual(plan.ccu, 20000);
        assert.strictEqual(plan.federation, true);
        for (const role of ["controlPlane", "app", "database", "storage", "calls", "li", "monitoring"]) {
            for (const key of ["count", "vcpu", "memoryGiB", "diskGB", "diskType"]) {
                assert.ok(key in plan.nodePools[role], `nodePools.${role}.${key}`);
            }
            assert.ok(["ssd", "nvme", "hdd"].includes(plan.nodePools[role].diskType));
        }
        for (const key of ["servers", "vcpu", "memoryGiB"]) assert.strictEqual(typeof plan.totals[key], "number");
        for (const t of ["synchrotron", "generic", "eventPersister", "federationSender"]) assert.strictEqual(typeof plan.synapse.workers[t].count, "number");
        assert.strictEqual(plan.synapse.workers.federationSender.count, 8);
        assert.strictEqual(typeof plan.synapse.processes, "number");
        assert.strictEqual(plan.postgres.instances, 5);
        assert.deepStrictEqual([plan.postgres.connections.main, plan.postgres.connections.worker], [25, 12]);
        assert.strictEqual(typeof plan.postgres.connections.total, "number");
        assert.strictEqual(typeof plan.postgres.maxConnections, "number");
        assert.deepStrictEqual([plan.livekit.instances, plan.coturn.instances, plan.objectStore.pools], [5, 5, 3]);
        assert.ok(Array.isArray(plan.errata) && plan.errata.length > 0 && plan.errata.every((e: unknown) => typeof e === "string"));
    });

    it("federation off: no federation senders", () => {
        const plan = JSON.parse(runPlan(["--ccu", "5000", "--json"]).stdout);
        assert.strictEqual(plan.synapse.workers.federationSender.count, 0);
    });

    it("the report shows pools, processes, budget, headroom, warnings and errata", () => {
        const { code, stdout } = runPlan(["--ccu", "20000"]);
        assert.strictEqual(code, 0);
        for (const heading of ["Node pools", "Synapse processes", "Database connection budget", "Media storage headroom", "Warnings", "Guide errata"]) {
            assert.ok(stdout.includes(heading), heading);
        }
        assert.match(stdout, /total\s+53\s+1,240/);
    });

    it("prints the AWS quotas a fresh account must raise (Elastic IPs over 5 from 1,000 CCU) and where node disks go", () => {
        const small = runPlan(["--ccu", "100"]).stdout;
        const big = runPlan(["--ccu", "20000"]).stdout;
        const eips = (t: string) => Number(/quotas: (\d+) Elastic IPs/.exec(t)?.[1]);
        const vcpus = (t: string) => Number(/([\d,]+) on-demand standard vCPUs/.exec(t)?.[1].replace(/,/g, ""));
        assert.ok(eips(small) <= 5 && !/Elastic IPs \(L-0263D0A3\): \d+ needed/.test(small), small);
        assert.ok(eips(big) > 5 && /Elastic IPs \(L-0263D0A3\): \d+ needed .*natGateways single/.test(big), big);
        assert.ok(vcpus(big) >= 1000, `20,000 CCU needs over a thousand vCPUs, got ${vcpus(big)}`);
        assert.match(big, /application +plan [\d.,]+ [GT]B -> none \(root disk only\)/);
        assert.match(big, /control plane +gp3 20 GiB/);
    });

    it("bad input: exit 2 and one line per problem on stderr", () => {
        const { code, stdout, stderr } = runPlan(["--ccu", "0", "--frobnicate"]);
        assert.strictEqual(code, 2);
        assert.strictEqual(stdout, "");
        const lines = stderr.trim().split("\n");
        assert.strictEqual(lines.length, 2, stderr);
        assert.match(lines[0], /^--ccu: got 0; allowed: a whole number from 1 to 20,000/);
        assert.match(lines[1], /^--frobnicate: unknown argument/);
        assert.match(runPlan(["--ccu", "20001"]).stderr, /up to 20,000 concurrent users/);
        assert.match(runPlan([]).stderr, /^--ccu: missing/);
        assert.match(runPlan(["--ccu", "abc"]).stderr, /^--ccu: got "abc"/);
    });

    it("runs as a command: npm run plan exits 2 on bad input", function () {
        this.timeout(60000);
        const res = spawnSync("npm", ["run", "-s", "plan", "--", "--ccu", "20001"], { cwd: ROOT, encoding: "utf8" });
        assert.strictEqual(res.status, 2, res.stderr);
        assert.match(res.stderr, /--ccu: got 20001/);
        const ok = spawnSync("npm", ["run", "-s", "plan", "--", "--ccu", "1000", "--json"], { cwd: ROOT, encoding: "utf8" });
        assert.strictEqual(ok.status, 0, ok.stderr);
        assert.strictEqual(JSON.parse(ok.stdout).nodePools.app.count, 5);
    });
});
