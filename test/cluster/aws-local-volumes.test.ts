// The database and storage servers' disks as local PersistentVolumes: the
// volumes per server and disk, that they can hold the data layer's claims at
// every tier (Kubernetes quantity semantics), that the node a volume is pinned
// to is labelled that way at join, and that the bootstrap never formats a disk
// that carries a filesystem.
import { strict as assert } from "assert";
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { dataMountPath, nodeEnv, NODE_ENV_PATH, scriptSource, type BootstrapInput } from "../../components/cluster/aws/bootstrap";
import { buildInventory } from "../../components/cluster/aws/inventory";
import {
    localCapacityProblems,
    localClaimDemands,
    localVolumeSpecs,
    persistentVolumeBody,
    quantityBytes,
    type LocalVolumeSpec,
} from "../../components/cluster/aws/local-volumes";
import { clusterProblems } from "../../components/cluster";
import { DEFAULT_STORAGE_CLASSES, NODE_RESTRICTED_PREFIX, SERVER_LABEL } from "../../components/contracts";
import { options, planFor, requireTool, TIERS } from "./aws-fixtures";

describe("aws node pools: local PersistentVolumes", () => {
    for (const ccu of TIERS) {
        describe(`${ccu} CCU`, () => {
            const plan = planFor(ccu);
            const inv = buildInventory(plan, options());
            const pvs = localVolumeSpecs(inv, plan);

            it("has one volume per database server and drivesPerServer per storage server, named <server>-disk-<k>", () => {
                const expected = [
                    ...Array.from({ length: plan.nodePools.database.count }, (_, i) => `database-${i}-disk-0`),
                    ...Array.from({ length: plan.nodePools.storage.count }, (_, i) => Array.from({ length: plan.objectStore.drivesPerServer }, (_, k) => `storage-${i}-disk-${k}`)).flat(),
                ];
                assert.deepEqual(pvs.map((p) => p.name).sort(), expected.sort());
                for (const p of pvs) {
                    assert.equal(p.storageClassName, p.role === "database" ? DEFAULT_STORAGE_CLASSES.nvme : DEFAULT_STORAGE_CLASSES.hdd);
                    assert.equal(p.path, `/var/lib/matrix-scale/data/disk-${p.diskIndex}`);
                    const vol = inv.servers.find((s) => s.name === p.serverName)?.dataVolumes[p.diskIndex];
                    assert.equal(p.capacity, `${vol?.sizeGiB}Gi`);
                }
            });

            it("can satisfy the data layer's claims: PostgreSQL instances on nvme, every MinIO drive on hdd", () => {
                assert.deepEqual(localCapacityProblems(pvs, localClaimDemands(plan)), []);
                const [pg, minio] = localClaimDemands(plan);
                assert.deepEqual(pg, { storageClassName: "matrix-nvme", pods: plan.postgres.instances, claimsPerPod: 1, request: `${plan.postgres.storageGB}G`, what: "PostgreSQL instance" });
                assert.equal(minio.pods * minio.claimsPerPod, plan.objectStore.pools * plan.objectStore.serversPerPool * plan.objectStore.drivesPerServer);
                assert.equal(minio.request, `${plan.objectStore.driveGB}G`);
            });

            it("every PersistentVolume object is Retain, on its class, and pinned to its server's label", () => {
                for (const p of pvs) {
                    const body = persistentVolumeBody(p);
                    assert.equal(body.metadata.name, p.name);
                    assert.equal(body.spec.persistentVolumeReclaimPolicy, "Retain");
                    assert.equal(body.spec.storageClassName, p.storageClassName);
                    assert.deepEqual(body.spec.capacity, { storage: p.capacity });
                    assert.deepEqual(body.spec.nodeAffinity.required.nodeSelectorTerms, [{ matchExpressions: [{ key: SERVER_LABEL, operator: "In", values: [p.serverName] }] }]);
                }
            });
        });
    }

    it("parses quantities exactly: G is 10^9, Gi is 2^30", () => {
        assert.equal(quantityBytes("500G"), 500_000_000_000n);
        assert.equal(quantityBytes("466Gi"), 466n * 2n ** 30n);
        assert.equal(quantityBytes("4T"), 4n * 10n ** 12n);
        assert.equal(quantityBytes("1Ti"), 2n ** 40n);
        assert.equal(quantityBytes("1024"), 1024n);
        assert.throws(() => quantityBytes("1.5Gi"), /unsupported storage quantity "1.5Gi"/);
        assert.throws(() => quantityBytes("10GB"), /unsupported storage quantity/);
        // The rounding that makes the plan fit: 465 GiB is 499.3 GB, 466 GiB is 500.4 GB.
        assert.ok(quantityBytes("465Gi") < quantityBytes("500G"));
        assert.ok(quantityBytes("466Gi") >= quantityBytes("500G"));
    });

    it("reports a volume smaller than the request, too few servers, and drives split over servers", () => {
        const pv = (server: string, k: number, capacity: string, cls = "matrix-hdd"): LocalVolumeSpec => ({
            name: `${server}-disk-${k}`,
            serverName: server,
            role: "storage",
            diskIndex: k,
            path: dataMountPath("storage", k),
            capacity,
            storageClassName: cls,
        });
        const demand = { storageClassName: "matrix-hdd", pods: 2, claimsPerPod: 2, request: "500G", what: "MinIO server" };
        assert.deepEqual(localCapacityProblems([pv("s-0", 0, "466Gi"), pv("s-0", 1, "466Gi"), pv("s-1", 0, "466Gi"), pv("s-1", 1, "466Gi")], [demand]), []);
        // 465Gi < 500G: G and Gi confused would pass this.
        assert.match(localCapacityProblems([pv("s-0", 0, "466Gi"), pv("s-0", 1, "466Gi"), pv("s-1", 0, "466Gi"), pv("s-1", 1, "465Gi")], [demand]).join(), /only 1 server\(s\) have them/);
        // Four fitting volumes, but one server holds three: a MinIO pod needs both drives on its own server.
        assert.match(localCapacityProblems([pv("s-0", 0, "1Ti"), pv("s-0", 1, "1Ti"), pv("s-0", 2, "1Ti"), pv("s-1", 0, "1Ti")], [demand]).join(), /only 1 server/);
        // The right size on the wrong class does not count.
        assert.match(localCapacityProblems([pv("s-0", 0, "1Ti", "matrix-ssd"), pv("s-0", 1, "1Ti", "matrix-ssd")], [{ ...demand, pods: 1 }]).join(), /only 0 server/);
    });

    it("turns a plan the local volumes cannot hold into a cluster config error before anything is registered", () => {
        const plan = planFor(1000);
        const config = { provider: "aws", zones: 3, ...options() } as never;
        assert.deepEqual(clusterProblems(config, plan), []);
        // More PostgreSQL instances than database servers: one would have no volume.
        const more = { ...plan, postgres: { ...plan.postgres, instances: plan.nodePools.database.count + 1 } };
        assert.match(clusterProblems(config, more).join("\n"), /local volumes on matrix-nvme: 4 PostgreSQL instance\(s\) each need 1 volume\(s\) of at least 1000G on one server, but only 3/);
    });

    it("sizes the instance-store database volume by the plan (no EBS size exists)", () => {
        const plan = planFor(1000);
        const inv = buildInventory(plan, options({ families: { database: "i4i" }, databaseInstanceStore: true }));
        const db = localVolumeSpecs(inv, plan).filter((p) => p.role === "database");
        assert.deepEqual(db.map((p) => [p.name, p.capacity, p.path]), [0, 1, 2].map((i) => [`database-${i}-disk-0`, "1000G", "/var/lib/matrix-scale/data/disk-0"]));
        assert.deepEqual(localCapacityProblems(localVolumeSpecs(inv, plan), localClaimDemands(plan)), []);
    });
});

describe("aws node pools: the bootstrap behind the local volumes", function () {
    let dir: string;
    before(() => {
        dir = fs.mkdtempSync(path.join(os.tmpdir(), "matrix-localdisks-"));
    });
    after(() => fs.rmSync(dir, { recursive: true, force: true }));

    const input = (role: "database" | "storage", index: number, ids: string[]): BootstrapInput => ({
        clusterName: "matrix-dev",
        role,
        index,
        serverName: `${role}-${index}`,
        region: "eu-central-1",
        apiEndpoint: "api.example.internal",
        ssmPrefix: "/matrix-scale/dev",
        caCertHash: "sha256:00",
        podCidr: "172.20.0.0/16",
        serviceCidr: "172.21.0.0/16",
        dataDisks: { ebsVolumeIds: ids },
    });

    it("pins each local volume to a node-restricted server label, which the control plane copies from the instance's tag of the same key (never the kubelet)", function () {
        const plan = planFor(10000);
        const pvs = localVolumeSpecs(buildInventory(plan, options()), plan);
        assert.ok(SERVER_LABEL.startsWith(NODE_RESTRICTED_PREFIX), "a kubelet could set this label on itself");
        for (const server of ["database-2", "storage-7"]) {
            const [role, index] = server.split("-") as ["database" | "storage", string];
            const env = nodeEnv(input(role, Number(index), ["vol-0123456789abcdef0"]));
            // The labeller reads the instance tag named SERVER_LABEL and sets the node label SERVER_LABEL.
            assert.match(env, new RegExp(`export SERVER_LABEL='${SERVER_LABEL.replace(/[./]/g, "\\$&")}'`));
            assert.match(scriptSource("label"), /Tags\[\?Key=='\$\{SERVER_LABEL\}'\]/);
            assert.match(scriptSource("label"), /"\$\{SERVER_LABEL\}=\$\{server\}"/);
            assert.doesNotMatch(scriptSource("join"), /node-labels/);
            const mine = pvs.filter((p) => p.serverName === server);
            assert.ok(mine.length > 0);
            for (const p of mine) {
                assert.deepEqual(persistentVolumeBody(p).spec.nodeAffinity.required.nodeSelectorTerms[0].matchExpressions[0], { key: SERVER_LABEL, operator: "In", values: [server] });
            }
        }
    });

    // prepare-node.sh's disk functions run in bash with the system commands
    // replaced by recorders, on plain files standing in for block devices.
    function runDataDisks(blkidProbe: Record<string, number>, mounted: string[] = []): { status: number | null; calls: string[]; fstab: string; stderr: string } {
        const devs = ["vol0aaa", "vol0bbb"].map((d) => path.join(dir, `nvme-Amazon_Elastic_Block_Store_${d}`));
        devs.forEach((d) => fs.writeFileSync(d, ""));
        const fstab = path.join(dir, "fstab");
        const log = path.join(dir, "calls");
        fs.writeFileSync(fstab, "");
        fs.writeFileSync(log, "");
        const env = nodeEnv(input("storage", 0, ["vol-0aaa", "vol-0bbb"])).replaceAll("/dev/disk/by-id", dir);
        const stubs = `
rec() { printf '%s\\n' "$*" >>'${log}'; }
blkid() { if [ "$1" = "-p" ]; then rec blkid-probe "$2"; case "$2" in ${Object.entries(blkidProbe).map(([d, rc]) => `*${d}) return ${rc};;`).join(" ")} esac; return 0; fi; echo "uuid-$(basename "$5")"; }
mkfs.xfs() { rec mkfs "$@"; }
chattr() { rec chattr "$@"; }
mount() { rec mount "$@"; }
systemctl() { rec systemctl "$@"; }
mountpoint() { case "$2" in ${mounted.map((m) => `*${m}) return 0;;`).join(" ")} esac; return 1; }
mkdir() { rec mkdir "$@"; }
sleep() { :; }
`;
        const script = scriptSource("prepare")
            .replace(`. ${NODE_ENV_PATH}`, env + stubs)
            .replaceAll("/etc/fstab", fstab)
            .replace('[ -b "${candidate}" ]', '[ -e "${candidate}" ]')
            .replace(/\nmain "\$@"\n$/, "\ndata_disks\n");
        const r = spawnSync("bash", ["-c", script], { encoding: "utf8", timeout: 30000 });
        return { status: r.status, calls: fs.readFileSync(log, "utf8").trim().split("\n"), fstab: fs.readFileSync(fstab, "utf8"), stderr: r.stderr };
    }

    it("formats only disks that probe empty, and mounts each at disk-<k> by UUID, once", function () {
        requireTool(this, "bash");
        // disk 0 carries a filesystem (blkid 0), disk 1 is empty (blkid 2).
        const r = runDataDisks({ vol0aaa: 0, vol0bbb: 2 });
        assert.equal(r.status, 0, r.stderr);
        const mkfs = r.calls.filter((c) => c.startsWith("mkfs"));
        assert.equal(mkfs.length, 1, r.calls.join("\n"));
        assert.match(mkfs[0], /^mkfs -L matrix-d1 .*vol0bbb$/);
        assert.deepEqual(r.fstab.trim().split("\n").map((l) => l.split(" ").slice(0, 2)), [
            ["UUID=uuid-nvme-Amazon_Elastic_Block_Store_vol0aaa", "/var/lib/matrix-scale/data/disk-0"],
            ["UUID=uuid-nvme-Amazon_Elastic_Block_Store_vol0bbb", "/var/lib/matrix-scale/data/disk-1"],
        ]);
        // The bare mount points are made immutable before mounting.
        assert.ok(r.calls.indexOf("chattr +i /var/lib/matrix-scale/data/disk-0") < r.calls.indexOf("mount /var/lib/matrix-scale/data/disk-0"), r.calls.join("\n"));
        assert.ok(r.calls.includes("systemctl enable --now matrix-data-grow.timer"));
    });

    it("refuses to format a disk whose probe fails for any reason other than 'nothing found'", function () {
        requireTool(this, "bash");
        const r = runDataDisks({ vol0aaa: 8, vol0bbb: 2 });
        assert.notEqual(r.status, 0);
        assert.ok(!r.calls.some((c) => c.startsWith("mkfs")), r.calls.join("\n"));
        assert.match(r.stderr, /cannot probe data disk 0 .*blkid exit 8; not formatting it/);
    });

    it("grows every mounted data filesystem, and skips one that is not mounted", function () {
        requireTool(this, "bash");
        const log = path.join(dir, "grow-calls");
        fs.writeFileSync(log, "");
        const stubs = `
xfs_growfs() { printf '%s\\n' "$*" >>'${log}'; }
mountpoint() { case "$2" in */disk-0|*/disk-1) return 0;; esac; return 1; }
`;
        const env = nodeEnv(input("storage", 0, ["vol-0aaa", "vol-0bbb"]));
        const script = scriptSource("grow").replace(`. ${NODE_ENV_PATH}`, env + stubs);
        const r = spawnSync("bash", ["-c", script], { encoding: "utf8", timeout: 30000 });
        assert.equal(r.status, 0, r.stderr);
        assert.deepEqual(fs.readFileSync(log, "utf8").trim().split("\n"), ["/var/lib/matrix-scale/data/disk-0", "/var/lib/matrix-scale/data/disk-1"]);
        fs.writeFileSync(log, "");
        const three = nodeEnv(input("storage", 0, ["vol-0aaa", "vol-0bbb", "vol-0ccc"]));
        const r3 = spawnSync("bash", ["-c", scriptSource("grow").replace(`. ${NODE_ENV_PATH}`, three + stubs)], { encoding: "utf8", timeout: 30000 });
        assert.equal(r3.status, 0, r3.stderr);
        assert.equal(fs.readFileSync(log, "utf8").trim().split("\n").length, 2, "disk-2 is not mounted and must be skipped");
    });

    it("never sets the immutable flag on a mount point that is already mounted (it would land on the data)", function () {
        requireTool(this, "bash");
        const r = runDataDisks({ vol0aaa: 0, vol0bbb: 0 }, ["disk-0", "disk-1"]);
        assert.equal(r.status, 0, r.stderr);
        assert.ok(!r.calls.some((c) => c.startsWith("chattr") || c.startsWith("mkfs") || c.startsWith("mount ")), r.calls.join("\n"));
    });
});
