// haproxy.cfg (HAProxy 2.6) generated from the worker table: one ACL per route
// group, one backend per (pool, balancing) pair, in the table's priority order;
// everything else to main. Workers are addressed one pod at a time: DNS service
// discovery over each pool's headless Service (server-template) or each
// StatefulSet pod's stable name, never a ClusterIP.
import type { WorkerType } from "../../sizing/types";
import { HTTP_REQUEST_TIMEOUT_SECONDS } from "../contracts";
import { HTTP_PORT } from "../synapse/ports";
import { instanceHttpAddress, poolServiceHost, type Pool, type Topology } from "../synapse/topology";
import { OPENID_USERINFO_PATH, type Balance, type RouteGroup } from "../synapse/worker-table";

export const ROUTER_PORT = 8008;
/** Probe-only frontend of the router pods; not in any Service. */
export const ROUTER_HEALTH_PORT = 8404;
/** HAProxy's built-in Prometheus exporter; only the monitoring namespace may reach it (NetworkPolicy), never a Service. */
export const ROUTER_METRICS_PORT = 8406;
export const ROUTER_METRICS_PATH = "/metrics";

export interface RouterSettings {
    /** Largest accepted request body: the plan's max_upload_size in bytes. */
    readonly maxBodyBytes: number;
    /** Sources (the edge) whose last X-Forwarded-For entry is the real client. Others are taken at their address. */
    readonly trustedProxies: readonly string[];
    /** Client networks allowed on /_synapse/admin (defence in depth behind the edge's own rule). */
    readonly adminNetworks: readonly string[];
    readonly bindAddress?: string;
    readonly port?: number;
    readonly healthPort?: number;
    readonly metricsPort?: number;
    /**
     * Tests only: fixed addresses instead of DNS discovery for main and for the
     * pools listed (the others keep DNS). Same backends, same server names, same
     * balancing; only the address source changes.
     */
    readonly staticServers?: {
        readonly main?: string;
        readonly pools: Partial<Record<WorkerType, readonly string[]>>;
    };
    /** Tests only: DNS servers (host:port) instead of the pod's /etc/resolv.conf. */
    readonly nameservers?: readonly string[];
}

interface Backend {
    readonly name: string;
    readonly pool: Pool;
    readonly balance: Balance;
    readonly fallbackToMain: boolean;
}

const MAIN_BACKEND = "be_main";
const ident = (s: string) => s.replace(/[^a-zA-Z0-9]+/g, "_");
const BALANCE_SUFFIX: Readonly<Record<Balance, string>> = {
    accessToken: "token",
    sourceAddress: "source",
    roomId: "room",
    roundrobin: "rr",
};

/** Backend name for a pool and balancing (also what the routing test reads back). */
export const backendName = (pool: Pool, balance: Balance) => `be_${ident(pool.def.name)}_${BALANCE_SUFFIX[balance]}`;

// Hash keys are computed in the backend that uses them (before it picks a server),
// so requests routed elsewhere pay for no regex. txn.client is set by the frontend.
const BALANCE_DIRECTIVE: Readonly<Record<Balance, string[]>> = {
    accessToken: [
        // The access token however it is sent: the same token reaches the same server either way.
        `http-request set-var(txn.mx_token) 'req.hdr(Authorization),regsub("^Bearer[[:space:]]+","",i)' if { req.hdr(Authorization) -m found }`,
        "http-request set-var(txn.mx_token) url_param(access_token) unless { var(txn.mx_token) -m found }",
        "balance hash var(txn.mx_token)",
        "hash-type consistent",
    ],
    sourceAddress: ["balance hash var(txn.client)", "hash-type consistent"],
    roomId: [
        // The room ID after /rooms/; paths without one (/join/<alias>, /profile/<user>) hash whole.
        `http-request set-var(txn.room) 'path,regsub("^.*/rooms/([^/]+)(/.*)?$","\\1")'`,
        "balance hash var(txn.room)",
        "hash-type consistent",
    ],
    roundrobin: ["balance roundrobin"],
};

function assertPatterns(group: RouteGroup): void {
    for (const p of group.patterns) {
        // HAProxy splits ACL values on spaces; a pattern with one would silently become two.
        if (/\s/.test(p)) throw new Error(`route ${group.id}: pattern ${JSON.stringify(p)} contains whitespace`);
    }
}

/** The routes that apply under this topology, in priority order, with their backend. */
export function routeTable(topo: Topology): { group: RouteGroup; pool: Pool; backend: string }[] {
    const out: { group: RouteGroup; pool: Pool; backend: string }[] = [];
    for (const pool of topo.pools) {
        for (const group of pool.def.routes) {
            if (group.federation && !topo.federation) continue;
            assertPatterns(group);
            out.push({ group, pool, backend: backendName(pool, group.balance) });
        }
    }
    return out;
}

function cidrList(cidrs: readonly string[]): string {
    for (const c of cidrs) if (!/^[0-9a-fA-F:.]+(\/\d{1,3})?$/.test(c)) throw new Error(`not an address or CIDR: ${JSON.stringify(c)}`);
    return cidrs.join(" ");
}

function serverLines(pool: Pool, topo: Topology, r: RouterSettings): string[] {
    const prefix = ident(pool.def.name.replace(/^synapse-/, ""));
    const fixed = r.staticServers?.pools[pool.def.type];
    if (fixed) {
        if (fixed.length === 0) throw new Error(`staticServers: no address for pool ${pool.def.type}`);
        if (!pool.def.scalable && fixed.length !== pool.instances.length) {
            throw new Error(`staticServers: ${pool.def.type} has ${pool.instances.length} named instances, got ${fixed.length} addresses`);
        }
        return fixed.map((addr, i) => `server ${prefix}${i + 1} ${addr} check`);
    }
    if (pool.def.scalable) {
        // One slot per pod the HPA may ever run; empty slots stay in maintenance. The SRV
        // record of the headless Service's "http" port lists every ready pod with its port.
        return [`server-template ${prefix} ${pool.size.maxReplicas} ${srvName(pool, topo)} check resolvers kube resolve-prefer ipv4 init-addr none`];
    }
    return pool.instances.map(
        (name, i) => `server ${prefix}${i + 1} ${instanceHttpAddress(pool, name, topo.namespace)} check resolvers kube resolve-prefer ipv4 init-addr none`,
    );
}

/** SRV name Kubernetes publishes for the named port "http" of a pool's headless Service. */
export const srvName = (pool: Pool, topo: Topology) => `_http._tcp.${poolServiceHost(pool, topo.namespace)}`;

function mainServer(topo: Topology, r: RouterSettings, backup: boolean): string {
    const addr = r.staticServers?.main ?? `${topo.main.host}:${HTTP_PORT} resolvers kube resolve-prefer ipv4 init-addr none`;
    return `server main ${addr} check${backup ? " backup" : ""}`;
}

const HEALTH_CHECK = ["option httpchk", "http-check send meth GET uri /health", "http-check expect status 200"];

export function haproxyConfig(topo: Topology, r: RouterSettings): string {
    const routes = routeTable(topo);
    const backends = new Map<string, Backend>();
    for (const { pool, group, backend } of routes) {
        backends.set(backend, { name: backend, pool, balance: group.balance, fallbackToMain: pool.def.fallbackToMain });
    }
    const L: string[] = [];
    const block = (head: string, body: readonly string[]) => {
        L.push(head, ...body.map((l) => `    ${l}`), "");
    };

    // maxconn is left to HAProxy: it derives it from the container's file-descriptor limit.
    block("global", ["log stdout format raw local0 info", "hard-stop-after 60s"]);
    block("defaults", [
        "mode http",
        "log global",
        // httplog's format minus the query string: clients may put access_token there.
        `log-format "%ci:%cp [%tr] %ft %b/%s %TR/%Tw/%Tc/%Tr/%Ta %ST %B %tsc %ac/%fc/%bc/%sc/%rc %sq/%bq %HM %HP %HV"`,
        "option dontlognull",
        "option redispatch",
        "retries 2",
        "timeout connect 5s",
        // Inactivity limits, at least the longest request (contracts.ts): a /sync long-poll, or an
        // upload at the slowest supported client speed while Synapse waits for the whole body.
        `timeout client ${HTTP_REQUEST_TIMEOUT_SECONDS}s`,
        `timeout server ${HTTP_REQUEST_TIMEOUT_SECONDS}s`,
        // Headers only: without option http-buffer-request the body is streamed, not timed here.
        "timeout http-request 15s",
        "timeout http-keep-alive 15s",
        "timeout queue 30s",
        "default-server inter 2s fastinter 1s downinter 2s fall 2 rise 2",
    ]);
    const usesDns = !r.staticServers?.main || topo.pools.some((p) => p.def.routes.length > 0 && !r.staticServers?.pools[p.def.type]);
    if (usesDns) {
        block("resolvers kube", [
            ...(r.nameservers ? r.nameservers.map((ns, i) => `nameserver ns${i + 1} ${ns}`) : ["parse-resolv-conf"]),
            "accepted_payload_size 8192",
            "resolve_retries 3",
            "timeout resolve 1s",
            "timeout retry 1s",
            "hold valid 5s",
            "hold nx 5s",
            "hold obsolete 10s",
        ]);
    }
    block(`frontend router_health`, [
        `bind ${r.bindAddress ?? "0.0.0.0"}:${r.healthPort ?? ROUTER_HEALTH_PORT}`,
        "http-request return status 200 content-type text/plain string ok",
    ]);

    block(`frontend router_metrics`, [
        `bind ${r.bindAddress ?? "0.0.0.0"}:${r.metricsPort ?? ROUTER_METRICS_PORT}`,
        `http-request use-service prometheus-exporter if { path ${ROUTER_METRICS_PATH} }`,
        "http-request return status 404",
    ]);

    const fe: string[] = [`bind ${r.bindAddress ?? "0.0.0.0"}:${r.port ?? ROUTER_PORT}`];
    // The real client: the last X-Forwarded-For entry if the edge sent it, else the peer.
    if (r.trustedProxies.length > 0) {
        fe.push(`acl from_edge src ${cidrList(r.trustedProxies)}`);
        fe.push("http-request set-var(txn.client) req.hdr_ip(X-Forwarded-For,-1) if from_edge { req.hdr(X-Forwarded-For) -m found }");
        fe.push("http-request del-header X-Forwarded-Proto unless from_edge");
    } else {
        fe.push("http-request del-header X-Forwarded-Proto");
    }
    fe.push("http-request set-var(txn.client) src unless { var(txn.client) -m found }");
    fe.push("http-request set-header X-Forwarded-For %[var(txn.client)]");
    fe.push(`http-request deny deny_status 413 if { req.hdr_val(content-length) gt ${Math.floor(r.maxBodyBytes)} }`);
    // Guards match the percent-decoded path: Twisted decodes each segment before routing,
    // so /_synapse/%61dmin must be refused like /_synapse/admin.
    fe.push("http-request set-var(txn.dpath) path,url_dec");
    // Metrics and replication are never reachable through the router.
    fe.push("http-request deny deny_status 404 if { var(txn.dpath) -m beg /_synapse/metrics /_synapse/replication }");
    if (r.adminNetworks.length > 0) {
        fe.push(`acl admin_client var(txn.client) -m ip ${cidrList(r.adminNetworks)}`);
        fe.push("http-request deny deny_status 403 if { var(txn.dpath) -m beg /_synapse/admin } !admin_client");
    } else {
        fe.push("http-request deny deny_status 403 if { var(txn.dpath) -m beg /_synapse/admin }");
    }
    if (!topo.federation) {
        // Only OpenID userinfo (for lk-jwt-service) stays reachable: main serves it through its `openid` resource.
        fe.push(`http-request deny deny_status 404 if { var(txn.dpath) -m beg /_matrix/federation/ /_matrix/key/ } !{ var(txn.dpath) -m str ${OPENID_USERINFO_PATH} }`);
    }
    fe.push("acl get_or_head method GET HEAD");
    for (const { group, pool, backend } of routes) {
        const acl = `r_${ident(pool.def.name.replace(/^synapse-/, ""))}_${group.id}`;
        fe.push(`acl ${acl} path_reg ${group.patterns.join(" ")}`);
        const methods = group.methods ? ` ${methodAcl(group)}` : "";
        fe.push(`use_backend ${backend} if ${acl}${methods}`);
    }
    fe.push(`default_backend ${MAIN_BACKEND}`);
    block("frontend matrix", fe);

    for (const b of backends.values()) {
        block(`backend ${b.name}`, [
            ...BALANCE_DIRECTIVE[b.balance],
            ...HEALTH_CHECK,
            ...serverLines(b.pool, topo, r),
            // Only pools whose work main also does may fall back to it.
            ...(b.fallbackToMain ? [mainServer(topo, r, true)] : []),
        ]);
    }
    block(`backend ${MAIN_BACKEND}`, [...HEALTH_CHECK, mainServer(topo, r, false)]);
    return L.join("\n");
}

function methodAcl(group: RouteGroup): string {
    const m = [...(group.methods ?? [])].sort().join(",");
    if (m === "GET,HEAD") return "get_or_head";
    throw new Error(`route ${group.id}: no ACL for methods ${m}`);
}
