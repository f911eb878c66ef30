// The media workers' local cache: sized from the plan's growth, trimmed by the
// S3 provider's s3_media_upload in a sidecar (proven against MinIO), and
// never by Synapse's media_retention, which deletes media (guide erratum).
import * as assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import * as path from "node:path";
import * as YAML from "yaml";
import { homeserverConfig } from "../../components/synapse/homeserver";
import { CACHE_OVERHEAD, cleanupCommands, cleanupFiles, CLEANUP_INTERVAL_SECONDS, CLEANUP_SCRIPT, KEEP_DAYS, mediaCachePlan } from "../../components/synapse/media-cache";
import { buildTopology } from "../../components/synapse/topology";
import { poolProcess, type WorkloadInputs } from "../../components/synapse/workloads";
import { computePlan, TIER_CCUS } from "../../sizing";
import { MEDIA_RETENTION_ERRATUM } from "../../sizing/errata";
import { requireBinary } from "../helpers/binaries";
import { freePort } from "../helpers/ports";
import { goProgram, requireTool, venvProgram } from "../helpers/tools";
import { SETTINGS } from "../fixtures/synapse-settings";

const w: WorkloadInputs = {
    image: "registry.example/synapse:v1",
    checksum: "c",
    postgresPassword: { name: "db", key: "password" },
    redisPassword: { name: "redis", key: "password" },
    mediaCredentialsSecret: "media-s3",
    mediaCacheGiB: 7,
};

describe("media workers' local cache", () => {
    it("is sized from the plan's growth: a day of uploads per worker plus an interval, thumbnails and remote media, twice", () => {
        let previous = 0;
        for (const ccu of TIER_CCUS) {
            const plan = computePlan({ ccu, federation: false });
            const c = mediaCachePlan(plan);
            const held = (plan.media.annualGrowthGB / 365 / plan.synapse.workers.mediaRepository.count) * (KEEP_DAYS + CLEANUP_INTERVAL_SECONDS / 86400) * CACHE_OVERHEAD;
            assert.ok(c.sizeLimitGiB >= 2 * held, `${ccu} CCU: ${c.sizeLimitGiB} GiB < ${2 * held}`);
            assert.ok(c.sizeLimitGiB >= previous, "never smaller at a higher tier");
            previous = c.sizeLimitGiB;
        }
        // 20,000 CCU uploads ~27 GB a day per media worker: the old fixed 20 GiB would evict the pod.
        assert.ok(previous > 20);
    });

    it("every media pod runs the cleanup sidecar on the media volume; other pods do not", () => {
        const plan = computePlan({ ccu: 20000, federation: false });
        const topo = buildTopology(plan);
        for (const pool of topo.pools) {
            const spec = poolProcess(pool, w).pod.spec as any;
            const sidecar = spec.containers.find((c: any) => c.name === "media-cache-cleanup");
            if (pool.def.type !== "mediaRepository") {
                assert.equal(sidecar, undefined, pool.def.name);
                continue;
            }
            assert.ok(sidecar, "media pods run the cleanup");
            assert.deepEqual(sidecar.command, ["/bin/sh", `/cleanup/${CLEANUP_SCRIPT}`]);
            assert.ok(sidecar.volumeMounts.some((m: any) => m.name === "media" && m.mountPath === "/data/media"));
            assert.ok(sidecar.resources.limits.memory);
            assert.equal(spec.volumes.find((v: any) => v.name === "media").emptyDir.sizeLimit, "7Gi");
        }
        const files = cleanupFiles(SETTINGS);
        assert.match(files[CLEANUP_SCRIPT], /s3_media_upload --no-progress upload \/data\/media /);
        assert.equal(YAML.parse(files["database.yaml"]).postgres.dbname, SETTINGS.database.database);
        assert.doesNotMatch(files["database.yaml"], /password/i);
    });

    it("Synapse's media_retention is not generated: it deletes local media, it does not trim a cache (erratum)", () => {
        for (const ccu of TIER_CCUS) {
            const plan = computePlan({ ccu, federation: false });
            const hs = homeserverConfig(plan, buildTopology(plan), SETTINGS) as Record<string, any>;
            assert.equal(hs.media_retention?.local_media_lifetime, undefined);
            assert.ok(plan.errata.includes(MEDIA_RETENTION_ERRATUM));
        }
    });

    it("the pinned Synapse still deletes the database row of expired local media (the erratum's ground)", function () {
        const python = requireTool(this, venvProgram("synapse", "python"), ".ci/install.d/20-synapse.sh");
        const probe = [
            "import inspect",
            "from synapse.media.media_repository import MediaRepository as M",
            "from synapse.storage.databases.main.media_repository import MediaRepositoryStore as S",
            "a = inspect.getsource(M._apply_media_retention_rules)",
            "b = inspect.getsource(M._remove_local_media_from_disk)",
            "c = inspect.getsource(S.delete_url_cache_media)",
            "print('delete_old_local_media' in a, 'delete_url_cache_media' in b, 'DELETE FROM local_media_repository' in c)",
        ].join("\n");
        const r = spawnSync(python, ["-c", probe], { encoding: "utf8", timeout: 60_000 });
        assert.equal(r.status, 0, r.stderr);
        assert.equal(r.stdout.trim(), "True True True");
    });

    it("the cleanup loop passes shellcheck", function () {
        requireBinary(this, "shellcheck");
        const script = cleanupFiles(SETTINGS)[CLEANUP_SCRIPT];
        const r = spawnSync("shellcheck", ["-s", "sh", "-"], { input: script, encoding: "utf8" });
        assert.equal(r.status, 0, r.stdout);
    });

    it("the generated s3_media_upload commands, run against MinIO: old local copies go (uploaded first if missing), recent ones stay", async function () {
        this.timeout(180_000);
        const python = requireTool(this, venvProgram("synapse", "python"), ".ci/install.d/20-synapse.sh");
        const minio = requireTool(this, goProgram("minio", "v0.0.0-20260212201848-7aac2a2c5b7c"), ".ci/install.d/10-minio.sh");
        const port = await freePort();
        const commands = cleanupCommands({ bucket: "@BUCKET@", endpointUrl: "@ENDPOINT@" }, "@STORE@");
        const r = spawnSync(python, [path.join(__dirname, "media-cleanup-proof.py")], { input: JSON.stringify({ minio, port, commands }), encoding: "utf8", timeout: 170_000 });
        assert.equal(r.status, 0, r.stderr);
        const out = JSON.parse(r.stdout.trim().split("\n").pop()!);
        for (const run of out.runs) assert.equal(run.status, 0, `${run.argv.join(" ")}: ${run.output}`);
        assert.deepEqual(out.localLeft, ["readtoday0001"]);
        assert.deepEqual(out.inBucket, ["oldinbucket1", "oldnotinbucket"]);
    });
});
