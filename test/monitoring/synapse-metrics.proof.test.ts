// Against the real software: the pinned Synapse (monolith, SQLite, metrics
// listener on loopback) scraped by Debian's Prometheus with the scrape config
// derived from the generated ServiceMonitor (same job/index relabelings and
// path). Synapse is up under its job and index, and every Synapse metric a
// rule or dashboard uses returns data, except those only workers or
// components not present here export (ALLOWANCES, each with its reason).
import * as assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { parse, stringify } from "yaml";
import { CONTRACT_METRICS } from "../../components/contracts";
import { matrixDashboards } from "../../components/monitoring/dashboards";
import { synapseMonitors } from "../../components/monitoring/monitors";
import { alertGroups, recordingGroups } from "../../components/monitoring/rules";
import { buildTopology } from "../../components/synapse/topology";
import { computePlan } from "../../sizing";
import { requireBinary } from "../helpers/binaries";
import { freePorts, ProcessGroup, sleep, until } from "../helpers/procs";
import { requireTool, venvProgram } from "../helpers/tools";

/** Synapse metrics the monolith here cannot export, and why. */
const ALLOWANCES: Record<string, string> = {
    synapse_replication_tcp_command_queue: "only processes that receive replication streams (workers) have a command queue",
    [CONTRACT_METRICS.infectedUploads]: "exported by the antivirus module, which this monolith does not load",
};

const camelToSnake = (k: string) => k.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);
const relabel = (r: Record<string, unknown>) => Object.fromEntries(Object.entries(r).map(([k, v]) => [camelToSnake(k), v]));

describe("real Synapse scraped by real Prometheus with the generated monitors", function () {
    this.timeout(240000);
    const procs = new ProcessGroup();
    let dir: string;
    let promPort: number;
    let httpPort: number;
    let token = "";
    let stopSync = false;

    const query = async (q: string) => {
        const r = await fetch(`http://127.0.0.1:${promPort}/api/v1/query?query=${encodeURIComponent(q)}`);
        const body = (await r.json()) as { data: { result: { metric: Record<string, string>; value: [number, string] }[] } };
        return body.data.result;
    };
    const api = (method: string, p: string, body?: unknown) =>
        fetch(`http://127.0.0.1:${httpPort}${p}`, { method, headers: { "content-type": "application/json", ...(token ? { authorization: `Bearer ${token}` } : {}) }, ...(body ? { body: JSON.stringify(body) } : {}) });

    before(async function () {
        requireBinary(this, "prometheus");
        const python = requireTool(this, venvProgram("synapse", "python"), ".ci/install.d/20-synapse.sh");
        dir = fs.mkdtempSync(path.join(os.tmpdir(), "matrix-synmetrics-"));
        let metricsPort: number;
        [httpPort, metricsPort, promPort] = await freePorts(3);
        const gen = spawnSync(python, ["-m", "synapse.app.homeserver", "--server-name", "metrics.test", "--config-path", "hs.yaml", "--generate-config", "--report-stats=no"], { cwd: dir, encoding: "utf8", timeout: 120000 });
        assert.equal(gen.status, 0, gen.stderr);
        const hs = parse(fs.readFileSync(path.join(dir, "hs.yaml"), "utf8"));
        hs.listeners = [
            { port: httpPort, bind_addresses: ["127.0.0.1"], type: "http", resources: [{ names: ["client"] }] },
            { port: metricsPort, bind_addresses: ["127.0.0.1"], type: "metrics" },
        ];
        Object.assign(hs, { enable_metrics: true, enable_registration: true, enable_registration_without_verification: true, database: { name: "sqlite3", args: { database: path.join(dir, "hs.db") } } });
        fs.writeFileSync(path.join(dir, "hs.yaml"), stringify(hs));
        const synapse = procs.start(python, ["-m", "synapse.app.homeserver", "-c", "hs.yaml"], { cwd: dir });
        assert.ok(await until(async () => (await api("GET", "/health")).ok, 90000, 500), procs.output(synapse));

        // Traffic the rules read: a user, a room, messages, and a /sync long-poll kept open.
        const reg = (await (await api("POST", "/_matrix/client/v3/register", { username: "alice", password: "Pw-123456-xyz", auth: { type: "m.login.dummy" } })).json()) as { access_token: string };
        token = reg.access_token;
        const room = ((await (await api("POST", "/_matrix/client/v3/createRoom", {})).json()) as { room_id: string }).room_id;
        for (let i = 0; i < 3; i++) await api("PUT", `/_matrix/client/v3/rooms/${encodeURIComponent(room)}/send/m.room.message/t${i}`, { msgtype: "m.text", body: "hi" });
        let since = ((await (await api("GET", "/_matrix/client/v3/sync?timeout=0")).json()) as { next_batch: string }).next_batch;
        void (async () => {
            while (!stopSync) {
                try {
                    const r = (await (await api("GET", `/_matrix/client/v3/sync?timeout=20000&since=${since}`)).json()) as { next_batch?: string };
                    since = r.next_batch ?? since;
                } catch {
                    await sleep(200);
                }
            }
        })();

        // Scrape config from the generated ServiceMonitor of synapse-main: its path and relabelings, the pod name as discovery would give it.
        const monitor = synapseMonitors(buildTopology(computePlan({ ccu: 100, federation: false }))).find((m) => m.metadata.name === "synapse-main")!;
        const ep = monitor.spec.endpoints[0];
        const prom = {
            global: { scrape_interval: "1s", evaluation_interval: "1s" },
            rule_files: ["rules.yaml"],
            scrape_configs: [
                {
                    job_name: "from-servicemonitor",
                    metrics_path: ep.path,
                    static_configs: [{ targets: [`127.0.0.1:${metricsPort}`], labels: { __meta_kubernetes_pod_name: "synapse-main-0" } }],
                    relabel_configs: ep.relabelings.map(relabel),
                },
            ],
        };
        fs.writeFileSync(path.join(dir, "prometheus.yml"), stringify(prom));
        fs.writeFileSync(path.join(dir, "rules.yaml"), stringify({ groups: recordingGroups() }));
        const p = procs.start("prometheus", [`--config.file=prometheus.yml`, `--web.listen-address=127.0.0.1:${promPort}`, `--storage.tsdb.path=${path.join(dir, "data")}`], { cwd: dir });
        assert.ok(await until(async () => (await query('up{job="synapse-main"}')).some((r) => r.value[1] === "1"), 60000, 500), procs.output(p));
        await sleep(3000);
    });

    after(async () => {
        stopSync = true;
        await procs.stopAll();
        if (dir) fs.rmSync(dir, { recursive: true, force: true });
    });

    it("scrapes Synapse as up under the monitor's job and index, with Synapse's own server_name on its metrics", async () => {
        const up = await query("up");
        assert.deepEqual(up.map((r) => [r.metric.job, r.metric.index, r.metric.pod, r.value[1]]), [["synapse-main", "0", "synapse-main-0", "1"]]);
        const sn = await query('synapse_storage_schedule_time_count{job="synapse-main"}');
        assert.equal(sn[0]?.metric.server_name, "metrics.test");
    });

    it("every Synapse metric used by a rule or a dashboard returns data (allowances listed with reasons)", async () => {
        const plan = computePlan({ ccu: 20000, federation: true });
        const exprs = [
            ...alertGroups(plan, { backupSchedule: "0 0 3 * * *" }).flatMap((g) => g.rules.map((r) => r.expr)),
            ...recordingGroups().flatMap((g) => g.rules.map((r) => r.expr)),
            ...matrixDashboards(plan).flatMap((d) => d.panels.flatMap((p) => p.targets.map((t) => t.expr))),
        ];
        const names = [...new Set(exprs.flatMap((e) => e.match(/\b(synapse_[a-z_]+|matrix_antivirus_[a-z_]+)\b/g) ?? []))].sort();
        assert.ok(names.length >= 6, names.join(", "));
        const missing: string[] = [];
        for (const name of names) {
            if (name in ALLOWANCES) continue;
            if ((await query(`count(${name}{job="synapse-main"})`)).length === 0) missing.push(name);
        }
        assert.deepEqual(missing, [], `metrics without data: ${missing.join(", ")}`);
        // An allowance that starts returning data should be removed.
        for (const name of Object.keys(ALLOWANCES)) assert.ok(names.includes(name), `${name} is allowed but unused`);
    });

    it("the CCU recording rule counts the open /sync long-poll", async () => {
        assert.ok(await until(async () => Number((await query("matrix:concurrent_users"))[0]?.value[1] ?? 0) >= 1, 20000, 500));
    });
});
