// bootLocal(): the deployment the program would create, started on loopback
// from the files it renders (changed only by rewrite.ts): PostgreSQL, the
// Synapse Redis group behind its HAProxy master endpoint, MinIO with the
// program's bucket and users, Synapse main and every worker, the router.
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as http from "node:http";
import * as os from "node:os";
import * as path from "node:path";
import { selectCnpgParameters } from "../../components/data/postgres/parameters";
import { INITDB, LI_SYNC_ROLE } from "../../components/data/postgres/manifests";
import { API_SERVICE, METRICS_KEY_ENV, MINIO_PORT } from "../../components/data/objectstore/minio";
import { accessKeyId } from "../../components/data/objectstore/policies";
import { names as redisNames } from "../../components/data/redis/manifests";
import { ROUTER_HEALTH_PORT, ROUTER_METRICS_PORT, ROUTER_PORT, srvName } from "../../components/router/haproxy";
import { HTTP_PORT, PATHS, REPLICATION_PORT } from "../../components/synapse/ports";
import { freePorts } from "./ports";
import { makeLayout, portsNeeded, synapseInstances, type LocalLayout, type SynapseInstance } from "./layout";
import { missingPrerequisites, programs, type Programs } from "./prerequisites";
import { renderDeployment, type RenderedDeployment, type RenderRequest } from "./render";
import {
    LOOPBACK,
    rewriteBootstrapScript,
    rewriteHaproxyCfg,
    rewriteMinioArgs,
    rewriteRedisConf,
    rewriteSentinelConf,
    rewriteSynapseFile,
    type AddressMap,
} from "./rewrite";
import { writeSecrets, type LocalSecrets } from "./secrets";
import { Supervisor, tailFile } from "./supervisor";

export interface BootOptions extends RenderRequest {
    /** Work dir (created if missing); default a new folder under the system temp dir. */
    readonly workdir?: string;
    /** Replicas per autoscaled pool: its minimum, capped at this (default 2). */
    readonly maxReplicas?: number;
    /** Progress lines (default: none). */
    readonly log?: (line: string) => void;
    /** Bound for each health wait (the data layer, main, all workers together, the router); default 600 s: a loaded 2-core machine needs minutes to start 17 Python processes. */
    readonly timeoutMs?: number;
}

export interface LocalProcess {
    readonly name: string;
    readonly pid: number | undefined;
    readonly log: string;
}

export interface LocalStack {
    /** The router: where clients go. */
    readonly baseUrl: string;
    readonly serverName: string;
    /** The shared secret for /_synapse/admin/v1/register (send it to mainUrl: the router refuses /_synapse/admin). */
    readonly registrationSharedSecretFile: string;
    /** Synapse main's own HTTP listener (admin API; the router denies /_synapse/admin to everyone in the default config). */
    readonly mainUrl: string;
    readonly routerLog: string;
    readonly logDir: string;
    readonly workdir: string;
    readonly rendered: RenderedDeployment;
    readonly layout: LocalLayout;
    readonly secrets: LocalSecrets;
    readonly postgres: { readonly host: string; readonly port: number; readonly database: string; readonly user: string; readonly password: string; readonly socketDir: string };
    readonly redis: { readonly endpointPort: number; readonly servers: readonly number[]; readonly sentinels: readonly number[]; readonly masterName: string; readonly password: string };
    readonly minio: { readonly endpoint: string; readonly bucket: string; readonly region: string; readonly accessKeyId: string; readonly secretAccessKey: string; readonly rootUser: string; readonly rootPassword: string };
    /** Every Synapse process: name (worker_name), pool, ports. */
    readonly synapse: readonly SynapseInstance[];
    /** Process names: postgres, redis-synapse-<i>, redis-synapse-sentinel-<i>, redis-synapse-haproxy, minio, <synapse worker names>, synapse-router. */
    processes(): LocalProcess[];
    /** Sends a signal to one process on purpose (a fault). */
    kill(name: string, signal?: NodeJS.Signals): Promise<void>;
    /** Starts a killed/stopped process again and waits (bounded) until it is healthy. */
    restart(name: string): Promise<void>;
    /** Stops every process (router, Synapse, then the data layer); idempotent. */
    stop(): Promise<void>;
}

export class BootError extends Error {}

const ROUTER = "synapse-router";
const REDIS_ENDPOINT = "redis-synapse-haproxy";
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function httpStatus(url: string, timeoutMs = 2000): Promise<number> {
    return new Promise((resolve) => {
        const req = http.get(url, (res) => {
            res.resume();
            resolve(res.statusCode ?? 0);
        });
        req.on("error", () => resolve(0));
        req.setTimeout(timeoutMs, () => {
            req.destroy();
            resolve(0);
        });
    });
}

const isRoot = () => typeof process.getuid === "function" && process.getuid() === 0;

export async function bootLocal(opts: BootOptions = {}): Promise<LocalStack> {
    const log = opts.log ?? (() => undefined);
    const prog = programs();
    const missing = missingPrerequisites(prog);
    if (missing.length > 0) throw new BootError(`missing prerequisites for the local boot:\n  ${missing.join("\n  ")}`);

    log("rendering the program's files (index.ts under mocks, as npm run synth does)");
    const rendered = await renderDeployment(opts);
    const topo = rendered.topology;
    const instances = synapseInstances(topo, opts.maxReplicas ?? 2);
    const workdir = path.resolve(opts.workdir ?? fs.mkdtempSync(path.join(os.tmpdir(), "matrix-local-")));
    fs.mkdirSync(workdir, { recursive: true });
    // PostgreSQL runs as the postgres user and must reach its folder.
    fs.chmodSync(workdir, 0o755);
    const redisAuthDir = "/etc/redis-auth";
    const podDirs = [PATHS.configDir, PATHS.secretsDir, path.dirname(PATHS.signingKey), path.dirname(PATHS.redisPassword), PATHS.mediaStore, redisAuthDir];
    const ports = await freePorts(portsNeeded(instances.length, rendered.redis.instances, rendered.redis.sentinels));
    const layout = makeLayout(workdir, instances, { servers: rendered.redis.instances, sentinels: rendered.redis.sentinels }, ports, podDirs);
    for (const d of [layout.logDir, layout.confDir, layout.redis.dir, layout.minio.dir, ...Object.values(layout.mounts)]) fs.mkdirSync(d, { recursive: true });
    const secrets = writeSecrets(
        layout.mounts,
        { synapse: PATHS.secretsDir, signing: path.dirname(PATHS.signingKey), redis: path.dirname(PATHS.redisPassword), redisAuth: redisAuthDir },
        rendered.redis.masterName,
    );

    const sup = new Supervisor(layout.logDir);
    const baseUrl = `http://${LOOPBACK}:${layout.router.port}`;
    const mainInstance = layout.synapse.find((s) => s.kind === "main")!;
    const addresses = addressMap(rendered, layout);
    let stopped = false;
    const stopAll = async () => {
        if (stopped) return;
        stopped = true;
        // Clients first, then what they depend on.
        const synapseNames = layout.synapse.map((s) => s.name);
        const byGroup = [[ROUTER], synapseNames, sup.names().filter((n) => n !== ROUTER && !synapseNames.includes(n))];
        for (const group of byGroup) {
            await Promise.all(group.filter((n) => sup.names().includes(n)).map((n) => sup.stop(n, 15000)));
        }
    };
    let crash: string | undefined;
    sup.onUnexpectedExit = (p, code, signal) => {
        crash ??= `${p.spec.name} exited (${signal ?? `code ${code}`}); last lines of ${p.log}:\n${tailFile(p.log, 40)}`;
    };
    const timeoutMs = opts.timeoutMs ?? 600_000;
    const waitFor = async (what: string, names: readonly string[], probe: () => Promise<boolean>, bound = timeoutMs) => {
        const deadline = Date.now() + bound;
        while (Date.now() < deadline) {
            if (crash) throw new BootError(crash);
            if (await probe().catch(() => false)) return;
            await sleep(250);
        }
        const tails = names.filter((n) => sup.names().includes(n)).map((n) => `--- ${n} (${sup.get(n).log}):\n${sup.tail(n, 40)}`);
        throw new BootError(`${what} did not become healthy within ${Math.round(bound / 1000)} s\n${tails.join("\n")}`);
    };

    try {
        // ---- data layer
        log(`work dir ${workdir}`);
        const pg = startPostgres(sup, prog, rendered, layout, secrets);
        const redisNamesList = startRedis(sup, prog, rendered, layout, secrets, addresses);
        startMinio(sup, prog, rendered, layout, secrets);
        await waitFor("PostgreSQL", ["postgres"], async () => psql(prog, layout, "postgres", "SELECT 1").ok);
        await initDatabase(prog, rendered, layout, secrets);
        await waitFor("Redis servers", redisNamesList, async () => layout.redis.servers.every((p) => redisCli(prog, p, secrets.redisPassword, ["PING"]) === "PONG"));
        startRedisEndpoint(sup, prog, rendered, layout, secrets, addresses);
        await waitFor("Redis master endpoint", [...redisNamesList, REDIS_ENDPOINT], async () => redisCli(prog, layout.redis.endpoint, secrets.redisPassword, ["SET", "local-boot-probe", "1"]) === "OK");
        await waitFor("MinIO", ["minio"], async () => (await httpStatus(`http://${LOOPBACK}:${layout.minio.port}/minio/health/ready`)) === 200);
        bootstrapMinio(prog, rendered, layout, secrets);
        log("data layer up: PostgreSQL, Redis group + master endpoint, MinIO (bucket and users created by the program's bootstrap script)");

        // ---- Synapse
        writeSynapseFiles(rendered, layout, addresses, baseUrl);
        const synapseEnv = (inst: SynapseInstance): Record<string, string> => ({
            PGPASSWORD: secrets.postgresPassword,
            ...(rendered.mediaCredentialPools.includes(inst.pool)
                ? { AWS_ACCESS_KEY_ID: accessKeyId("synapse"), AWS_SECRET_ACCESS_KEY: secrets.consumerSecretKeys.synapse }
                : {}),
        });
        const startSynapse = (inst: SynapseInstance) =>
            sup.start({
                name: inst.name,
                command: prog.python,
                args: synapseArgs(inst, layout),
                env: synapseEnv(inst),
                cwd: layout.workdir,
            });
        const healthy = (inst: SynapseInstance) => async () => (await httpStatus(`http://${LOOPBACK}:${inst.ports.http}/health`)) === 200;
        log(`starting Synapse main (${mainInstance.name}); a fresh database is migrated first`);
        startSynapse(mainInstance);
        await waitFor("Synapse main", [mainInstance.name], healthy(mainInstance));
        const workers = layout.synapse.filter((s) => s.kind !== "main");
        log(`starting ${workers.length} Synapse workers`);
        for (const w of workers) startSynapse(w);
        // One deadline for all of them: they start together and compete for the same cores.
        const pending = new Set(workers);
        await waitFor(`Synapse workers (${workers.length})`, workers.map((w) => w.name), async () => {
            for (const w of [...pending]) if (await healthy(w)()) pending.delete(w);
            return pending.size === 0;
        }).catch((e: Error) => {
            throw new BootError(`${e.message.split("\n")[0]}; not healthy: ${[...pending].map((w) => w.name).join(", ")}\n${[...pending].map((w) => `--- ${w.name}:\n${sup.tail(w.name, 25)}`).join("\n")}`);
        });

        // ---- router
        const routerCfg = rewriteHaproxyCfg("router haproxy.cfg", rendered.routerCfg, {
            addresses,
            binds: { [ROUTER_PORT]: layout.router.port, [ROUTER_HEALTH_PORT]: layout.router.healthPort, [ROUTER_METRICS_PORT]: layout.router.metricsPort },
        });
        const routerFile = path.join(layout.confDir, "router-haproxy.cfg");
        fs.writeFileSync(routerFile, routerCfg);
        const check = spawnSync(prog.haproxy, ["-c", "-f", routerFile], { encoding: "utf8" });
        if (check.status !== 0) throw new BootError(`haproxy refuses the router config:\n${check.stdout}${check.stderr}`);
        sup.start({ name: ROUTER, command: prog.haproxy, args: ["-W", "-db", "-f", routerFile] });
        await waitFor("router", [ROUTER], async () => (await httpStatus(`http://${LOOPBACK}:${layout.router.healthPort}/`)) === 200);
        await waitFor("router -> Synapse", [ROUTER], async () => (await httpStatus(`${baseUrl}/_matrix/client/versions`)) === 200);
        log(`up: ${baseUrl}`);
        void pg;
    } catch (e) {
        await stopAll();
        throw e;
    }

    const stack: LocalStack = {
        baseUrl,
        serverName: rendered.serverName,
        registrationSharedSecretFile: secrets.files.registrationSharedSecret,
        mainUrl: `http://${LOOPBACK}:${mainInstance.ports.http}`,
        routerLog: sup.get(ROUTER).log,
        logDir: layout.logDir,
        workdir,
        rendered,
        layout,
        secrets,
        postgres: {
            host: LOOPBACK,
            port: layout.postgres.port,
            database: rendered.postgres.database,
            user: rendered.postgres.user,
            password: secrets.postgresPassword,
            socketDir: layout.postgres.dir,
        },
        redis: {
            endpointPort: layout.redis.endpoint,
            servers: layout.redis.servers,
            sentinels: layout.redis.sentinels,
            masterName: rendered.redis.masterName,
            password: secrets.redisPassword,
        },
        minio: {
            endpoint: `http://${LOOPBACK}:${layout.minio.port}`,
            bucket: rendered.media.bucket,
            region: rendered.media.region,
            accessKeyId: accessKeyId("synapse"),
            secretAccessKey: secrets.consumerSecretKeys.synapse,
            rootUser: secrets.minioRootUser,
            rootPassword: secrets.minioRootPassword,
        },
        synapse: layout.synapse,
        processes: () => sup.names().map((n) => ({ name: n, pid: sup.get(n).child.pid, log: sup.get(n).log })),
        kill: (name, signal = "SIGKILL") => sup.kill(name, signal),
        restart: async (name) => {
            crash = undefined;
            sup.restart(name);
            const inst = layout.synapse.find((s) => s.name === name);
            if (inst) {
                const deadline = Date.now() + timeoutMs;
                while (Date.now() < deadline) {
                    if (!sup.running(name)) throw new BootError(`${name} exited on restart:\n${sup.tail(name, 40)}`);
                    if ((await httpStatus(`http://${LOOPBACK}:${inst.ports.http}/health`)) === 200) return;
                    await sleep(250);
                }
                throw new BootError(`${name} did not become healthy after restart:\n${sup.tail(name, 40)}`);
            }
        },
        stop: stopAll,
    };
    // After the boot, a crash is for the caller to notice (its requests fail); the log keeps the reason.
    sup.onUnexpectedExit = undefined;
    return stack;
}

/** Cluster addresses of every process the rendered files name -> its local port. */
export function addressMap(rendered: RenderedDeployment, layout: LocalLayout): AddressMap {
    const topo = rendered.topology;
    const hosts = new Map<string, number>();
    const ns = topo.namespace;
    for (const inst of layout.synapse) {
        const host = inst.kind === "main" ? topo.main.host : `${inst.name}.${inst.pool}.${ns}.svc.cluster.local`;
        hosts.set(`${host}:${HTTP_PORT}`, inst.ports.http);
        hosts.set(`${host}:${REPLICATION_PORT}`, inst.ports.replication);
    }
    hosts.set(`${rendered.postgres.host}:${rendered.postgres.port}`, layout.postgres.port);
    hosts.set(`${rendered.redisEndpoint.host}:${rendered.redisEndpoint.port}`, layout.redis.endpoint);
    const rn = redisNames({ group: rendered.redis.masterName, namespace: ns } as Parameters<typeof redisNames>[0]);
    layout.redis.servers.forEach((p, i) => hosts.set(`${rn.podHost(i)}:6379`, p));
    const media = /^https?:\/\/([^/:]+):(\d+)/.exec(rendered.media.endpointUrl);
    if (media) hosts.set(`${media[1]}:${media[2]}`, layout.minio.port);
    const srv = new Map<string, number[]>();
    for (const pool of topo.pools) {
        if (!pool.def.scalable) continue;
        srv.set(
            srvName(pool, topo),
            layout.synapse.filter((s) => s.pool === pool.def.name).map((s) => s.ports.http),
        );
    }
    return { hosts, srv };
}

function writeSynapseFiles(rendered: RenderedDeployment, layout: LocalLayout, addresses: AddressMap, baseUrl: string): void {
    const main = layout.synapse.find((s) => s.kind === "main")!;
    const ctx = { addresses, mounts: layout.mounts, publicBaseUrl: `${baseUrl}/` };
    const files = rendered.synapseFiles;
    fs.writeFileSync(path.join(layout.confDir, "homeserver.yaml"), rewriteSynapseFile("homeserver.yaml", files["homeserver.yaml"]!, { ...ctx, ports: main.ports }));
    fs.writeFileSync(path.join(layout.confDir, "log.yaml"), files["log.yaml"]!);
    for (const inst of layout.synapse) {
        if (!inst.workerFile) continue;
        const text = files[inst.workerFile];
        if (text === undefined) throw new BootError(`the program rendered no ${inst.workerFile}`);
        const out = rewriteSynapseFile(inst.workerFile, text, { ...ctx, ports: inst.ports, workerName: inst.name });
        fs.writeFileSync(path.join(layout.confDir, `worker-${inst.name}.yaml`), out);
    }
}

function synapseArgs(inst: SynapseInstance, layout: LocalLayout): string[] {
    const hs = path.join(layout.confDir, "homeserver.yaml");
    if (inst.kind === "main") return ["-m", "synapse.app.homeserver", "--config-path", hs];
    return ["-m", "synapse.app.generic_worker", "--config-path", hs, "--config-path", path.join(layout.confDir, `worker-${inst.name}.yaml`)];
}

// ---------------------------------------------------------------- PostgreSQL

function asPostgresUser(prog: Programs, cmd: string, args: string[]): { command: string; args: string[] } {
    if (!isRoot()) return { command: cmd, args };
    // initdb and the server refuse to run as root; setpriv execs in place, so signals reach the server itself.
    return { command: prog.setpriv, args: ["--reuid=postgres", "--regid=postgres", "--init-groups", "--", cmd, ...args] };
}

function chownToPostgres(dir: string): void {
    if (!isRoot()) return;
    spawnSync("chown", ["-R", "postgres:postgres", dir]);
}

function startPostgres(sup: Supervisor, prog: Programs, rendered: RenderedDeployment, layout: LocalLayout, secrets: LocalSecrets) {
    const dir = layout.postgres.dir;
    fs.mkdirSync(dir, { recursive: true });
    const pw = path.join(dir, "superuser-password");
    fs.writeFileSync(pw, secrets.postgresPassword + "-superuser", { mode: 0o600 });
    chownToPostgres(dir);
    const data = path.join(dir, "data");
    // CloudNativePG's initdb bootstrap: UTF8 with C collation and ctype (Synapse refuses anything else).
    const init = asPostgresUser(prog, prog.initdb, [
        "-D", data, "-U", "postgres", `--pwfile=${pw}`,
        `--encoding=${INITDB.encoding}`, `--lc-collate=${INITDB.localeCollate}`, `--lc-ctype=${INITDB.localeCType}`,
        "--auth-local=trust", "--auth-host=scram-sha-256",
    ]);
    const r = spawnSync(init.command, init.args, { encoding: "utf8", timeout: 120000 });
    if (r.status !== 0) throw new BootError(`initdb failed:\n${r.stdout}${r.stderr}`);
    // The plan's parameters that CloudNativePG accepts, as the Cluster sets them.
    const params = selectCnpgParameters(rendered.plan.postgres.parameters).accepted;
    const settings = { ...params, listen_addresses: LOOPBACK, port: String(layout.postgres.port), unix_socket_directories: dir };
    const run = asPostgresUser(prog, prog.postgres, ["-D", data, ...Object.entries(settings).flatMap(([k, v]) => ["-c", `${k}=${v}`])]);
    return sup.start({ name: "postgres", command: run.command, args: run.args });
}

function psql(prog: Programs, layout: LocalLayout, db: string, sql: string): { ok: boolean; out: string } {
    const r = spawnSync(prog.psql, ["-h", layout.postgres.dir, "-p", String(layout.postgres.port), "-U", "postgres", "-d", db, "-v", "ON_ERROR_STOP=1", "-Atqc", sql], {
        encoding: "utf8",
        timeout: 30000,
    });
    return { ok: r.status === 0, out: `${r.stdout}${r.stderr}` };
}

async function initDatabase(prog: Programs, rendered: RenderedDeployment, layout: LocalLayout, secrets: LocalSecrets): Promise<void> {
    const { database, user } = rendered.postgres;
    const limit = rendered.plan.postgres.connections.totalAtMaxReplicas;
    const q = (s: string) => s.replace(/'/g, "''");
    const steps = [
        // The managed role of the Cluster: login, the plan's connection ceiling, the password from its Secret.
        `CREATE ROLE "${user}" LOGIN CONNECTION LIMIT ${limit} PASSWORD '${q(secrets.postgresPassword)}'`,
        `CREATE DATABASE "${database}" OWNER "${user}" ENCODING '${INITDB.encoding}' LC_COLLATE '${INITDB.localeCollate}' LC_CTYPE '${INITDB.localeCType}' TEMPLATE template0`,
        // The LI sync role the Cluster also manages (read-only).
        `CREATE ROLE "${LI_SYNC_ROLE}" LOGIN IN ROLE pg_read_all_data PASSWORD '${q(secrets.postgresPassword)}-li'`,
    ];
    for (const s of steps) {
        const r = psql(prog, layout, "postgres", s);
        if (!r.ok) throw new BootError(`database bootstrap failed at: ${s.replace(/PASSWORD '.*'/, "PASSWORD ...")}\n${r.out}`);
    }
}

// ---------------------------------------------------------------- Redis

function redisCli(prog: Programs, port: number, password: string, args: string[]): string {
    const r = spawnSync(prog.redisCli, ["-h", LOOPBACK, "-p", String(port), "--no-auth-warning", ...args], {
        encoding: "utf8",
        timeout: 3000,
        env: { ...process.env, REDISCLI_AUTH: password },
    });
    return (r.stdout ?? "").trim();
}

function startRedis(sup: Supervisor, prog: Programs, rendered: RenderedDeployment, layout: LocalLayout, secrets: LocalSecrets, addresses: AddressMap): string[] {
    const names: string[] = [];
    const base = `redis-${rendered.redis.masterName}`;
    layout.redis.servers.forEach((port, i) => {
        const dir = path.join(layout.redis.dir, `server-${i}`);
        fs.mkdirSync(dir, { recursive: true });
        const conf = path.join(dir, "redis.conf");
        fs.writeFileSync(conf, rewriteRedisConf(rendered.redisFiles["redis.conf"]!, { port, dir, mounts: layout.mounts }));
        // What start-redis.sh does when no Sentinel knows a master yet: pod 0 is master, the others replicate it.
        const replicaOf = i === 0 ? [] : ["--replicaof", LOOPBACK, String(layout.redis.servers[0])];
        const name = `${base}-${i}`;
        sup.start({ name, command: prog.redisServer, args: [conf, "--replica-announce-ip", LOOPBACK, ...replicaOf] });
        names.push(name);
    });
    layout.redis.sentinels.forEach((port, i) => {
        const dir = path.join(layout.redis.dir, `sentinel-${i}`);
        fs.mkdirSync(dir, { recursive: true });
        const conf = path.join(dir, "sentinel.conf");
        // start-sentinel.sh: a writable copy of the template, plus announce-ip and the auth lines from the Secret.
        const body = rewriteSentinelConf(rendered.redisFiles["sentinel.conf"]!, { port, dir, addresses });
        fs.writeFileSync(conf, `${body}sentinel announce-ip ${LOOPBACK}\n${fs.readFileSync(secrets.files.sentinelAuthConf, "utf8")}`, { mode: 0o600 });
        const name = `${base}-sentinel-${i}`;
        sup.start({ name, command: prog.redisSentinel, args: [conf] });
        names.push(name);
    });
    return names;
}

/** The generated master endpoint; started once the servers answer, so its first checks find the master (no empty-backend alert). */
function startRedisEndpoint(sup: Supervisor, prog: Programs, rendered: RenderedDeployment, layout: LocalLayout, secrets: LocalSecrets, addresses: AddressMap): void {
    const cfg = rewriteHaproxyCfg("redis haproxy.cfg", rendered.redisFiles["haproxy.cfg"]!, {
        addresses,
        binds: { 6379: layout.redis.endpoint, 8405: layout.redis.endpointHealth },
    });
    const file = path.join(layout.redis.dir, "haproxy.cfg");
    fs.writeFileSync(file, cfg);
    sup.start({ name: REDIS_ENDPOINT, command: prog.haproxy, args: ["-db", "-f", file], env: { REDIS_PASSWORD: secrets.redisPassword } });
}

// ---------------------------------------------------------------- MinIO

function startMinio(sup: Supervisor, prog: Programs, rendered: RenderedDeployment, layout: LocalLayout, secrets: LocalSecrets): void {
    const args = rewriteMinioArgs(rendered.minio.args, { port: layout.minio.port, consolePort: layout.minio.consolePort, dir: layout.minio.dir });
    sup.start({
        name: "minio",
        command: prog.minio,
        args,
        env: {
            ...rendered.minio.env,
            MINIO_ROOT_USER: secrets.minioRootUser,
            MINIO_ROOT_PASSWORD: secrets.minioRootPassword,
            // Several "drives" on one disk: MinIO refuses drives on the root disk unless told this is a test setup.
            MINIO_CI_CD: "1",
            HOME: layout.minio.dir,
        },
    });
}

function bootstrapMinio(prog: Programs, rendered: RenderedDeployment, layout: LocalLayout, secrets: LocalSecrets): void {
    const policiesDir = path.join(layout.minio.dir, "policies");
    fs.mkdirSync(policiesDir, { recursive: true });
    for (const [file, text] of Object.entries(rendered.minio.policies)) fs.writeFileSync(path.join(policiesDir, file), text);
    const home = path.join(layout.minio.dir, "mc-home");
    fs.mkdirSync(home, { recursive: true });
    const script = rewriteBootstrapScript(rendered.minio.bootstrapScript, {
        serviceUrl: `http://${API_SERVICE}:${MINIO_PORT}`,
        endpoint: `http://${LOOPBACK}:${layout.minio.port}`,
        policiesDir,
        home,
    });
    const file = path.join(layout.minio.dir, "bootstrap.sh");
    fs.writeFileSync(file, script, { mode: 0o700 });
    const r = spawnSync("sh", [file], {
        encoding: "utf8",
        timeout: 120000,
        env: {
            PATH: `${path.dirname(prog.mc)}:${process.env.PATH}`,
            MINIO_ROOT_USER: secrets.minioRootUser,
            MINIO_ROOT_PASSWORD: secrets.minioRootPassword,
            ...Object.fromEntries(Object.entries(secrets.consumerSecretKeys).map(([c, key]) => [`${c.toUpperCase()}_SECRET_KEY`, key])),
            [METRICS_KEY_ENV]: secrets.metricsSecretKey,
        },
    });
    fs.writeFileSync(path.join(layout.logDir, "minio-bootstrap.log"), `${r.stdout}${r.stderr}`);
    if (r.status !== 0) throw new BootError(`the MinIO bootstrap script failed (exit ${r.status}):\n${r.stdout}${r.stderr}`);
}
