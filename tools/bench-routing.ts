// npm run bench:routing — throughput and p99 latency through the generated
// router vs a plain one-backend HAProxy, both in front of the same stub
// workers on loopback, measured side by side with wrk. Prints the ratios.
//
// The stubs are one extra HAProxy process answering on one port per worker
// (`http-request return`), so the stubs are not the bottleneck being measured.
import { spawnSync } from "node:child_process";
import * as net from "node:net";
import { computePlan, type WorkerType } from "../sizing";
import { haproxyConfig } from "../components/router/haproxy";
import { buildTopology } from "../components/synapse/topology";
import { startHaproxy, type RunningHaproxy } from "./loopback/haproxy";

const args = new Map(process.argv.slice(2).map((a) => a.replace(/^--/, "").split("=") as [string, string]));
const CCU = Number(args.get("ccu") ?? 20000);
const SECONDS = Number(args.get("seconds") ?? 5);
const CONNECTIONS = Number(args.get("connections") ?? 64);
const THREADS = Number(args.get("threads") ?? 2);
/** Router and plain runs alternate this many times; medians are reported (loopback on a shared machine is noisy). */
const ROUNDS = Number(args.get("rounds") ?? 3);

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

function freePort(): Promise<number> {
    return new Promise((resolve, reject) => {
        const s = net.createServer();
        s.on("error", reject);
        s.listen(0, "127.0.0.1", () => {
            const p = (s.address() as net.AddressInfo).port;
            s.close(() => resolve(p));
        });
    });
}

interface WrkResult {
    readonly rps: number;
    readonly p99ms: number;
    readonly non2xx: number;
}

function wrk(url: string, headers: Record<string, string>): WrkResult {
    const h = Object.entries(headers).flatMap(([k, v]) => ["-H", `${k}: ${v}`]);
    const r = spawnSync("wrk", [`-t${THREADS}`, `-c${CONNECTIONS}`, `-d${SECONDS}s`, "--latency", ...h, url], { encoding: "utf8", timeout: (SECONDS + 30) * 1000 });
    if (r.status !== 0) throw new Error(`wrk failed: ${r.stderr}`);
    const rps = Number(/Requests\/sec:\s+([\d.]+)/.exec(r.stdout)?.[1]);
    const m = /\s99%\s+([\d.]+)(us|ms|s)\b/.exec(r.stdout);
    const p99ms = m ? Number(m[1]) * ({ us: 0.001, ms: 1, s: 1000 } as const)[m[2] as "us" | "ms" | "s"] : NaN;
    const non2xx = Number(/Non-2xx or 3xx responses:\s+(\d+)/.exec(r.stdout)?.[1] ?? 0);
    return { rps, p99ms, non2xx };
}

async function main() {
    for (const bin of ["haproxy", "wrk"]) {
        if (spawnSync("sh", ["-c", `command -v ${bin}`]).status !== 0) {
            console.error(`bench:routing needs ${bin} (Debian package ${bin})`);
            process.exit(2);
        }
    }
    const plan = computePlan({ ccu: CCU, federation: true });
    const topo = buildTopology(plan);

    // Stub farm: one port per worker instance, answering with the worker's name.
    const farm: string[] = ["global", "    log stdout format raw local0 err", "defaults", "    mode http", "    timeout connect 5s", "    timeout client 30s", "    timeout server 30s", ""];
    const pools: Partial<Record<WorkerType, string[]>> = {};
    const addStub = async (name: string) => {
        const port = await freePort();
        farm.push(`frontend stub_${name.replace(/[^a-z0-9]/gi, "_")}`, `    bind 127.0.0.1:${port}`, `    http-request return status 200 content-type application/json string "{\\"name\\":\\"${name}\\"}"`, "");
        return `127.0.0.1:${port}`;
    };
    const main = await addStub("main");
    for (const pool of topo.pools) {
        const n = pool.def.scalable ? Math.min(pool.size.count, 8) : pool.instances.length;
        pools[pool.def.type] = [];
        for (let i = 0; i < n; i++) pools[pool.def.type]!.push(await addStub(`${pool.def.type}-${i}`));
    }
    const farmHealth = await addStub("farm-health");

    const [routerPort, routerHealth, plainPort, plainHealth] = [await freePort(), await freePort(), await freePort(), await freePort()];
    const routerCfg = haproxyConfig(topo, {
        maxBodyBytes: plan.synapse.maxUploadBytes,
        trustedProxies: ["127.0.0.1/32"],
        adminNetworks: ["127.0.0.1/32"],
        bindAddress: "127.0.0.1",
        port: routerPort,
        healthPort: routerHealth,
        staticServers: { main, pools },
    });
    const syncStubs = pools.synchrotron ?? [];
    const plainCfg = [
        "global",
        "    log stdout format raw local0 err",
        "defaults",
        "    mode http",
        "    timeout connect 5s",
        "    timeout client 180s",
        "    timeout server 180s",
        "frontend health",
        `    bind 127.0.0.1:${plainHealth}`,
        "    http-request return status 200",
        "frontend plain",
        `    bind 127.0.0.1:${plainPort}`,
        "    default_backend one",
        "backend one",
        "    balance roundrobin",
        ...syncStubs.map((a, i) => `    server s${i} ${a}`),
        "",
    ].join("\n");

    const running: RunningHaproxy[] = [];
    try {
        running.push(await startHaproxy(farm.join("\n"), `http://${farmHealth}/`));
        running.push(await startHaproxy(routerCfg, `http://127.0.0.1:${routerHealth}/`));
        running.push(await startHaproxy(plainCfg, `http://127.0.0.1:${plainHealth}/`));

        const cases = [
            { label: "/sync (token hash, after all writer/media ACLs)", path: "/_matrix/client/v3/sync?timeout=0", headers: { Authorization: "Bearer syt_YWxpY2U_bench_0" } },
            { label: "unknown path (every ACL evaluated, then main)", path: "/_matrix/client/v3/thirdparty/protocols", headers: { Authorization: "Bearer syt_YWxpY2U_bench_0" } },
        ];
        console.log(`bench:routing  ccu=${CCU}  wrk -t${THREADS} -c${CONNECTIONS} -d${SECONDS}s, ${ROUNDS} alternating rounds, medians  (loopback, HAProxy stub farm)\n`);
        console.log("case".padEnd(52), "router req/s".padStart(13), "plain req/s".padStart(12), "ratio".padStart(7), "router p99".padStart(11), "plain p99".padStart(10), "ratio".padStart(7));
        for (const c of cases) {
            const rs: WrkResult[] = [];
            const ps: WrkResult[] = [];
            for (let i = 0; i < ROUNDS; i++) {
                rs.push(wrk(`http://127.0.0.1:${routerPort}${c.path}`, c.headers));
                ps.push(wrk(`http://127.0.0.1:${plainPort}${c.path}`, c.headers));
            }
            const bad = [...rs, ...ps].reduce((n, x) => n + x.non2xx, 0);
            if (bad > 0) throw new Error(`${bad} non-2xx responses: the comparison would be meaningless`);
            const r = { rps: median(rs.map((x) => x.rps)), p99ms: median(rs.map((x) => x.p99ms)) };
            const p = { rps: median(ps.map((x) => x.rps)), p99ms: median(ps.map((x) => x.p99ms)) };
            console.log(
                c.label.padEnd(52),
                r.rps.toFixed(0).padStart(13),
                p.rps.toFixed(0).padStart(12),
                (r.rps / p.rps).toFixed(2).padStart(7),
                `${r.p99ms.toFixed(2)}ms`.padStart(11),
                `${p.p99ms.toFixed(2)}ms`.padStart(10),
                (r.p99ms / p.p99ms).toFixed(2).padStart(7),
            );
        }
        console.log("\nratio = generated router / plain one-backend HAProxy (req/s: higher is better; p99: lower is better)");
    } finally {
        for (const h of running.reverse()) await h.stop();
    }
}

main().catch((e) => {
    console.error(e instanceof Error ? e.message : e);
    process.exit(1);
});
