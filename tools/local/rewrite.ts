// The one change the local boot makes to the files the program renders:
// cluster host names -> 127.0.0.1 and a port of their own, mounted paths ->
// folders of the work dir, listeners bound to loopback only, DNS discovery ->
// the addresses of the processes actually started. Everything else stays
// byte-for-byte what `npm run synth` writes. Pure; tested directly.
import * as YAML from "yaml";
import { toYaml } from "../../components/synapse/homeserver";
import { HTTP_PORT, METRICS_PORT, POD_NAME_PLACEHOLDER, REPLICATION_PORT } from "../../components/synapse/ports";
import type { SynapsePorts } from "./layout";

export const LOOPBACK = "127.0.0.1";
const CLUSTER_HOST = /[a-z0-9_.-]+\.svc\.cluster\.local/;

export class RewriteError extends Error {}

/** Cluster "host:port" -> local port; SRV names of autoscaled pools -> the local ports of their running replicas. */
export interface AddressMap {
    readonly hosts: ReadonlyMap<string, number>;
    readonly srv: ReadonlyMap<string, readonly number[]>;
}

function local(addresses: AddressMap, host: string, port: number | string): number {
    const key = `${host}:${port}`;
    const p = addresses.hosts.get(key);
    if (p === undefined) throw new RewriteError(`no local process for ${key}`);
    return p;
}

/** A mounted path of the pod -> the work dir's folder (longest matching mount wins). */
export function mapPath(p: string, mounts: Readonly<Record<string, string>>): string | undefined {
    const hit = Object.keys(mounts)
        .filter((m) => p === m || p.startsWith(m + "/"))
        .sort((a, b) => b.length - a.length)[0];
    return hit === undefined ? undefined : mounts[hit] + p.slice(hit.length);
}

function assertLocalOnly(what: string, text: string): void {
    const problems: string[] = [];
    const host = CLUSTER_HOST.exec(text);
    if (host) problems.push(`cluster host ${host[0]} left`);
    if (/\b0\.0\.0\.0\b/.test(text) || /(^|\s)(bind|--address)\s+:\d+/m.test(text)) problems.push("a listener on every interface left");
    if (problems.length > 0) throw new RewriteError(`${what}: ${problems.join("; ")}`);
}

export interface SynapseFileContext {
    readonly addresses: AddressMap;
    readonly mounts: Readonly<Record<string, string>>;
    /** Ports of the process whose listeners this file declares (main for homeserver.yaml). */
    readonly ports: SynapsePorts;
    /** The router's local URL (public_baseurl). */
    readonly publicBaseUrl: string;
    /** Replaces the pool template's worker_name placeholder, as the container's start command does. */
    readonly workerName?: string;
}

const LISTENER_PORTS = (ports: SynapsePorts): Record<number, number> => ({
    [HTTP_PORT]: ports.http,
    [REPLICATION_PORT]: ports.replication,
    [METRICS_PORT]: ports.metrics,
});

/** homeserver.yaml or a worker file. */
export function rewriteSynapseFile(name: string, text: string, ctx: SynapseFileContext): string {
    const doc = YAML.parse(text) as Record<string, unknown>;
    const listenerPort = LISTENER_PORTS(ctx.ports);
    const walk = (v: unknown, key: string | undefined): unknown => {
        if (typeof v === "string") {
            if (v === POD_NAME_PLACEHOLDER) {
                if (!ctx.workerName) throw new RewriteError(`${name}: ${POD_NAME_PLACEHOLDER} needs a worker name`);
                return ctx.workerName;
            }
            if (v.startsWith("/")) return mapPath(v, ctx.mounts) ?? v;
            const url = /^(https?):\/\/([^/:]+):(\d+)(\/.*)?$/.exec(v);
            if (url && CLUSTER_HOST.test(url[2]!)) return `${url[1]}://${LOOPBACK}:${local(ctx.addresses, url[2]!, url[3]!)}${url[4] ?? ""}`;
            return v;
        }
        if (Array.isArray(v)) {
            if (key === "listeners" || key === "worker_listeners") {
                return v.map((l: Record<string, unknown>) => {
                    const port = listenerPort[Number(l.port)];
                    if (port === undefined) throw new RewriteError(`${name}: listener on unknown port ${String(l.port)}`);
                    return { ...(walk(l, undefined) as object), port, ...(l.bind_addresses ? { bind_addresses: [LOOPBACK] } : {}) };
                });
            }
            return v.map((x) => walk(x, undefined));
        }
        if (v && typeof v === "object") {
            const o = v as Record<string, unknown>;
            const out: Record<string, unknown> = {};
            for (const [k, x] of Object.entries(o)) out[k] = walk(x, k);
            if (typeof o.host === "string" && CLUSTER_HOST.test(o.host) && o.port !== undefined) {
                out.port = local(ctx.addresses, o.host, o.port as number);
                out.host = LOOPBACK;
            }
            return out;
        }
        return v;
    };
    const out = walk(doc, undefined) as Record<string, unknown>;
    if ("public_baseurl" in out) out.public_baseurl = ctx.publicBaseUrl;
    const result = toYaml(out);
    assertLocalOnly(name, result);
    return result;
}

/** Drops a `resolvers <name>` section: every server it served now has a fixed loopback address. */
function dropResolvers(lines: string[]): string[] {
    const out: string[] = [];
    let skipping = false;
    for (const line of lines) {
        if (/^resolvers\s/.test(line)) {
            skipping = true;
            continue;
        }
        if (skipping && /^\s+\S/.test(line)) continue;
        skipping = false;
        out.push(line);
    }
    return out;
}

const RESOLVER_OPTS = /\s+resolvers\s+\S+|\s+resolve-prefer\s+\S+|\s+init-addr\s+\S+/g;

function rewriteServerLine(line: string, addresses: AddressMap): string[] {
    const tmpl = /^(\s*)server-template\s+(\S+)\s+(\d+)\s+(\S+)(.*)$/.exec(line);
    if (tmpl) {
        const [, indent, prefix, , srv, opts] = tmpl;
        const ports = addresses.srv.get(srv!);
        if (!ports || ports.length === 0) throw new RewriteError(`no local replicas for ${srv}`);
        // server-template names its slots <prefix>1..N: the same names, one per started replica.
        return ports.map((p, i) => `${indent}server ${prefix}${i + 1} ${LOOPBACK}:${p}${opts!.replace(RESOLVER_OPTS, "")}`);
    }
    const srv = /^(\s*)server\s+(\S+)\s+([a-z0-9_.-]+\.svc\.cluster\.local):(\d+)(.*)$/.exec(line);
    if (srv) {
        const [, indent, name, host, port, opts] = srv;
        return [`${indent}server ${name} ${LOOPBACK}:${local(addresses, host!, port!)}${opts!.replace(RESOLVER_OPTS, "")}`];
    }
    return [line];
}

export interface HaproxyContext {
    readonly addresses: AddressMap;
    /** Cluster listen port -> local port (e.g. 8008 -> the router's port). */
    readonly binds: Readonly<Record<number, number>>;
}

/** An HAProxy config (the router's, or the Redis master endpoint's). */
export function rewriteHaproxyCfg(name: string, text: string, ctx: HaproxyContext): string {
    const lines = dropResolvers(text.split("\n")).flatMap((line) => {
        const bind = /^(\s*)bind\s+(?:0\.0\.0\.0)?:(\d+)(.*)$/.exec(line);
        if (bind) {
            const port = ctx.binds[Number(bind[2])];
            if (port === undefined) throw new RewriteError(`${name}: no local port for bind :${bind[2]}`);
            return [`${bind[1]}bind ${LOOPBACK}:${port}${bind[3]}`];
        }
        return rewriteServerLine(line, ctx.addresses);
    });
    const result = lines.join("\n");
    assertLocalOnly(name, result);
    return result;
}

/** redis.conf of one server. */
export function rewriteRedisConf(text: string, o: { port: number; dir: string; mounts: Readonly<Record<string, string>> }): string {
    const result = text
        .split("\n")
        .map((line) => {
            if (/^bind\s/.test(line)) return `bind ${LOOPBACK}`;
            if (/^port\s/.test(line)) return `port ${o.port}`;
            if (/^dir\s/.test(line)) return `dir ${o.dir}`;
            const inc = /^include\s+(\S+)$/.exec(line);
            if (inc) return `include ${mapPath(inc[1]!, o.mounts) ?? inc[1]}`;
            return line;
        })
        .join("\n");
    assertLocalOnly("redis.conf", result);
    return result;
}

/** sentinel.conf of one Sentinel (the template; the start script appends announce-ip and auth, so does the boot). */
export function rewriteSentinelConf(text: string, o: { port: number; dir: string; addresses: AddressMap }): string {
    const result = text
        .split("\n")
        .map((line) => {
            if (/^bind\s/.test(line)) return `bind ${LOOPBACK}`;
            if (/^port\s/.test(line)) return `port ${o.port}`;
            if (/^dir\s/.test(line)) return `dir ${o.dir}`;
            const mon = /^sentinel monitor (\S+) (\S+) (\d+) (\d+)$/.exec(line);
            if (mon) return `sentinel monitor ${mon[1]} ${LOOPBACK} ${local(o.addresses, mon[2]!, mon[3]!)} ${mon[4]}`;
            return line;
        })
        .join("\n");
    assertLocalOnly("sentinel.conf", result);
    return result;
}

/** MinIO server arguments: each pool's servers x drives become as many folders of one local server (same pools, same erasure set size). */
export function rewriteMinioArgs(args: readonly string[], o: { port: number; consolePort: number; dir: string }): string[] {
    const out: string[] = [];
    let poolIndex = 0;
    for (let i = 0; i < args.length; i++) {
        const a = args[i]!;
        if (a === "--address") {
            out.push(a, `${LOOPBACK}:${o.port}`);
            i++;
            continue;
        }
        const pool = /^https?:\/\/([^/]+)(\/.*)$/.exec(a);
        if (pool && CLUSTER_HOST.test(pool[1]!)) {
            // http://minio-pool-0-{0...3}.minio-nodes.../data{0...1} -> <dir>/pool-0/server{0...3}/data{0...1}
            const servers = /\{(\d+)\.\.\.(\d+)\}/.exec(pool[1]!);
            const serverPart = servers ? `server{${servers[1]}...${servers[2]}}` : "server0";
            out.push(`${o.dir}/pool-${poolIndex++}/${serverPart}${pool[2]}`);
            continue;
        }
        out.push(a);
    }
    if (!out.includes("--console-address")) out.push("--console-address", `${LOOPBACK}:${o.consolePort}`);
    assertLocalOnly("minio args", out.join(" "));
    return out;
}

/** The MinIO bootstrap Job's script: the API Service -> the local server, mounted policies -> their folder, HOME -> the work dir. */
export function rewriteBootstrapScript(text: string, o: { serviceUrl: string; endpoint: string; policiesDir: string; home: string }): string {
    const result = text
        .split(o.serviceUrl)
        .join(o.endpoint)
        .replace(/\/policies\//g, `${o.policiesDir}/`)
        .replace(/^export HOME=.*$/m, `export HOME=${o.home}`);
    if (result.includes(o.serviceUrl)) throw new RewriteError("bootstrap script still names the cluster Service");
    return result;
}
