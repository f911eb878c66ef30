// The LI proxy: HAProxy 2.6 terminating HTTPS on the LI server for the LI host
// names only, accepting connections from the LI admin networks only, refusing
// media uploads (LI reads, it does not add), and logging every request. The
// access log leaves HAProxy through a pipe to a small logger that writes one
// file per UTC day on the LI server's own volume and prunes by age.

/** Port HAProxy listens on inside its container (the LI server's LI_ADMIN_HOST_PORT maps here). */
export const LI_PROXY_PORT = 8443;
/** Probe-only port; not mapped to the host. */
export const LI_PROXY_HEALTH_PORT = 8404;
export const LI_PROXY_PATHS = {
    config: "/conf/haproxy.cfg",
    /** cert-manager's Secret, tls.crt and tls.key, mounted as <pem> and <pem>.key (HAProxy finds the key next to the certificate). */
    certificate: "/tls/tls.pem",
    fifo: "/run/access-log/access.fifo",
    logDir: "/logs",
} as const;

export interface LiProxySettings {
    /** Client networks accepted; empty: every connection is refused. */
    readonly allowedCidrs: readonly string[];
    /** Host names per backend; the homeserver list includes the main server's names for split-DNS clients. */
    readonly hosts: { readonly homeserver: readonly string[]; readonly element: string; readonly admin: string; readonly keyVault?: string };
    /** host:port of each backend (ClusterIP Service names in the cluster, loopback ports in tests). */
    readonly backends: { readonly synapse: string; readonly element: string; readonly admin: string; readonly keyVault?: string };
    readonly maxBodyBytes: number;
    /** Resolve backend names through the pod's resolv.conf at run time (false in tests with fixed addresses). */
    readonly dnsResolvers: boolean;
    readonly bindAddress?: string;
    readonly port?: number;
    readonly healthPort?: number;
    readonly certificate?: string;
    /** Where logs go: a file descriptor HAProxy inherits (the logger's pipe). */
    readonly logTarget?: string;
}

/** Upload and create endpoints of the media repository (all versions): LI serves copies of media, never new media. */
export const MEDIA_WRITE_PATHS = "^/_matrix/(media/(r0|v1|v3)/(upload|create)|client/v1/media/upload)";

export function liProxyConfig(s: LiProxySettings): string {
    const port = s.port ?? LI_PROXY_PORT;
    const bind = s.bindAddress ?? "";
    const server = (name: string, addr: string) => `    server ${name} ${addr}${s.dnsResolvers ? " resolvers cluster init-addr last,libc,none" : ""} check`;
    const backends: [string, string, readonly string[]][] = [
        ["be_synapse", s.backends.synapse, s.hosts.homeserver],
        ["be_element", s.backends.element, [s.hosts.element]],
        ["be_admin", s.backends.admin, [s.hosts.admin]],
        ...(s.hosts.keyVault && s.backends.keyVault ? [["be_key_vault", s.backends.keyVault, [s.hosts.keyVault]] as [string, string, readonly string[]]] : []),
    ];
    for (const [, , hosts] of backends) for (const h of hosts) if (!/^[a-z0-9.-]+$/.test(h)) throw new Error(`LI proxy: host ${JSON.stringify(h)} is not a DNS name`);
    for (const c of s.allowedCidrs) if (!/^[0-9a-fA-F:.]+\/\d+$/.test(c)) throw new Error(`LI proxy: ${JSON.stringify(c)} is not a CIDR`);
    return [
        "global",
        `    log ${s.logTarget ?? "fd@3"} len 8192 format iso local0 info`,
        "    maxconn 2000",
        "    ssl-default-bind-options ssl-min-ver TLSv1.2 no-tls-tickets",
        "    ssl-default-bind-ciphersuites TLS_AES_128_GCM_SHA256:TLS_AES_256_GCM_SHA384:TLS_CHACHA20_POLY1305_SHA256",
        "    ssl-default-bind-ciphers ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-RSA-AES128-GCM-SHA256:ECDHE-ECDSA-AES256-GCM-SHA384:ECDHE-RSA-AES256-GCM-SHA384:ECDHE-ECDSA-CHACHA20-POLY1305:ECDHE-RSA-CHACHA20-POLY1305",
        "",
        ...(s.dnsResolvers ? ["resolvers cluster", "    parse-resolv-conf", "    hold valid 10s", ""] : []),
        "defaults",
        "    mode http",
        "    log global",
        "    option httplog",
        "    option dontlognull",
        "    timeout connect 5s",
        "    timeout client 60s",
        "    timeout server 120s",
        "    timeout http-request 10s",
        "",
        "frontend health",
        `    bind ${bind}:${s.healthPort ?? LI_PROXY_HEALTH_PORT}`,
        "    option dontlog-normal",
        "    http-request return status 200 content-type text/plain string ok",
        "",
        "frontend li_https",
        `    bind ${bind}:${port} ssl crt ${s.certificate ?? LI_PROXY_PATHS.certificate} alpn h2,http/1.1`,
        // Refused before TLS: outside the LI admin networks nothing is learnt, not even the certificate.
        s.allowedCidrs.length > 0 ? `    tcp-request connection reject unless { src ${s.allowedCidrs.join(" ")} }` : "    tcp-request connection reject",
        "    capture request header Host len 128",
        "    capture request header User-Agent len 256",
        "    http-request set-var(txn.host) req.hdr(host),field(1,:),lower",
        `    http-request deny deny_status 413 if { req.hdr_val(content-length) gt ${s.maxBodyBytes} }`,
        `    http-request deny deny_status 403 if { path_reg ${MEDIA_WRITE_PATHS} }`,
        "    http-response set-header Strict-Transport-Security \"max-age=31536000\"",
        ...backends.map(([name, , hosts]) => `    use_backend ${name} if { var(txn.host) -m str ${hosts.join(" ")} }`),
        "    default_backend be_unknown_host",
        "",
        "backend be_unknown_host",
        "    http-request deny deny_status 404",
        "",
        ...backends.flatMap(([name, addr]) => [`backend ${name}`, "    option forwardfor", server("s1", addr), ""]),
    ].join("\n");
}

/**
 * The logger beside HAProxy: reads log lines from the pipe, appends each to
 * access-YYYY-MM-DD.log (UTC) on the LI server's volume, and deletes files
 * older than the retention. POSIX sh + mawk (Debian's awk, in the HAProxy image; -W interactive reads line by line).
 */
export function accessLogScript(): string {
    return `#!/bin/sh
set -eu
: "\${LOG_DIR:?}" "\${FIFO:?}" "\${RETENTION_DAYS:?}"
export TZ=UTC
mkdir -p "$LOG_DIR"
[ -p "$FIFO" ] || mkfifo -m 600 "$FIFO"
prune() {
  while true; do
    find "$LOG_DIR" -maxdepth 1 -name 'access-*.log' -mtime "+$RETENTION_DAYS" -exec rm -f {} + || true
    sleep "\${PRUNE_INTERVAL_SECONDS:-3600}"
  done
}
prune &
# One file per UTC day; each line is flushed as it arrives, so nothing waits in a buffer.
exec mawk -W interactive -v dir="$LOG_DIR" '{
  f = dir "/access-" strftime("%Y-%m-%d") ".log"
  if (f != last) { if (last != "") close(last); last = f }
  print >> f
  fflush(f)
}' < "$FIFO"
`;
}

/** HAProxy's container command: wait for the logger's pipe, then run with the pipe as fd 3. */
export function proxyCommand(paths: { fifo: string; config: string } = LI_PROXY_PATHS, haproxy = "haproxy"): string {
    return `until [ -p ${paths.fifo} ]; do sleep 1; done; exec ${haproxy} -W -db -f ${paths.config} 3>${paths.fifo}`;
}
