// Against the real program's files: the local boot (tools/local: PostgreSQL,
// Redis, MinIO, Synapse main and every worker, the router) scraped by Debian's
// Prometheus with scrape configs derived from the generated monitors (each
// Synapse process under its pool's ServiceMonitor relabelings, the router
// under its PodMonitor's). Every Synapse process and the router are up with
// the job/index labels the dashboards expect, and every metric name a rule or
// dashboard uses from Synapse and the router returns data, except ALLOWANCES.
import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import { stringify } from "yaml";
import { CONTRACT_METRICS } from "../../components/contracts";
import { matrixDashboards } from "../../components/monitoring/dashboards";
import { routerMonitor, synapseMonitors } from "../../components/monitoring/monitors";
import { alertGroups, recordingGroups } from "../../components/monitoring/rules";
import { bootLocal, type LocalStack, type SynapseInstance } from "../../tools/local/index";
import { missingPrerequisites } from "../../tools/local/prerequisites";
import { programs } from "../../tools/local/prerequisites";
import { login, sendMessage, sync, call, registerWithSharedSecret } from "../../tools/local/client";
import { requireBinary } from "../helpers/binaries";
import { freePorts, ProcessGroup, sleep, until } from "../helpers/procs";

/** Metrics no process of the local stack exports, and why. */
const ALLOWANCES: Record<string, string> = {
    [CONTRACT_METRICS.infectedUploads]: "exported by the antivirus module, which is not built yet",
    synapse_event_processing_lag:
        "set by federation senders and application-service handlers only; the dev stack runs neither (the monolith proof, synapse-metrics.proof.test.ts, shows it from main's federation sender)",
};

const camelToSnake = (k: string) => k.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);
const relabel = (r: Record<string, unknown>) => Object.fromEntries(Object.entries(r).map(([k, v]) => [camelToSnake(k), v]));

describe("the local stack scraped by real Prometheus through the generated monitors", function () {
    this.timeout(900000);
    const procs = new ProcessGroup();
    let stack: LocalStack | undefined;
    let promPort: number;
    let stopSync = false;

    const query = async (q: string) => {
        const r = await fetch(`http://127.0.0.1:${promPort}/api/v1/query?query=${encodeURIComponent(q)}`);
        const body = (await r.json()) as { data: { result: { metric: Record<string, string>; value: [number, string] }[] } };
        return body.data.result;
    };

    before(async function () {
        requireBinary(this, "prometheus");
        const missing = missingPrerequisites(programs());
        if (missing.length > 0) {
            if (process.env.CI) throw new Error(missing.join("\n"));
            console.log(`    skipped: ${missing.join("; ")}`);
            this.skip();
        }
        stack = await bootLocal({ stack: "dev" });
        const s = stack;

        // Traffic: a user, a room, messages, and a /sync long-poll kept open (concurrent users).
        const password = "Pw-123456-xyz";
        await registerWithSharedSecret(s.mainUrl, s.registrationSharedSecretFile, "alice", password);
        const alice = await login(s.baseUrl, "alice", password);
        const room = (await call(s.baseUrl, "POST", "/_matrix/client/v3/createRoom", { token: alice.accessToken, body: {} })).room_id as string;
        for (let i = 0; i < 3; i++) await sendMessage(s.baseUrl, alice, room, `hi ${i}`);
        let since = (await sync(s.baseUrl, alice, undefined, 0)).next_batch as string;
        void (async () => {
            while (!stopSync) {
                try {
                    since = (await sync(s.baseUrl, alice, since, 20000)).next_batch ?? since;
                } catch {
                    await sleep(500);
                }
            }
        })();

        // One scrape job per monitor, its targets the local processes of that pool, their pod names as discovery gives them.
        const monitors = synapseMonitors(s.rendered.topology);
        const jobs = monitors.map((m) => {
            const ep = m.spec.endpoints[0];
            const instances = s.synapse.filter((i: SynapseInstance) => i.pool === m.metadata.name);
            return {
                job_name: `sm-${m.metadata.name}`,
                metrics_path: ep.path,
                static_configs: instances.map((i) => ({ targets: [`127.0.0.1:${i.ports.metrics}`], labels: { __meta_kubernetes_pod_name: i.name } })),
                relabel_configs: ep.relabelings.map(relabel),
            };
        });
        [promPort] = await freePorts(1);
        const router = routerMonitor();
        const routerEp = router.spec.podMetricsEndpoints[0];
        // The local boot binds the generated metrics frontend to its own loopback port.
        const routerMetrics = s.layout.router.metricsPort;
        jobs.push({
            job_name: "pm-router",
            metrics_path: routerEp.path,
            static_configs: [{ targets: [`127.0.0.1:${routerMetrics}`], labels: { __meta_kubernetes_pod_name: "synapse-router-local-0" } }],
            relabel_configs: routerEp.relabelings.map(relabel),
        });
        const dir = path.join(s.workdir, "prometheus");
        fs.mkdirSync(dir, { recursive: true });
        fs.writeFileSync(path.join(dir, "prometheus.yml"), stringify({ global: { scrape_interval: "10s", scrape_timeout: "10s", evaluation_interval: "10s" }, rule_files: ["rules.yaml"], scrape_configs: jobs }));
        fs.writeFileSync(path.join(dir, "rules.yaml"), stringify({ groups: recordingGroups() }));
        const p = procs.start("prometheus", ["--config.file=prometheus.yml", `--web.listen-address=127.0.0.1:${promPort}`, `--storage.tsdb.path=${path.join(dir, "data")}`], { cwd: dir });
        const expected = s.synapse.length;
        assert.ok(await until(async () => (await query('up{job=~"synapse-.*",job!="synapse-router"} == 1')).length >= expected, 180000, 2000), procs.output(p));
        await sleep(25000);
    });

    after(async () => {
        stopSync = true;
        await procs.stopAll();
        await stack?.stop();
        if (stack) fs.rmSync(stack.workdir, { recursive: true, force: true });
    });

    it("every Synapse process is up under its pool's job and its own index", async () => {
        const want = stack!.synapse.map((i: SynapseInstance) => `${i.pool}/${/^.+-([^-]+)$/.exec(i.name)![1]}=1`).sort();
        let got: string[] = [];
        // 17 Python processes on a loaded machine: a slow scrape counts as down once, so look over a minute.
        await until(async () => {
            const up = await query('max_over_time(up{job=~"synapse-.*",job!="synapse-router"}[1m])');
            got = up.map((r) => `${r.metric.job}/${r.metric.index}=${r.value[1]}`).sort();
            return JSON.stringify(got) === JSON.stringify(want);
        }, 90000, 2000);
        assert.deepEqual(got, want);
    });

    it("every Synapse and router metric used by a rule or a dashboard returns data (allowances listed with reasons)", async () => {
        const plan = stack!.rendered.plan;
        const exprs = [
            ...alertGroups(plan, { backupSchedule: "0 0 3 * * *" }).flatMap((g) => g.rules.map((r) => r.expr)),
            ...recordingGroups().flatMap((g) => g.rules.map((r) => r.expr)),
            ...matrixDashboards(plan).flatMap((d) => d.panels.flatMap((p) => p.targets.map((t) => t.expr))),
        ];
        const names = [...new Set(exprs.flatMap((e) => e.match(/\b(synapse_[a-z_]+|haproxy_[a-z_]+|matrix_antivirus_[a-z_]+)\b/g) ?? []))].sort();
        const missing: string[] = [];
        for (const name of names) {
            if (name in ALLOWANCES) continue;
            if ((await query(`count(last_over_time(${name}[2m]))`)).length === 0) missing.push(name);
        }
        assert.deepEqual(missing, [], `metrics without data: ${missing.join(", ")}`);
        for (const name of Object.keys(ALLOWANCES)) assert.ok(names.includes(name), `${name} is allowed but unused`);
    });

    it("the CCU recording rule counts the open /sync long-poll through the router", async () => {
        assert.ok(await until(async () => Number((await query("max_over_time(matrix:concurrent_users[2m])"))[0]?.value[1] ?? 0) >= 1, 90000, 2000));
    });
});
