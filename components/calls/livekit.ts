// LiveKit's config file. Pure. The file holds no secret: the API keys are a
// separate key file mounted from a Secret, and the Redis password is written
// into a copy of this file when the container starts (livekitStartScript),
// from the data layer's Secret, because LiveKit has no file option for it.
import * as YAML from "yaml";
import { CALL_HOST_PORTS, CALL_PORTS, type PortRange } from "../contracts";

/** Placeholder the start script replaces with the Redis password (written like a variable, so it never reads as a value). */
export const REDIS_PASSWORD_PLACEHOLDER = "${REDIS_PASSWORD}";

export interface LivekitSettings {
    readonly signalPort: number;
    readonly metricsPort: number;
    readonly tcpPort: number;
    readonly udpRange: PortRange;
    /** Addresses LiveKit binds its HTTP/WebSocket listener to; empty: all. */
    readonly bindAddresses?: readonly string[];
    /**
     * Public address: given, it comes from NODE_IP (set per instance by the pod);
     * "discover": LiveKit finds it with STUN (`rtc.use_external_ip`).
     */
    readonly address: "fromEnvironment" | "discover";
    readonly keyFile: string;
    /** The LiveKit Redis group through Sentinel (multi-instance state). */
    readonly redis: { readonly masterName: string; readonly sentinels: readonly string[] };
    /** STUN servers for address discovery; LiveKit's default is Google's. */
    readonly stunServers?: readonly string[];
    readonly logLevel: "debug" | "info" | "warn";
}

/** The settings of the cluster: ports from the contract. */
export function clusterLivekitSettings(p: Pick<LivekitSettings, "address" | "keyFile" | "redis">): LivekitSettings {
    return {
        signalPort: CALL_HOST_PORTS.livekitSignal,
        metricsPort: CALL_HOST_PORTS.livekitMetrics,
        tcpPort: CALL_PORTS.livekitTcp,
        udpRange: CALL_PORTS.livekitUdp,
        logLevel: "info",
        ...p,
    };
}

export function livekitConfig(s: LivekitSettings): Record<string, unknown> {
    return {
        port: s.signalPort,
        ...(s.bindAddresses && s.bindAddresses.length > 0 ? { bind_addresses: [...s.bindAddresses] } : {}),
        prometheus: { port: s.metricsPort },
        rtc: {
            tcp_port: s.tcpPort,
            port_range_start: s.udpRange.from,
            port_range_end: s.udpRange.to,
            // NODE_IP (the server's public address) overrides this when set; without one, STUN finds it.
            use_external_ip: s.address === "discover",
            ...(s.stunServers ? { stun_servers: [...s.stunServers] } : {}),
        },
        redis: {
            sentinel_master_name: s.redis.masterName,
            sentinel_addresses: [...s.redis.sentinels],
            // The data layer's Sentinels and Redis servers share one password.
            password: REDIS_PASSWORD_PLACEHOLDER,
            sentinel_password: REDIS_PASSWORD_PLACEHOLDER,
        },
        // Only lk-jwt-service creates rooms (for users of our own homeserver); a token alone may not.
        room: { auto_create: false },
        // coturn is the TURN server of this deployment; LiveKit's embedded one stays off.
        turn: { enabled: false },
        key_file: s.keyFile,
        logging: { level: s.logLevel, json: true },
    };
}

export const livekitYaml = (s: LivekitSettings) => YAML.stringify(livekitConfig(s), { lineWidth: 0 });

/** The API key file LiveKit reads (`key: secret` per line); it must not be readable by others. */
export const livekitKeyFile = (key: string, secret: string) => `${key}: ${secret}\n`;

export interface LivekitPaths {
    readonly template: string;
    readonly redisPassword: string;
    readonly rendered: string;
    readonly binary: string;
}

/**
 * The container's start: copy the config with the Redis password filled in
 * (umask 077: the copy is private), then exec LiveKit. NODE_IP, when the pod
 * sets it, is LiveKit's own flag variable for the advertised address.
 */
export function livekitStartScript(p: LivekitPaths): string {
    return [
        "#!/bin/sh",
        "set -eu",
        "umask 077",
        `value="$(cat '${p.redisPassword}')"`,
        // The data layer's passwords are letters, digits, - and _ only: safe in a sed replacement.
        `case "$value" in *[!A-Za-z0-9_-]*|'') echo "unexpected characters in the Redis password" >&2; exit 1;; esac`,
        // The placeholder is literal text in the template, not a shell expansion.
        "# shellcheck disable=SC2016",
        `sed 's/\\\${REDIS_PASSWORD}/'"$value"'/g' '${p.template}' > '${p.rendered}'`,
        `exec '${p.binary}' --config '${p.rendered}'`,
        "",
    ].join("\n");
}
