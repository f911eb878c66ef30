// The LI instance's pure generators: synapse-li's homeserver.yaml against
// Synapse's own config schema and the properties LI depends on, the metrics
// endpoint in real Python (the synapse-li image's interpreter) with promtool
// reading what it serves, and the cron interval behind the sync's bound.
import { strict as assert } from "assert";
import { spawn, spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import * as YAML from "yaml";
import { LI_SYNC_METRICS } from "../../components/contracts";
import { maxIntervalSeconds, parseCron } from "../../components/li/cron";
import { liSynapseFiles } from "../../components/li/homeserver";
import { metricsServerScript } from "../../components/li/metrics-server";
import { computePlan } from "../../sizing";
import { hasBinary, requireBinary } from "../helpers/binaries";
import { freePort, until } from "../helpers/procs";
import { loadSynapseValidator } from "../helpers/synapse-schema";

const settings = {
    serverName: "example.org",
    publicBaseUrl: "https://matrix-li.example.org/",
    database: { host: "li-postgres.matrix-li.svc.cluster.local", port: 5432, database: "synapse", user: "synapse" },
    media: { endpointUrl: "http://minio.matrix-storage.svc.cluster.local:9000", bucket: "synapse-media", region: "us-east-1" },
    pool: { cpMin: 2, cpMax: 10 },
};

describe("LI generators", () => {
    for (const federation of [false, true]) {
        it(`synapse-li is one process with no federation, registration, pushes, Redis or media writes (main federation ${federation})`, () => {
            const cfg = YAML.parse(liSynapseFiles(computePlan({ ccu: 20000, federation }), settings)["homeserver.yaml"]);
            const validate = loadSynapseValidator();
            if (validate) assert.ok(validate(cfg), JSON.stringify(validate.errors));
            assert.equal(cfg.server_name, "example.org");
            for (const k of ["redis", "instance_map", "stream_writers", "worker_replication_secret_path", "registration_shared_secret_path", "federation_sender_instances", "rc_federation"]) {
                assert.ok(!(k in cfg), k);
            }
            assert.deepEqual(cfg.listeners.flatMap((l: any) => (l.resources ?? []).flatMap((r: any) => r.names)), ["client", "media"]);
            assert.deepEqual(cfg.federation_domain_whitelist, []);
            assert.deepEqual(cfg.trusted_key_servers, []);
            assert.equal(cfg.enable_registration, false);
            assert.deepEqual(cfg.pusher_instances, []);
            assert.equal(cfg.url_preview_enabled, false);
            assert.equal(cfg.enable_media_repo, true);
            const [provider] = cfg.media_storage_providers;
            assert.deepEqual([provider.store_local, provider.store_remote, provider.store_synchronous], [false, false, false]);
            assert.equal(cfg.database.args.host, settings.database.host);
        });
    }

    it("cron intervals: the longest gap between runs", () => {
        assert.equal(maxIntervalSeconds("17 */6 * * *"), 6 * 3600);
        assert.equal(maxIntervalSeconds("0 3 * * *"), 86400);
        assert.equal(maxIntervalSeconds("0 1,7 * * *"), 18 * 3600);
        assert.equal(maxIntervalSeconds("30 2 * * 1-5"), 3 * 86400);
        assert.equal(maxIntervalSeconds("0 0 1 * *"), 31 * 86400);
        assert.match((parseCron("0 25 * * *") as { error: string }).error, /hour/);
        assert.match((parseCron("@daily") as { error: string }).error, /five fields/);
    });

    describe("sync metrics endpoint in real Python", function () {
        this.timeout(30_000);
        let dir = "";
        let port = 0;
        let proc: ReturnType<typeof spawn> | undefined;
        before(async function () {
            requireBinary(this, "python3");
            dir = fs.mkdtempSync(path.join(os.tmpdir(), "li-metrics-"));
            fs.writeFileSync(path.join(dir, "server.py"), metricsServerScript());
            port = await freePort();
            proc = spawn("python3", [path.join(dir, "server.py")], {
                env: { METRICS_FILE: path.join(dir, "li_sync.prom"), METRICS_PORT: String(port), METRICS_BIND: "127.0.0.1", SYNC_INTERVAL_SECONDS: "21600" },
                stdio: "ignore",
            });
            assert.ok(await until(async () => (await fetch(`http://127.0.0.1:${port}${LI_SYNC_METRICS.path}`)).ok, 10000));
        });
        after(() => {
            proc?.kill("SIGKILL");
            if (dir) fs.rmSync(dir, { recursive: true, force: true });
        });

        it("serves the interval before the first sync, then the sync's file, as Prometheus text", async () => {
            let r = await fetch(`http://127.0.0.1:${port}${LI_SYNC_METRICS.path}`);
            assert.match(r.headers.get("content-type")!, /^text\/plain; version=0\.0\.4/);
            const first = await r.text();
            assert.match(first, new RegExp(`^${LI_SYNC_METRICS.intervalSeconds} 21600$`, "m"));
            assert.doesNotMatch(first, new RegExp(LI_SYNC_METRICS.lastSuccessTimestamp));
            const written = `# HELP ${LI_SYNC_METRICS.lastSuccessTimestamp} Last success.\n# TYPE ${LI_SYNC_METRICS.lastSuccessTimestamp} gauge\n${LI_SYNC_METRICS.lastSuccessTimestamp} 1764777600\n`;
            fs.writeFileSync(path.join(dir, "li_sync.prom"), written);
            r = await fetch(`http://127.0.0.1:${port}${LI_SYNC_METRICS.path}`);
            const body = await r.text();
            assert.equal(body, written);
            if (hasBinary("promtool")) {
                for (const text of [first, body]) {
                    const check = spawnSync("promtool", ["check", "metrics"], { input: text, encoding: "utf8" });
                    assert.equal(check.status, 0, check.stdout + check.stderr);
                }
            }
            assert.equal((await fetch(`http://127.0.0.1:${port}/other`)).status, 404);
        });
    });
});
