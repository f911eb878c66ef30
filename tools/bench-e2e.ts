// `npm run bench:e2e -- [--clients K] [--seconds S] [--rounds R]`: K sender/receiver
// pairs, each in its own room; a sender sends as fast as Synapse answers, its
// receiver long-polls /sync. Measured: messages delivered per second and the
// latency from the start of a send to its arrival in the other client's /sync.
// Twice, alternated round by round on the same machine: through the router to
// the dev stack's workers (npm run local), and against one Synapse process with
// no workers (same PostgreSQL server, its own database, no Redis, no S3).
// Prints both and the ratio. A script, not a test: figures depend on the machine.
import { spawn, spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as http from "node:http";
import * as os from "node:os";
import * as path from "node:path";
import * as YAML from "yaml";
import { bootLocal, type LocalStack } from "./local/boot";
import { call, enc, registerWithSharedSecret, sendMessage, sync, type Session } from "./local/client";
import { freePorts } from "./local/ports";
import { programs } from "./local/prerequisites";

interface Target {
    readonly name: string;
    readonly baseUrl: string;
    readonly adminUrl: string;
    readonly secretFile: string;
}

interface Pair {
    readonly sender: Session;
    readonly receiver: Session;
    readonly roomId: string;
}

interface RunResult {
    readonly delivered: number;
    readonly seconds: number;
    readonly latencies: number[];
}

function arg(name: string, dflt: number): number {
    const i = process.argv.indexOf(`--${name}`);
    return i >= 0 ? Number(process.argv[i + 1]) : dflt;
}

const quantile = (xs: number[], q: number) => {
    const s = [...xs].sort((a, b) => a - b);
    return s.length === 0 ? NaN : s[Math.min(s.length - 1, Math.floor(q * s.length))]!;
};

async function health(url: string): Promise<boolean> {
    return new Promise((resolve) => {
        const req = http.get(url, (res) => {
            res.resume();
            resolve(res.statusCode === 200);
        });
        req.on("error", () => resolve(false));
        req.setTimeout(2000, () => req.destroy());
    });
}

/** One Synapse process, no workers: the dev stack's own homeserver.yaml minus everything that names a worker. */
async function startMonolith(stack: LocalStack): Promise<{ target: Target; stop: () => Promise<void> }> {
    const [httpPort, metricsPort] = await freePorts(2);
    const dir = path.join(stack.workdir, "monolith");
    fs.mkdirSync(path.join(dir, "media"), { recursive: true });
    const hs = YAML.parse(fs.readFileSync(path.join(stack.layout.confDir, "homeserver.yaml"), "utf8"));
    for (const k of ["instance_map", "stream_writers", "enable_media_repo", "media_instance_running_background_jobs", "run_background_tasks_on", "update_user_directory_from_worker", "media_storage_providers", "pusher_instances", "notify_appservices_from_worker"]) delete hs[k];
    hs.redis = { enabled: false };
    hs.listeners = [
        { type: "http", port: httpPort, bind_addresses: ["127.0.0.1"], x_forwarded: true, resources: [{ names: ["client", "media"], compress: false }] },
        { type: "metrics", port: metricsPort, bind_addresses: ["127.0.0.1"] },
    ];
    hs.database.args = { ...hs.database.args, dbname: "synapse_mono" };
    hs.media_store_path = path.join(dir, "media");
    hs.public_baseurl = `http://127.0.0.1:${httpPort}/`;
    const conf = path.join(dir, "homeserver.yaml");
    fs.writeFileSync(conf, YAML.stringify(hs));
    const prog = programs();
    const psql = spawnSync(prog.psql, ["-h", stack.postgres.socketDir, "-p", String(stack.postgres.port), "-U", "postgres", "-d", "postgres", "-v", "ON_ERROR_STOP=1", "-c",
        `CREATE DATABASE synapse_mono OWNER "${stack.postgres.user}" ENCODING 'UTF8' LC_COLLATE 'C' LC_CTYPE 'C' TEMPLATE template0`], { encoding: "utf8" });
    if (psql.status !== 0) throw new Error(`cannot create the monolith's database: ${psql.stderr}`);
    const log = fs.openSync(path.join(stack.logDir, "synapse-monolith.log"), "a");
    const child = spawn(prog.python, ["-m", "synapse.app.homeserver", "--config-path", conf], { stdio: ["ignore", log, log], env: { PATH: process.env.PATH ?? "", PGPASSWORD: stack.postgres.password } });
    const url = `http://127.0.0.1:${httpPort}`;
    const deadline = Date.now() + 600_000;
    while (!(await health(`${url}/health`))) {
        if (child.exitCode !== null || Date.now() > deadline) throw new Error(`the monolith did not start; see ${path.join(stack.logDir, "synapse-monolith.log")}`);
        await new Promise((r) => setTimeout(r, 500));
    }
    const stop = () =>
        new Promise<void>((resolve) => {
            if (child.exitCode !== null) return resolve();
            const t = setTimeout(() => child.kill("SIGKILL"), 15000);
            child.once("exit", () => {
                clearTimeout(t);
                resolve();
            });
            child.kill("SIGTERM");
        });
    return { target: { name: "one Synapse process, no workers", baseUrl: url, adminUrl: url, secretFile: stack.registrationSharedSecretFile }, stop };
}

async function setup(t: Target, clients: number): Promise<Pair[]> {
    const pw = "bench-password-1";
    const admin = await registerWithSharedSecret(t.adminUrl, t.secretFile, `bench-admin-${Date.now()}`, pw, true);
    const pairs: Pair[] = [];
    for (let i = 0; i < clients; i++) {
        const names = [`bench-s${i}-${Date.now()}`, `bench-r${i}-${Date.now()}`];
        // Registration returns a logged-in session: no /login, whose per-address rate limit (rc_login) would stop the setup.
        const [sender, receiver] = [await registerWithSharedSecret(t.adminUrl, t.secretFile, names[0]!, pw), await registerWithSharedSecret(t.adminUrl, t.secretFile, names[1]!, pw)] as [Session, Session];
        for (const u of [sender, receiver]) {
            // Measure Synapse, not the plan's per-user rate limit.
            await call(t.adminUrl, "POST", `/_synapse/admin/v1/users/${enc(u.userId)}/override_ratelimit`, { token: admin.accessToken, body: { messages_per_second: 0, burst_count: 0 } });
        }
        const roomId = (await call(t.baseUrl, "POST", "/_matrix/client/v3/createRoom", { token: sender.accessToken, body: { preset: "private_chat", invite: [receiver.userId] } })).room_id;
        await call(t.baseUrl, "POST", `/_matrix/client/v3/join/${enc(roomId)}`, { token: receiver.accessToken, body: {} });
        pairs.push({ sender, receiver, roomId });
    }
    return pairs;
}

async function run(t: Target, pairs: Pair[], seconds: number): Promise<RunResult> {
    const latencies: number[] = [];
    let delivered = 0;
    const start = Date.now();
    const end = start + seconds * 1000;
    await Promise.all(
        pairs.map(async (p) => {
            const sentAt = new Map<string, number>();
            const arrivedAt = new Map<string, number>();
            const settle = (id: string) => {
                const s = sentAt.get(id);
                const a = arrivedAt.get(id);
                if (s !== undefined && a !== undefined) {
                    latencies.push(a - s);
                    delivered++;
                    sentAt.delete(id);
                    arrivedAt.delete(id);
                }
            };
            let since = (await sync(t.baseUrl, p.receiver, undefined, 0)).next_batch;
            let sending = true;
            const receiver = (async () => {
                while (sending || sentAt.size > 0) {
                    if (Date.now() > end + 30000) break;
                    const b = await sync(t.baseUrl, p.receiver, since, 5000);
                    since = b.next_batch;
                    const now = Date.now();
                    for (const ev of b.rooms?.join?.[p.roomId]?.timeline?.events ?? []) {
                        if (ev.type !== "m.room.message") continue;
                        arrivedAt.set(ev.event_id, now);
                        settle(ev.event_id);
                    }
                }
            })();
            let i = 0;
            while (Date.now() < end) {
                const t0 = Date.now();
                const id = await sendMessage(t.baseUrl, p.sender, p.roomId, `bench ${i++}`);
                sentAt.set(id, t0);
                settle(id);
            }
            sending = false;
            await receiver;
        }),
    );
    return { delivered, seconds: (Date.now() - start) / 1000, latencies };
}

async function main(): Promise<void> {
    const clients = arg("clients", 4);
    const seconds = arg("seconds", 20);
    const rounds = arg("rounds", 2);
    const log = (l: string) => process.stderr.write(`bench: ${l}\n`);
    const stack = await bootLocal({ stack: "dev", log });
    let mono: Awaited<ReturnType<typeof startMonolith>> | undefined;
    const stopAll = async () => {
        await mono?.stop();
        await stack.stop();
        fs.rmSync(stack.workdir, { recursive: true, force: true });
    };
    process.once("SIGINT", () => void stopAll().then(() => process.exit(130)));
    try {
        mono = await startMonolith(stack);
        const workers: Target = { name: "dev stack through the router (workers)", baseUrl: stack.baseUrl, adminUrl: stack.mainUrl, secretFile: stack.registrationSharedSecretFile };
        const targets = [workers, mono.target];
        const pairs = new Map<Target, Pair[]>();
        for (const t of targets) pairs.set(t, await setup(t, clients));
        const results = new Map<Target, RunResult[]>(targets.map((t) => [t, []]));
        for (let r = 0; r < rounds; r++) {
            for (const t of r % 2 === 0 ? targets : [...targets].reverse()) {
                const res = await run(t, pairs.get(t)!, seconds);
                results.get(t)!.push(res);
                log(`round ${r + 1} ${t.name}: ${(res.delivered / res.seconds).toFixed(1)} msg/s, p50 ${quantile(res.latencies, 0.5)} ms, p99 ${quantile(res.latencies, 0.99)} ms`);
            }
        }
        const summary = targets.map((t) => {
            const rs = results.get(t)!;
            const lat = rs.flatMap((x) => x.latencies);
            const rate = rs.reduce((a, x) => a + x.delivered, 0) / rs.reduce((a, x) => a + x.seconds, 0);
            return { target: t.name, messagesPerSecond: Number(rate.toFixed(1)), p50Ms: quantile(lat, 0.5), p99Ms: quantile(lat, 0.99), delivered: lat.length };
        });
        const [w, m] = summary;
        console.log(`machine: ${os.cpus().length} CPU (${os.cpus()[0]?.model ?? "?"}), ${Math.round(os.totalmem() / 2 ** 30)} GiB, load average ${os.loadavg().map((x) => x.toFixed(1)).join(" ")}`);
        console.log(`${clients} sender/receiver pairs, ${rounds} rounds x ${seconds} s per target, alternated`);
        for (const s of summary) console.log(`${s.target}: ${s.messagesPerSecond} msg/s, p50 ${s.p50Ms} ms, p99 ${s.p99Ms} ms (${s.delivered} messages)`);
        console.log(`ratio workers/monolith: throughput ${(w!.messagesPerSecond / m!.messagesPerSecond).toFixed(2)}, p50 latency ${(w!.p50Ms / m!.p50Ms).toFixed(2)}, p99 latency ${(w!.p99Ms / m!.p99Ms).toFixed(2)}`);
    } finally {
        await stopAll();
    }
}

if (require.main === module) {
    main().then(
        () => process.exit(0),
        (e) => {
            process.stderr.write(`${e instanceof Error ? e.stack ?? e.message : String(e)}\n`);
            process.exit(1);
        },
    );
}
