import { strict as assert } from "assert";
import * as fc from "fast-check";
import { INSTANCE_FAMILIES, lookupInstanceType, smallestFitting } from "../../components/cluster/aws/catalogue";
import { buildInventory, gbToGiB, ST1_MIN_GIB } from "../../components/cluster/aws/inventory";
import { zoneIndex, zoneSpread } from "../../components/cluster/aws/zones";
import { NODE_ROLES } from "../../sizing/types";
import { TAINTED_ROLES } from "../../components/contracts";
import { options, planFor, TIERS } from "./aws-fixtures";

/** The refusal smallestFitting documents when a family is too small, naming the request. */
const NO_FIT = (family: string, vcpu: number, mem: number) =>
    new RegExp(`^instance family "${family}" has no size with ${vcpu} vCPU and ${mem} GiB \\(largest: ${family}\\.\\S+, \\d+ vCPU / \\d+ GiB\\)$`);

describe("aws node pools: inventory", () => {
    for (const ccu of TIERS) {
        describe(`${ccu} CCU`, () => {
            const plan = planFor(ccu);
            const opts = options();
            const inv = buildInventory(plan, opts);

            it("has exactly the plan's server count per role and in total", () => {
                for (const role of NODE_ROLES) {
                    assert.equal(inv.servers.filter((s) => s.role === role).length, plan.nodePools[role].count, role);
                }
                assert.equal(inv.servers.length, plan.totals.servers);
            });

            it("gives every server the smallest size of its family that meets the plan's vCPU and RAM", () => {
                for (const s of inv.servers) {
                    const pool = plan.nodePools[s.role];
                    assert.ok(s.instance.vcpu >= pool.vcpu && s.instance.memoryGiB >= pool.memoryGiB, `${s.name} ${s.instance.instanceType}`);
                    const sizes = INSTANCE_FAMILIES[s.instance.family].sizes;
                    const at = sizes.findIndex((x) => `${s.instance.family}.${x.name}` === s.instance.instanceType);
                    assert.ok(at >= 0);
                    for (const smaller of sizes.slice(0, at)) {
                        assert.ok(smaller.vcpu < pool.vcpu || smaller.memoryGiB < pool.memoryGiB, `${s.instance.family}.${smaller.name} would fit ${s.name}`);
                    }
                }
            });

            it("gives every server one data volume of the plan's disk, storage servers one per MinIO drive (GB -> GiB, rounded up), of the disk type's EBS type", () => {
                const expectType = { ssd: "gp3", nvme: "io2", hdd: "st1" } as const;
                for (const s of inv.servers) {
                    const pool = plan.nodePools[s.role];
                    const perDiskGB = s.role === "storage" ? plan.objectStore.driveGB : pool.diskGB;
                    const count = s.role === "storage" ? plan.objectStore.drivesPerServer : 1;
                    assert.deepEqual(s.dataVolumes.map((v) => v.index), Array.from({ length: count }, (_, k) => k), s.name);
                    for (const v of s.dataVolumes) {
                        assert.equal(v.type, expectType[pool.diskType], s.name);
                        assert.equal(v.planGB, perDiskGB);
                        assert.ok(v.sizeGiB * 2 ** 30 >= perDiskGB * 1e9, `${s.name}: ${v.sizeGiB} GiB < ${perDiskGB} GB`);
                        assert.ok((v.sizeGiB - 1) * 2 ** 30 < Math.max(perDiskGB * 1e9, (ST1_MIN_GIB - 1) * 2 ** 30 + 1), `${s.name} oversized`);
                        if (v.type === "st1") assert.ok(v.sizeGiB >= ST1_MIN_GIB);
                        if (v.type === "io2") assert.ok(v.iops && v.iops <= v.sizeGiB * 1000);
                    }
                    // Together the volumes hold the plan's disk for the server.
                    assert.ok(s.dataVolumes.reduce((n, v) => n + v.sizeGiB, 0) * 2 ** 30 >= pool.diskGB * 1e9, s.name);
                }
            });

            it("spreads every role evenly over the zones and keeps call servers alone in public subnets", () => {
                for (const role of NODE_ROLES) {
                    const perZone = opts.availabilityZones.map((z) => inv.servers.filter((s) => s.role === role && s.zone === z).length);
                    assert.ok(Math.max(...perZone) - Math.min(...perZone) <= 1, `${role}: ${perZone}`);
                    // Losing one zone never takes more than its share (ceil(count/zones)).
                    assert.ok(Math.max(...perZone) <= Math.ceil(plan.nodePools[role].count / opts.availabilityZones.length));
                }
                for (const s of inv.servers) assert.equal(s.subnet, s.role === "calls" ? "public" : "private");
                for (const s of inv.servers) assert.equal(s.tainted, TAINTED_ROLES.includes(s.role));
            });
        });
    }

    it("converts the guide's decimal GB to AWS GiB explicitly", () => {
        assert.equal(gbToGiB(100), 94); // 100e9 / 2^30 = 93.13
        assert.equal(gbToGiB(1000), 932); // 931.32
        assert.equal(gbToGiB(4000), 3726); // 3725.29
        const inv = buildInventory(planFor(100), options());
        // A 1 TB storage server is two 500 GB MinIO drives -> two 466 GiB st1 volumes; a 50 GB call disk stays gp3.
        assert.deepEqual(inv.servers.find((s) => s.name === "storage-0")?.dataVolumes.map((v) => [v.type, v.sizeGiB]), [["st1", 466], ["st1", 466]]);
        assert.deepEqual(inv.servers.find((s) => s.name === "calls-0")?.dataVolumes.map((v) => [v.type, v.sizeGiB]), [["gp3", 47]]);
        assert.deepEqual(inv.servers.find((s) => s.name === "database-0")?.dataVolumes.map((v) => [v.type, v.sizeGiB]), [["io2", 466]]);
    });

    it("keeps st1 drives at AWS's 125 GiB minimum and refuses a plan whose storage disk is not its drives", () => {
        const plan = planFor(100);
        const small = { ...plan, objectStore: { ...plan.objectStore, driveGB: 50 }, nodePools: { ...plan.nodePools, storage: { ...plan.nodePools.storage, diskGB: 100 } } };
        assert.deepEqual(buildInventory(small, options()).servers.find((s) => s.name === "storage-0")?.dataVolumes.map((v) => v.sizeGiB), [ST1_MIN_GIB, ST1_MIN_GIB]);
        const inconsistent = { ...plan, objectStore: { ...plan.objectStore, driveGB: 400 } };
        assert.throws(() => buildInventory(inconsistent, options()), /storage servers have 1000 GB of disk but 2 MinIO drives of 400 GB each/);
    });

    it("places server i of a role in zone (role's position + i) mod zones, as docs/cluster.md states", () => {
        // Written out: roles in the order controlPlane, app, database, storage, calls, li, monitoring start at
        // zones a, b, c, a, b, c, a and go round-robin from there.
        const THREE_ZONES: Readonly<Record<string, string>> = {
            controlPlane: "abcabc",
            app: "bcabcabca",
            database: "cabcab",
            storage: "abcabc",
            calls: "bcabca",
            li: "cab",
            monitoring: "abc",
        };
        const TWO_ZONES: Readonly<Record<string, string>> = { controlPlane: "abab", app: "baba", database: "abab", storage: "baba", calls: "abab", li: "baba", monitoring: "abab" };
        for (const role of NODE_ROLES) {
            for (const [zones, table] of [[3, THREE_ZONES], [2, TWO_ZONES]] as const) {
                const got = Array.from(table[role]!, (_, i) => "abcdef"[zoneIndex(role, i, zones)]).join("");
                assert.equal(got, table[role], `${role} over ${zones} zones`);
            }
        }
        // The inventory names each server's zone accordingly, at every tier (the fixture's zones are <region>a, b, c).
        for (const ccu of TIERS) {
            const inv = buildInventory(planFor(ccu), options());
            for (const s of inv.servers) {
                const letter = THREE_ZONES[s.role]![s.index % 3];
                assert.equal(s.zone.slice(-1), letter, `${s.name} at ${ccu} CCU`);
            }
        }
        assert.deepEqual(zoneSpread("app", 21, 3), [7, 7, 7]);
        assert.deepEqual(zoneSpread("database", 5, 2), [3, 2]);
        assert.throws(() => zoneIndex("app", 0, 1), /zone count must be an integer >= 2/);
    });

    it("honours family overrides and explicit instance types that meet the plan", () => {
        const inv = buildInventory(planFor(10000), options({ families: { database: "r7i" }, instanceTypes: { app: "m7a.16xlarge" } }));
        assert.equal(inv.servers.find((s) => s.role === "database")?.instance.instanceType, "r7i.8xlarge"); // 32 vCPU is the binding constraint
        assert.equal(inv.servers.find((s) => s.role === "app")?.instance.instanceType, "m7a.16xlarge");
    });

    it("refuses an explicit instance type smaller than the plan, naming key, value and need", () => {
        assert.throws(
            () => buildInventory(planFor(20000), options({ instanceTypes: { database: "m7i.2xlarge" } })),
            /instanceTypes\.database: "m7i\.2xlarge" \(8 vCPU \/ 32 GiB\) is smaller than the plan's 32 vCPU \/ 128 GiB/,
        );
    });

    it("allows instance-store NVMe for the database only when opted in, big enough, and with a warning", () => {
        const inv = buildInventory(planFor(1000), options({ families: { database: "i4i" }, databaseInstanceStore: true }));
        const db = inv.servers.filter((s) => s.role === "database");
        assert.ok(db.every((s) => s.instanceStoreData && s.dataVolumes.length === 0 && s.instance.instanceStoreGB >= 1000));
        assert.match(inv.warnings.join("\n"), /erased whenever a database server stops/);
        const pools = { ...planFor(100).nodePools, database: { ...planFor(100).nodePools.database, vcpu: 2, memoryGiB: 16, diskGB: 1000 } };
        assert.throws(
            () => buildInventory({ ...planFor(100), nodePools: pools }, options({ families: { database: "i4i" }, databaseInstanceStore: true })),
            /databaseInstanceStore: i4i\.large has 468 GB of local NVMe, the plan needs 1000 GB/,
        );
    });

    it("catalogue lookups are exact", () => {
        assert.equal(lookupInstanceType("c7i.xlarge")?.memoryGiB, 8);
        assert.equal(lookupInstanceType("c7i.huge"), undefined);
        assert.equal(smallestFitting("m7i", 5, 8).instanceType, "m7i.2xlarge");
        assert.throws(() => smallestFitting("m5", 4, 8), /unknown instance family "m5"/);
        assert.throws(() => smallestFitting("m7g", 128, 512), /has no size with 128 vCPU/);
    });
});

describe("aws node pools: zone and size properties", () => {
    const role = fc.constantFrom(...NODE_ROLES);

    it("any role, count and zone count: balanced, and growing the role never moves an existing server", () => {
        fc.assert(
            fc.property(role, fc.integer({ min: 0, max: 60 }), fc.integer({ min: 0, max: 60 }), fc.integer({ min: 2, max: 6 }), (r, n, extra, zones) => {
                const spread = zoneSpread(r, n, zones);
                if (Math.max(...spread) - Math.min(...spread) > 1) return false;
                const grown = Array.from({ length: n + extra }, (_, i) => zoneIndex(r, i, zones));
                return Array.from({ length: n }, (_, i) => zoneIndex(r, i, zones)).every((z, i) => z === grown[i]);
            }),
            { numRuns: 500 },
        );
    });

    it("any requirement a family can meet: the choice meets it and the next smaller size does not", () => {
        fc.assert(
            fc.property(fc.constantFrom(...Object.keys(INSTANCE_FAMILIES)), fc.integer({ min: 1, max: 128 }), fc.integer({ min: 1, max: 1024 }), (family, vcpu, mem) => {
                const sizes = INSTANCE_FAMILIES[family].sizes;
                const fits = sizes.some((s) => s.vcpu >= vcpu && s.memoryGiB >= mem);
                if (!fits) {
                    // Only the documented refusal counts: a TypeError or any other exception is a failure.
                    assert.throws(() => smallestFitting(family, vcpu, mem), { name: "Error", message: NO_FIT(family, vcpu, mem) });
                    return true;
                }
                const c = smallestFitting(family, vcpu, mem);
                const idx = sizes.findIndex((s) => `${family}.${s.name}` === c.instanceType);
                return c.vcpu >= vcpu && c.memoryGiB >= mem && sizes.slice(0, idx).every((s) => s.vcpu < vcpu || s.memoryGiB < mem);
            }),
            { numRuns: 1000 },
        );
    });
});
