// Proof in real MinIO (the pinned server and mc) that the monitoring stack's
// MinIO scrape works as generated: the server runs with the StatefulSet's
// MINIO_PROMETHEUS_AUTH_TYPE, the data layer's own bootstrap script registers
// Prometheus' user with its policy, and a request shaped by the generated
// PodMonitor (its path, its Bearer authorization with the token the data layer
// computes) returns Prometheus text with every MinIO metric a generated rule or
// dashboard reads. Without the token, or with one signed by another key, MinIO
// refuses; the user itself has no S3 access.
import { strict as assert } from "assert";
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { SCRAPE_CONTRACTS } from "../../components/contracts";
import { CONSUMERS } from "../../components/data/objectstore";
import {
    API_SERVICE, bootstrapScript, METRICS_KEY_ENV, METRICS_POLICY, METRICS_USER, metricsPolicy, MINIO_PORT, poolStatefulSet, prometheusBearerToken,
} from "../../components/data/objectstore/minio";
import { accessKeyId, bucketPolicy, policyName } from "../../components/data/objectstore/policies";
import { poolLayout } from "../../components/data/objectstore/pools";
import { matrixDashboards } from "../../components/monitoring/dashboards";
import { contractMonitor } from "../../components/monitoring/monitors";
import { prometheusRule } from "../../components/monitoring/rules";
import { computePlan } from "../../sizing";
import { programs } from "../../tools/local/prerequisites";
import { rewriteBootstrapScript } from "../../tools/local/rewrite";
import { freePorts, ProcessGroup, requireBinaries, until } from "../helpers/procs";

const BUCKET = "synapse-media";
const SECRETS = { root: "proofMinioRoot0", metrics: "proofMetricsKey0123456789", synapse: "proofSynapseKey0", li: "proofLiKey000", backup: "proofBackupKey0" };

/** Every minio_* metric name the generated rules and dashboards read. */
function minioMetricsUsed(): string[] {
    const plan = computePlan({ ccu: 100, federation: false });
    const text = JSON.stringify(prometheusRule(plan)) + JSON.stringify(matrixDashboards(plan));
    return [...new Set(text.match(/\bminio_[a-z0-9_]+/g) ?? [])].sort();
}

describe("MinIO metrics as the monitoring stack scrapes them (real MinIO)", function () {
    this.timeout(120_000);
    const procs = new ProcessGroup();
    let dir = "";
    let endpoint = "";
    let mc = "";
    const monitor = contractMonitor("minio", SCRAPE_CONTRACTS.minio);
    const ep = monitor.spec.podMetricsEndpoints[0];

    const scrape = (authorization?: string) => fetch(`${endpoint}${ep.path}`, { headers: authorization ? { Authorization: authorization } : {} });

    before(async function () {
        const p = programs();
        requireBinaries(this, [p.minio, p.mc, "sh"]);
        mc = p.mc;
        dir = fs.mkdtempSync(path.join(os.tmpdir(), "minio-metrics-"));
        const [port, consolePort] = await freePorts(2);
        endpoint = `http://127.0.0.1:${port}`;
        fs.mkdirSync(path.join(dir, "data"));
        // MinIO's settings as the StatefulSet passes them (plain values; the root credentials come from the test).
        const plan = computePlan({ ccu: 100, federation: false });
        const pools = poolLayout(plan).pools;
        const container = poolStatefulSet(pools[0], pools, "matrix-storage", "hdd", plan.objectStore.parity).spec.template.spec.containers[0];
        const plain = Object.fromEntries(container.env.filter((e: any) => e.value !== undefined && e.name !== "MINIO_STORAGE_CLASS_STANDARD").map((e: any) => [e.name, e.value]));
        assert.equal(plain.MINIO_PROMETHEUS_AUTH_TYPE, "jwt");
        procs.start(p.minio, ["server", "--address", `127.0.0.1:${port}`, "--console-address", `127.0.0.1:${consolePort}`, path.join(dir, "data")], {
            env: { PATH: "/usr/bin:/bin", MINIO_ROOT_USER: "minio-root", MINIO_ROOT_PASSWORD: SECRETS.root, HOME: dir, MINIO_BROWSER: "off", MINIO_UPDATE: "off", ...plain },
        });
        assert.ok(await until(async () => (await fetch(`${endpoint}/minio/health/ready`)).ok, 60000), "MinIO ready");
        // The data layer's bootstrap script and policy files (the minio-policies ConfigMap's), pointed at this server.
        const policies = path.join(dir, "policies");
        fs.mkdirSync(policies);
        for (const c of CONSUMERS) fs.writeFileSync(path.join(policies, `${policyName(c)}.json`), JSON.stringify(bucketPolicy(BUCKET, c)));
        fs.writeFileSync(path.join(policies, `${METRICS_POLICY}.json`), JSON.stringify(metricsPolicy()));
        fs.mkdirSync(path.join(dir, "mc-home"));
        const script = rewriteBootstrapScript(bootstrapScript(BUCKET, CONSUMERS, true), { serviceUrl: `http://${API_SERVICE}:${MINIO_PORT}`, endpoint, policiesDir: policies, home: path.join(dir, "mc-home") });
        fs.writeFileSync(path.join(dir, "bootstrap.sh"), script);
        const r = spawnSync("sh", [path.join(dir, "bootstrap.sh")], {
            encoding: "utf8",
            timeout: 60000,
            env: {
                PATH: `${path.dirname(mc)}:/usr/bin:/bin`,
                MINIO_ROOT_USER: "minio-root",
                MINIO_ROOT_PASSWORD: SECRETS.root,
                SYNAPSE_SECRET_KEY: SECRETS.synapse,
                LI_SECRET_KEY: SECRETS.li,
                BACKUP_SECRET_KEY: SECRETS.backup,
                [METRICS_KEY_ENV]: SECRETS.metrics,
            },
        });
        assert.equal(r.status, 0, r.stdout + r.stderr);
    });

    after(async () => {
        await procs.stopAll();
        if (dir) fs.rmSync(dir, { recursive: true, force: true });
    });

    it("the PodMonitor scrapes the contract's path with the token from the contract's Secret", () => {
        assert.equal(ep.port, SCRAPE_CONTRACTS.minio.portName);
        assert.equal(ep.path, "/minio/v2/metrics/cluster");
        assert.deepEqual(ep.authorization, { type: "Bearer", credentials: { ...SCRAPE_CONTRACTS.minio.bearerToken } });
    });

    it("returns Prometheus text with every MinIO metric a rule or dashboard uses, for the generated token", async () => {
        const used = minioMetricsUsed();
        assert.ok(used.length >= 2, `rules and dashboards use ${used.join(", ")}`);
        const token = prometheusBearerToken(METRICS_USER, SECRETS.metrics);
        // The token is (re)computed by the data layer: it must not vary from run to run.
        assert.equal(prometheusBearerToken(METRICS_USER, SECRETS.metrics), token);
        // Capacity is computed a moment after start: retry until it is there.
        let text = "";
        const ok = await until(async () => {
            const res = await scrape(`${ep.authorization.type} ${token}`);
            assert.equal(res.status, 200, await res.clone().text());
            text = await res.text();
            return used.every((m) => new RegExp(`^${m}(\\{[^}]*\\})? [0-9.e+-]+`, "m").test(text));
        }, 60000, 500);
        const missing = used.filter((m) => !new RegExp(`^${m}(\\{[^}]*\\})? `, "m").test(text));
        assert.ok(ok, `missing samples: ${missing.join(", ")}\n${text.slice(0, 2000)}`);
        for (const m of used) assert.match(text, new RegExp(`^# TYPE ${m} gauge$`, "m"));
    });

    it("refuses a scrape without a token, signed by another key, for an unknown user, or for a user without admin:Prometheus", async () => {
        assert.equal((await scrape()).status, 403);
        assert.equal((await scrape(`Bearer ${prometheusBearerToken(METRICS_USER, "not-the-key-0123456789")}`)).status, 403);
        assert.equal((await scrape(`Bearer ${prometheusBearerToken("nobody", SECRETS.metrics)}`)).status, 403);
        // A valid token of Synapse's media user: authenticated, but its policy has no admin:Prometheus.
        assert.equal((await scrape(`Bearer ${prometheusBearerToken(accessKeyId("synapse"), SECRETS.synapse)}`)).status, 403);
    });

    it("Prometheus' user has no S3 access", () => {
        const cfg = path.join(dir, "mc-metrics");
        const env = { PATH: "/usr/bin:/bin", HOME: dir } as NodeJS.ProcessEnv;
        const set = spawnSync(mc, ["--config-dir", cfg, "alias", "set", "m", endpoint, METRICS_USER, SECRETS.metrics], { encoding: "utf8", env, timeout: 30000 });
        assert.equal(set.status, 0, set.stdout + set.stderr);
        const ls = spawnSync(mc, ["--config-dir", cfg, "ls", `m/${BUCKET}`], { encoding: "utf8", env, timeout: 30000 });
        assert.notEqual(ls.status, 0, `listed the media bucket: ${ls.stdout}`);
        assert.match(ls.stdout + ls.stderr, /Access Denied/i);
    });
});
