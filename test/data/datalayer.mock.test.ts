// The DataLayer component under Pulumi mocks, for every tier and every pair of
// tiers: what it registers, where it runs, and what a tier change would do to
// stateful resources.
import { strict as assert } from "assert";
import type { DataConfig } from "../../config/sections/data";
import { parseDataSection } from "../../config/sections/data";
import { computePlan, TIER_CCUS } from "../../sizing";
import { mockPassword, registerUnderMocks, strings, type Registered } from "../helpers/component-mocks";
import { crdValidator } from "../helpers/crds";
import { requireReference } from "../helpers/reference";
import { unsafeChanges } from "../helpers/tier-change";
import { policyViolations } from "../helpers/policy";

const BASE = { postgres: { backup: { endpointUrl: "https://s3.backup.example", bucket: "db-backups" } } };

async function run(ccu: number, extra: Record<string, unknown> = {}, base: Record<string, unknown> = BASE): Promise<{ resources: Registered[]; layer: { objectStorePools: unknown; endpoints: unknown } }> {
    const { value, errors } = parseDataSection({ ...base, ...extra });
    assert.deepEqual(errors, []);
    // A fresh module graph per run: the component registers against the mocks set for this run.
    for (const k of Object.keys(require.cache)) if (k.includes("/components/data/")) delete require.cache[k];
    let layer: { objectStorePools: unknown; endpoints: unknown } | undefined;
    const resources = await registerUnderMocks(() => {
        const { DataLayer } = require("../../components/data") as typeof import("../../components/data");
        layer = new DataLayer("data", { plan: computePlan({ ccu, federation: false }), config: value as DataConfig, restarterImage: "registry.example/synapse:v1" });
    });
    return { resources, layer: layer! };
}

const byName = (rs: Registered[], type: string) => new Map(rs.filter((r) => r.type === type).map((r) => [r.name, r]));
const spec = (r: Registered) => r.inputs.spec as Record<string, any>;

describe("DataLayer under Pulumi mocks", function () {
    this.timeout(120_000);
    const runs = new Map<number, Registered[]>();

    before(async () => {
        for (const ccu of TIER_CCUS) runs.set(ccu, (await run(ccu)).resources);
    });

    it("registers the component tree with matrix:data tokens", () => {
        const rs = runs.get(100)!;
        for (const t of ["matrix:data:DataLayer", "matrix:data:Postgres", "matrix:data:RedisGroup", "matrix:data:ObjectStore"]) {
            assert.ok(rs.some((r) => r.type === t), t);
        }
        // The operator and the Barman plugin are cluster-wide controllers (components/controllers), not the data layer's.
        assert.deepEqual(rs.filter((r) => r.type === "kubernetes:helm.sh/v3:Release"), []);
        // No PodMonitor unless the cluster serves monitoring.coreos.com (monitoringCrds).
        assert.ok(!rs.some((r) => r.inputs.kind === "PodMonitor"));
    });

    for (const ccu of TIER_CCUS) {
        it(`${ccu} CCU: instances, placement, parameters, sizes and pools follow the plan`, () => {
            const plan = computePlan({ ccu, federation: false });
            const rs = runs.get(ccu)!;
            const crs = rs.filter((r) => r.type.startsWith("kubernetes:postgresql.cnpg.io"));
            const cluster = crs.find((r) => r.inputs.kind === "Cluster")!;
            assert.equal(spec(cluster).instances, plan.postgres.instances);
            assert.equal(spec(cluster).postgresql.parameters.max_connections, String(plan.postgres.maxConnections));
            assert.equal(spec(cluster).storage.size, `${plan.postgres.storageGB}G`);
            const sts = byName(rs, "kubernetes:apps/v1:StatefulSet");
            for (const g of ["synapse", "livekit"] as const) {
                const s = spec(sts.get(`redis-${g}`)!);
                assert.equal(s.replicas, plan.redis[g].instances);
                assert.equal(spec(sts.get(`redis-${g}-sentinel`)!).replicas, plan.redis[g].sentinels);
                assert.equal(s.template.spec.containers[0].resources.limits.memory, `${plan.redis[g].memoryGiB}Gi`);
                assert.ok(s.template.spec.affinity.podAntiAffinity.requiredDuringSchedulingIgnoredDuringExecution.length > 0);
                assert.match(s.template.spec.containers[0].image, /^redis:7\.0\.\d+$/);
            }
            assert.equal((sts.get("redis-livekit")!.inputs.metadata as any).namespace, "matrix-calls");
            assert.equal((sts.get("redis-synapse")!.inputs.metadata as any).namespace, "matrix");
            const pools = [...sts.keys()].filter((n) => n.startsWith("minio-pool-"));
            assert.equal(pools.length, plan.objectStore.pools);
            for (const p of pools) {
                const s = spec(sts.get(p)!);
                assert.equal(s.replicas, plan.objectStore.serversPerPool);
                assert.equal(s.template.spec.nodeSelector["node-restriction.kubernetes.io/matrix-scale-role"], "storage");
                assert.ok(s.template.spec.containers[0].env.some((e: any) => e.name === "MINIO_STORAGE_CLASS_STANDARD" && e.value === "EC:4"));
            }
            const claims = [...byName(rs, "kubernetes:core/v1:PersistentVolumeClaim").values()].filter((c) => (c.inputs.metadata as any).name.includes("minio-pool"));
            assert.equal(claims.length, plan.objectStore.pools * plan.objectStore.serversPerPool * plan.objectStore.drivesPerServer);
            for (const c of claims) assert.equal(spec(c).storageClassName, "matrix-hdd");
            const svc = byName(rs, "kubernetes:core/v1:Service");
            assert.equal(spec(svc.get("matrix-redis-synapse")!).ports[0].port, 6379);
            const netpol = byName(rs, "kubernetes:networking.k8s.io/v1:NetworkPolicy");
            const redisFrom = spec(netpol.get("redis-livekit-ingress")!).ingress[0].from;
            assert.deepEqual(redisFrom, [{ namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": "matrix-calls" } } }]);
            const minioFrom = spec(netpol.get("minio-ingress")!).ingress[0].from.map((f: any) => f.namespaceSelector.matchLabels["kubernetes.io/metadata.name"]).sort();
            assert.deepEqual(minioFrom, ["matrix", "matrix-li", "matrix-storage"]);
            const haproxy = rs.find((r) => r.type === "kubernetes:apps/v1:Deployment" && r.name === "redis-synapse-haproxy")!;
            assert.ok(spec(haproxy).replicas >= 2);
        });
    }

    it("custom resources registered by the component validate against the CRD schemas", function () {
        const files: Record<string, string> = {
            Cluster: "postgresql.cnpg.io_clusters.yaml",
            ScheduledBackup: "postgresql.cnpg.io_scheduledbackups.yaml",
            ObjectStore: "barmancloud.cnpg.io_objectstores.yaml",
        };
        let checked = 0;
        for (const [kind, file] of Object.entries(files)) {
            requireReference(this, `crds/${file}`);
            const validate = crdValidator(file);
            if (typeof validate === "string") throw new Error(validate);
            for (const rs of runs.values()) {
                for (const r of rs.filter((x) => x.inputs.kind === kind)) {
                    assert.deepEqual(validate(r.inputs), [], `${kind} ${r.name}`);
                    checked++;
                }
            }
        }
        assert.equal(checked, 3 * TIER_CCUS.length);
    });

    it("no secret value in a ConfigMap or in plain state", () => {
        for (const [ccu, rs] of runs) {
            const secrets = rs.filter((r) => r.type === "random:index/randomPassword:RandomPassword").map((r) => mockPassword(r.name));
            assert.ok(secrets.length >= 7, `${ccu}: passwords from @pulumi/random`);
            let inSecrets = 0;
            for (const r of rs) {
                for (const s of strings(r.inputs)) {
                    const leaked = secrets.find((p) => s.value.includes(p));
                    if (!leaked) continue;
                    assert.equal(r.type, "kubernetes:core/v1:Secret", `${ccu}: password in ${r.type} ${r.name}`);
                    assert.ok(s.secret, `${ccu}: password in plain (non-secret) state of Secret ${r.name}`);
                    inSecrets++;
                }
            }
            // Every password reached a Secret (the scan above really saw them).
            assert.ok(inSecrets >= secrets.length, `${ccu}: ${inSecrets} secret strings for ${secrets.length} passwords`);
            for (const cm of rs.filter((r) => r.type === "kubernetes:core/v1:ConfigMap")) {
                assert.doesNotMatch(JSON.stringify(cm.inputs), /requirepass|masterauth|auth-pass|MOCKSECRET/, cm.name);
            }
        }
    });

    it("every pair of tiers: no stateful name changes, nothing replace-forcing changes, no volume shrinks", async () => {
        let pairs = 0;
        for (const from of TIER_CCUS) {
            const before = await run(from);
            const ledger = before.layer.objectStorePools;
            for (const to of TIER_CCUS) {
                if (to === from) continue;
                // What the operator records before the change: the pools deployed and the largest tier run.
                const after = (await run(to, { objectStore: { pools: ledger }, storageFloorCcu: Math.max(from, to) })).resources;
                assert.deepEqual(unsafeChanges(before.resources, after), [], `${from} -> ${to}`);
                pairs++;
            }
        }
        assert.equal(pairs, TIER_CCUS.length * (TIER_CCUS.length - 1));
    });

    it("the tier-pair check does catch an unsafe change (no ledger, no floor: 20000 -> 100)", async () => {
        const problems = unsafeChanges((await run(20000)).resources, (await run(100)).resources);
        assert.ok(problems.some((p) => /minio-pool-2 disappears/.test(p)), problems.join("\n"));
        assert.ok(problems.some((p) => /claim data-redis-synapse-0 shrinks/.test(p)), problems.join("\n"));
        assert.ok(problems.some((p) => /database storage shrinks/.test(p)), problems.join("\n"));
        assert.ok(problems.some((p) => /MinIO drive .* changes size/.test(p)), problems.join("\n"));
    });

    it("without a backup target: no ObjectStore or ScheduledBackup, and the Cluster archives nowhere", async () => {
        const rs = (await run(100, {}, {})).resources;
        assert.ok(!rs.some((r) => ["ObjectStore", "ScheduledBackup"].includes(r.inputs.kind as string)));
        const cluster = rs.find((r) => r.inputs.kind === "Cluster")!;
        assert.equal(spec(cluster).plugins, undefined);
    });

    it("the aws-s3 backend: versioned, encrypted, public access blocked, one least-privilege user per consumer", async () => {
        const rs = (await run(1000, { objectStore: { backend: "aws-s3", bucket: "media-bucket", region: "eu-west-1" } })).resources;
        assert.ok(!rs.some((r) => r.name.startsWith("minio")), "no MinIO with the aws-s3 backend");
        const v = rs.find((r) => r.type === "aws:s3/bucketVersioning:BucketVersioning")!;
        assert.equal((v.inputs.versioningConfiguration as any).status, "Enabled");
        assert.ok(rs.some((r) => r.type === "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration"));
        const pab = rs.find((r) => r.type === "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock")!;
        for (const k of ["blockPublicAcls", "blockPublicPolicy", "ignorePublicAcls", "restrictPublicBuckets"]) assert.equal(pab.inputs[k], true, k);
        const policies = rs.filter((r) => r.type === "aws:iam/userPolicy:UserPolicy").map((r) => JSON.parse(r.inputs.policy as string));
        // Synapse (read-write), the LI instance and the media mirror (both read-only).
        assert.equal(policies.length, 3);
        assert.ok(policies.every((p) => JSON.stringify(p).includes("arn:aws:s3:::media-bucket")));
    });
});

describe("DataLayer against the project's policy pack", function () {
    this.timeout(120_000);
    it("no policy violation for any tier", async () => {
        for (const ccu of TIER_CCUS) {
            const found = await policyViolations((await run(ccu)).resources);
            assert.deepEqual(found, [], `${ccu} CCU`);
        }
    });
});
