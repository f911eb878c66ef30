// redis.conf, sentinel.conf and haproxy.cfg for one Redis HA group, as pure
// functions of the plan's group and the addresses. The same functions feed the
// cluster (with pod DNS names) and the loopback proof (with 127.0.0.1 ports), so
// what the proof exercises is what the cluster runs. Passwords never appear in
// these files: they come from separate auth files built from a Secret, or from
// the environment (HAProxy expands "${VAR}" in quoted arguments).
import type { RedisGroup } from "../../../sizing/types";

/**
 * Share of the container's memory Redis may fill with data. Persistence forks
 * the process (AOF rewrite, RDB save); under writes copy-on-write duplicates
 * pages, and replication buffers and the allocator need room too. A quarter of
 * headroom keeps the kernel's OOM killer away from the master during a rewrite.
 */
export const MAXMEMORY_SHARE = 0.75;

export function maxmemoryMiB(group: RedisGroup): number {
    return Math.floor(group.memoryGiB * 1024 * MAXMEMORY_SHARE);
}

/** Only characters that need no quoting in any of the three config languages (letters, digits, - and _). */
export const PASSWORD_CHARSET = /^[A-Za-z0-9_-]{16,128}$/;

function checkPassword(password: string): void {
    if (!PASSWORD_CHARSET.test(password)) {
        throw new Error("Redis password must be 16-128 letters, digits, - or _ (it is written unquoted into auth files)");
    }
}

export interface RedisServerOptions {
    readonly bind: string;
    readonly port: number;
    readonly dir: string;
    /** Absolute path of the auth file (requirepass/masterauth), mounted from a Secret. */
    readonly authFile: string;
}

export function redisConf(group: RedisGroup, o: RedisServerOptions): string {
    const persistence =
        group.persistence === "aof"
            ? [
                  // Synapse's replication stream and caches: AOF so an acknowledged write survives a restart.
                  "appendonly yes",
                  "appendfsync everysec",
                  "aof-use-rdb-preamble yes",
                  'save ""',
              ]
            : [
                  // LiveKit's room state is rebuilt by clients: periodic snapshots are enough.
                  "appendonly no",
                  "save 900 1 300 100 60 10000",
              ];
    return [
        `bind ${o.bind}`,
        `port ${o.port}`,
        `dir ${o.dir}`,
        "protected-mode no",
        "tcp-keepalive 60",
        `maxmemory ${maxmemoryMiB(group)}mb`,
        // Synapse's external cache sets TTLs, so volatile keys may go; LiveKit's state has none and must not be evicted.
        `maxmemory-policy ${group.persistence === "aof" ? "volatile-lru" : "noeviction"}`,
        ...persistence,
        "replica-read-only yes",
        "repl-diskless-sync yes",
        // An isolated old master stops taking writes it would lose at failover.
        "min-replicas-to-write 1",
        "min-replicas-max-lag 10",
        `include ${o.authFile}`,
        "",
    ].join("\n");
}

export function redisAuthConf(password: string): string {
    checkPassword(password);
    return `requirepass ${password}\nmasterauth ${password}\n`;
}

export interface SentinelOptions {
    readonly masterName: string;
    readonly bind: string;
    readonly port: number;
    readonly dir: string;
    /** Where the group starts; Sentinel follows promotions from there. */
    readonly initialMaster: { readonly host: string; readonly port: number };
    readonly quorum: number;
    readonly downAfterMs: number;
    readonly failoverTimeoutMs: number;
    /** Pod DNS names instead of IPs, which change when a pod is rescheduled. */
    readonly hostnames: boolean;
}

export function sentinelConf(o: SentinelOptions): string {
    const lines = [`bind ${o.bind}`, `port ${o.port}`, `dir ${o.dir}`, "protected-mode no"];
    if (o.hostnames) {
        lines.push("sentinel resolve-hostnames yes", "sentinel announce-hostnames yes");
    }
    lines.push(
        `sentinel monitor ${o.masterName} ${o.initialMaster.host} ${o.initialMaster.port} ${o.quorum}`,
        `sentinel down-after-milliseconds ${o.masterName} ${o.downAfterMs}`,
        `sentinel failover-timeout ${o.masterName} ${o.failoverTimeoutMs}`,
        `sentinel parallel-syncs ${o.masterName} 1`,
        "",
    );
    return lines.join("\n");
}

/** Appended to sentinel.conf at start (Sentinel rewrites its file, so it must be a writable copy, not an include). */
export function sentinelAuthConf(masterName: string, password: string): string {
    checkPassword(password);
    return [
        `sentinel auth-pass ${masterName} ${password}`,
        `requirepass ${password}`,
        // Peers authenticate to each other for failover votes once requirepass is set.
        `sentinel sentinel-pass ${password}`,
        "",
    ].join("\n");
}

export interface HaproxyOptions {
    readonly bind: string;
    readonly port: number;
    readonly servers: readonly { readonly name: string; readonly host: string; readonly port: number }[];
    readonly checkIntervalMs: number;
    /** HTTP port answering /healthz for the kubelet; omitted in tests that do not need it. */
    readonly healthPort?: number;
    /** Re-resolve pod DNS names (kube-dns) instead of resolving once at start. */
    readonly dnsResolvers: boolean;
    /** Environment variable holding the Redis password; HAProxy expands it when it reads the file. */
    readonly passwordEnv: string;
}

export function haproxyCfg(o: HaproxyOptions): string {
    if (!/^[A-Z_][A-Z0-9_]*$/.test(o.passwordEnv)) {
        throw new Error(`haproxy passwordEnv must be an environment variable name, got ${o.passwordEnv}`);
    }
    const serverOpts = o.dnsResolvers ? " resolvers kube init-addr none" : "";
    const lines = [
        "global",
        "    maxconn 4096",
        "defaults",
        "    mode tcp",
        "    timeout connect 2s",
        // Synapse keeps one long-lived subscription per process; idle is normal.
        "    timeout client 1h",
        "    timeout server 1h",
        `    timeout check ${Math.max(500, Math.floor(o.checkIntervalMs))}ms`,
    ];
    if (o.dnsResolvers) {
        lines.push("resolvers kube", "    parse-resolv-conf", "    hold valid 5s", "    hold obsolete 5s");
    }
    if (o.healthPort !== undefined) {
        lines.push("frontend health", "    mode http", `    bind ${o.bind}:${o.healthPort}`, "    monitor-uri /healthz");
    }
    lines.push(
        "frontend redis",
        `    bind ${o.bind}:${o.port}`,
        "    default_backend redis_master",
        "backend redis_master",
        // Only the node that says role:master passes; replicas and dead nodes are down.
        "    option tcp-check",
        "    tcp-check connect",
        `    tcp-check send "AUTH \${${o.passwordEnv}}\\r\\n"`,
        "    tcp-check expect string +OK",
        "    tcp-check send PING\\r\\n",
        "    tcp-check expect string +PONG",
        "    tcp-check send info\\ replication\\r\\n",
        "    tcp-check expect string role:master",
        "    tcp-check send QUIT\\r\\n",
        "    tcp-check expect string +OK",
        // Clients still attached to a node that stopped being master must reconnect through us.
        `    default-server inter ${o.checkIntervalMs}ms fall 1 rise 1 on-marked-down shutdown-sessions`,
        ...o.servers.map((s) => `    server ${s.name} ${s.host}:${s.port} check${serverOpts}`),
        "",
    );
    return lines.join("\n");
}
