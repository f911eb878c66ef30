// Grafana Alloy on every server, shipping the logs of every pod of every
// namespace to Loki. No line reaches Loki with an access token in it: the
// router already drops query strings from its log, and the redaction stage
// here replaces the value after any `access_token` (query parameter, JSON
// field, header-like text) with REDACTED, whatever produced the line.
import { NAMESPACES } from "../contracts";
import { LOKI_HTTP_PORT, LOKI_RELEASE } from "./loki";
import { EVERY_NODE_TOLERATIONS } from "./placement";
import { CHARTS, release, type ReleaseArgs } from "./releases";

export const ALLOY_RELEASE = "alloy";
export const REDACTED = "REDACTED";

/**
 * RE2 (Alloy's regexp): `access_token` in any case, then `=`, `:`, `%3D` or
 * `": "`-style separators, then the token (URL-safe characters: Synapse's
 * `syt_...` tokens and any OAuth bearer token), which is the one capture group
 * (stage.replace replaces capture groups only).
 */
export const ACCESS_TOKEN_PATTERN = `(?i)access_token(?:\\\\?["']?\\s*(?:=|:|%3D)\\s*\\\\?["']?)([A-Za-z0-9._~+/-]+)`;

const quote = (s: string) => JSON.stringify(s);

/** The Alloy configuration (its own language), as the chart mounts it. */
export function alloyConfig(lokiPushUrl: string): string {
    return [
        `discovery.kubernetes "pods" {`,
        `  role = "pod"`,
        `}`,
        ``,
        `// Each Alloy (one per server) tails the pods of its own server only.`,
        `discovery.relabel "pods" {`,
        `  targets = discovery.kubernetes.pods.targets`,
        `  rule {`,
        `    source_labels = ["__meta_kubernetes_pod_node_name"]`,
        `    regex         = sys.env("HOSTNAME")`,
        `    action        = "keep"`,
        `  }`,
        ...[
            ["__meta_kubernetes_namespace", "namespace"],
            ["__meta_kubernetes_pod_name", "pod"],
            ["__meta_kubernetes_pod_container_name", "container"],
            ["__meta_kubernetes_pod_label_app_kubernetes_io_name", "app"],
            ["__meta_kubernetes_pod_label_app_kubernetes_io_instance", "instance"],
            ["__meta_kubernetes_pod_node_name", "node"],
        ].flatMap(([from, to]) => [`  rule {`, `    source_labels = [${quote(from)}]`, `    target_label  = ${quote(to)}`, `  }`]),
        `}`,
        ``,
        `loki.source.kubernetes "pods" {`,
        `  targets    = discovery.relabel.pods.output`,
        `  forward_to = [loki.process.redact.receiver]`,
        `}`,
        ``,
        `loki.process "redact" {`,
        `  stage.replace {`,
        `    expression = ${quote(ACCESS_TOKEN_PATTERN)}`,
        `    replace    = ${quote(REDACTED)}`,
        `  }`,
        `  forward_to = [loki.write.default.receiver]`,
        `}`,
        ``,
        `loki.write "default" {`,
        `  endpoint {`,
        `    url = ${quote(lokiPushUrl)}`,
        `  }`,
        `}`,
        ``,
    ].join("\n");
}

export const LOKI_PUSH_URL = `http://${LOKI_RELEASE}.${NAMESPACES.monitoring}.svc.cluster.local:${LOKI_HTTP_PORT}/loki/api/v1/push`;

export function alloyRelease(): ReleaseArgs {
    return release(ALLOY_RELEASE, CHARTS.alloy, NAMESPACES.monitoring, {
        alloy: { configMap: { create: true, content: alloyConfig(LOKI_PUSH_URL) } },
        controller: { type: "daemonset", tolerations: EVERY_NODE_TOLERATIONS.map((t) => ({ ...t })) },
    });
}
