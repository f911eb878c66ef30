// Rewrites of the generated call-server configs for a proof on loopback: the
// same files the cluster runs, with only the addresses, ports, certificate
// paths and what the Debian build lacks changed. Pure, so each change is
// visible and tested, and nothing else can drift.
import type { PortRange } from "../../components/contracts";

export interface TurnLoopback {
    readonly port: number;
    readonly tlsPort: number;
    /** Absent: the generated relay range is kept (the proof then checks it). */
    readonly relayRange?: PortRange;
    readonly tls?: { readonly certFile: string; readonly keyFile: string };
    /** Loopback peers the relay may reach despite 127.0.0.0/8 being denied (coturn's allowed-peer-ip). */
    readonly allowedPeers: readonly string[];
    /** Debian 12's coturn 4.6.1 is built without Prometheus support: drop the line it would refuse. */
    readonly dropMetrics: boolean;
    /** Writable directory for the pid file and coturn's (unused) user database. */
    readonly stateDir: string;
}

const replaceLine = (lines: string[], key: string, value: string | undefined): string[] => {
    const out = lines.filter((l) => !(l === key || l.startsWith(`${key}=`)));
    return value === undefined ? out : [...out, value === "" ? key : `${key}=${value}`];
};

export function turnserverForLoopback(conf: string, o: TurnLoopback): string {
    let lines = conf.split("\n").filter((l) => l !== "");
    const must = (key: string) => {
        if (!lines.some((l) => l === key || l.startsWith(`${key}=`))) throw new Error(`generated turnserver.conf has no ${key}`);
    };
    for (const key of ["listening-port", "tls-listening-port", "min-port", "max-port"]) must(key);
    lines = replaceLine(lines, "listening-port", String(o.port));
    lines = replaceLine(lines, "tls-listening-port", String(o.tlsPort));
    if (o.relayRange) {
        lines = replaceLine(lines, "min-port", String(o.relayRange.from));
        lines = replaceLine(lines, "max-port", String(o.relayRange.to));
    }
    lines = replaceLine(lines, "listening-ip", "127.0.0.1");
    if (o.tls) {
        lines = replaceLine(lines, "cert", o.tls.certFile);
        lines = replaceLine(lines, "pkey", o.tls.keyFile);
    }
    if (o.dropMetrics) lines = lines.filter((l) => !l.startsWith("prometheus"));
    // Only the allowed peers are added: every denied range of the generated file stays.
    // coturn refuses loopback peers before it reads any list; this lifts only that blanket check.
    if (o.allowedPeers.length > 0) lines = [...lines, "allow-loopback-peers"];
    lines = [...lines, ...o.allowedPeers.map((p) => `allowed-peer-ip=${p}`)];
    // Private pid file and user database: the defaults under /var belong to a system coturn.
    lines = replaceLine(lines, "pidfile", `${o.stateDir}/turnserver.pid`);
    lines = replaceLine(lines, "userdb", `${o.stateDir}/turndb`);
    return [...lines, ""].join("\n");
}

export interface LivekitLoopback {
    readonly signalPort: number;
    readonly metricsPort: number;
    readonly tcpPort: number;
    readonly udpRange: PortRange;
    readonly sentinels: readonly string[];
    readonly keyFile: string;
}

/** The generated LiveKit config as an object, moved to loopback: addresses, ports, Sentinels, key file. */
export function livekitForLoopback(config: Record<string, unknown>, o: LivekitLoopback): Record<string, unknown> {
    const rtc = config.rtc as Record<string, unknown>;
    const redis = config.redis as Record<string, unknown>;
    if (!rtc || !redis || !config.room) throw new Error("generated LiveKit config lacks rtc, redis or room");
    return {
        ...config,
        port: o.signalPort,
        bind_addresses: ["127.0.0.1"],
        prometheus: { port: o.metricsPort },
        rtc: {
            ...rtc,
            tcp_port: o.tcpPort,
            port_range_start: o.udpRange.from,
            port_range_end: o.udpRange.to,
            // No STUN on loopback: the node address is given, and only loopback interfaces are used.
            use_external_ip: false,
            node_ip: "127.0.0.1",
            interfaces: { includes: ["lo"] },
            enable_loopback_candidate: true,
        },
        redis: { ...redis, sentinel_addresses: [...o.sentinels] },
        key_file: o.keyFile,
    };
}
