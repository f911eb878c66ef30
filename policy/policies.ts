// The policies that make `pulumi preview --policy-pack policy` refuse an
// unsafe plan. Kept apart from the PolicyPack entry point (index.ts) because
// constructing a PolicyPack starts a gRPC server: tests import this module
// and call the validators directly.
import type {
    ReportViolation,
    ResourceValidationArgs,
    ResourceValidationPolicy,
    StackValidationArgs,
    StackValidationPolicy,
} from "@pulumi/policy";
import { parseAllDocuments } from "yaml";
import { LI_ADMIN_HOST_PORT, NAMESPACES, ROLE_LABEL, ROLE_VALUES } from "../components/contracts";
import { IMAGE_KEYS, REPOSITORY_KEYS } from "../components/images/mirror";

/** What a resource validator needs from its arguments; lets tests pass plain objects. */
export type ResourceArgs = Pick<ResourceValidationArgs, "type" | "props" | "name" | "urn">;
export type StackArgs = Pick<StackValidationArgs, "resources">;

/**
 * What may be open to the whole internet, by security group: the HTTPS edge's
 * load balancer (TCP 443; TCP 80 only when the stack sets
 * matrix:cluster.edgeHttp, passed to this policy as its `edgeHttp` config) and
 * the call servers (TURN on 3478 and 5349, LiveKit ICE, the UDP media and relay
 * ranges). Nothing else, and nothing on any other group. Independent of the
 * program's own list (components/cluster/aws/security.ts publicPorts).
 */
export const PUBLIC_PORTS: readonly { group: "edgeLb" | "calls"; from: number; to: number; protocol: "tcp" | "udp"; onlyWithEdgeHttp?: true; why: string }[] = [
    { group: "edgeLb", from: 443, to: 443, protocol: "tcp", why: "HTTPS edge" },
    { group: "edgeLb", from: 80, to: 80, protocol: "tcp", onlyWithEdgeHttp: true, why: "HTTP, only to redirect to HTTPS and answer ACME HTTP-01" },
    { group: "calls", from: 3478, to: 3478, protocol: "udp", why: "TURN/STUN over UDP" },
    { group: "calls", from: 3478, to: 3478, protocol: "tcp", why: "TURN over TCP" },
    { group: "calls", from: 5349, to: 5349, protocol: "tcp", why: "TURN over TLS" },
    { group: "calls", from: 7881, to: 7881, protocol: "tcp", why: "LiveKit WebRTC over TCP" },
    { group: "calls", from: 7882, to: 7882, protocol: "udp", why: "LiveKit WebRTC over one UDP port" },
    { group: "calls", from: 49152, to: 65535, protocol: "udp", why: "TURN relay and LiveKit media port ranges (IANA dynamic range)" },
];

/**
 * The security group a resource belongs to, from the names the cluster gives
 * them (components/cluster/aws/network.ts): groups are `<name>-sg-<group>`
 * (tag Name `<cluster>-sg-<group>`), ingress rules `<name>-sg-<group>-<proto>-...`.
 * Their ids are unknown during a preview; their names are not.
 */
export function securityGroupOf(args: Pick<ResourceArgs, "type" | "name" | "props">): string | undefined {
    if (args.type === "aws:ec2/securityGroup:SecurityGroup") {
        const tagName = String(args.props.tags?.Name ?? "");
        return /-sg-([A-Za-z]+)$/.exec(tagName)?.[1] ?? /-sg-([A-Za-z]+)$/.exec(args.name)?.[1];
    }
    return /-sg-([A-Za-z]+)-(tcp|udp|icmp|-1|all)-/.exec(args.name)?.[1];
}

const WORLD = new Set(["0.0.0.0/0", "::/0"]);

/** Keys whose values are secrets unless they are a *_path/*_file reference or a ${VAR}/secretKeyRef indirection. */
const SECRET_KEY = /(^|_)(password|passwd|secret|token|private_?key|access_?key|secret_?key|api_?key|shared_?secret|macaroon|requirepass|masterauth)($|_)/i;
const INDIRECT_KEY = /_(path|file|env|ref|name)$/i;
const INDIRECT_VALUE = /^(\$\{?[A-Z_][A-Z0-9_]*\}?|\/[^\s]*|)$/;
const PEM = /-----BEGIN [A-Z ]*PRIVATE KEY-----/;

function* secretLeaks(value: unknown, path: string): Generator<string> {
    if (typeof value === "string") {
        if (PEM.test(value)) yield `${path} holds a PEM private key`;
        return;
    }
    if (Array.isArray(value)) {
        for (let i = 0; i < value.length; i++) yield* secretLeaks(value[i], `${path}[${i}]`);
        return;
    }
    if (value && typeof value === "object") {
        for (const [k, v] of Object.entries(value)) {
            const here = path ? `${path}.${k}` : k;
            if (SECRET_KEY.test(k) && !INDIRECT_KEY.test(k) && (typeof v === "string" || typeof v === "number") && !INDIRECT_VALUE.test(String(v).trim())) {
                yield `${here} is set inline`;
            }
            yield* secretLeaks(v, here);
        }
    }
}

/** A ConfigMap entry is often a whole YAML/JSON file: look inside it as well as at its key. */
export function findSecretsInConfigData(data: Record<string, unknown>): string[] {
    const found: string[] = [];
    for (const [file, content] of Object.entries(data ?? {})) {
        if (typeof content !== "string") continue;
        found.push(...secretLeaks({ [file]: content }, ""));
        let docs: unknown[] = [];
        try {
            docs = parseAllDocuments(content).map((d) => d.toJS());
        } catch {
            docs = [];
        }
        for (const doc of docs) {
            if (doc && typeof doc === "object") found.push(...Array.from(secretLeaks(doc, file)));
        }
        // Flat files (turnserver.conf, redis.conf, INI): key=value or key value lines.
        for (const line of content.split("\n")) {
            const m = /^\s*([A-Za-z0-9_.-]+)\s*(?:=|\s)\s*(\S.*)$/.exec(line);
            if (m && !line.includes(":") && SECRET_KEY.test(m[1].replace(/[-.]/g, "_")) && !INDIRECT_VALUE.test(m[2].trim())) {
                found.push(`${file}: "${m[1]}" is set inline`);
            }
        }
    }
    return Array.from(new Set(found));
}

const noSecretsInConfigMaps: ResourceValidationPolicy = {
    name: "no-secrets-in-configmaps",
    description: "ConfigMaps hold no passwords, keys or tokens: secrets live in Secrets and reach processes through *_path options or environment variables.",
    enforcementLevel: "mandatory",
    validateResource: (args: ResourceArgs, report: ReportViolation) => {
        if (args.type !== "kubernetes:core/v1:ConfigMap") return;
        for (const leak of findSecretsInConfigData(args.props.data ?? {})) report(`ConfigMap ${args.name}: ${leak}`);
    },
};

function portAllowed(group: string | undefined, from: number, to: number, protocol: string, edgeHttp: boolean): boolean {
    const proto = protocol.toLowerCase();
    return PUBLIC_PORTS.some(
        (p) => p.group === group && from >= p.from && to <= p.to && proto === p.protocol && (!p.onlyWithEdgeHttp || edgeHttp),
    );
}

interface IngressRule {
    from: number;
    to: number;
    protocol: string;
    cidrs: string[];
}

function ingressRules(args: ResourceArgs): IngressRule[] {
    const p = args.props;
    const cidrsOf = (r: Record<string, unknown>) => [
        ...((r.cidrBlocks as string[]) ?? []),
        ...((r.ipv6CidrBlocks as string[]) ?? []),
        ...(r.cidrIpv4 ? [r.cidrIpv4 as string] : []),
        ...(r.cidrIpv6 ? [r.cidrIpv6 as string] : []),
    ];
    const rule = (r: Record<string, unknown>): IngressRule => ({
        from: Number(r.fromPort ?? 0),
        to: Number(r.toPort ?? 65535),
        protocol: String(r.protocol ?? r.ipProtocol ?? "-1"),
        cidrs: cidrsOf(r),
    });
    switch (args.type) {
        case "aws:ec2/securityGroup:SecurityGroup":
            return ((p.ingress as Record<string, unknown>[]) ?? []).map(rule);
        case "aws:ec2/securityGroupRule:SecurityGroupRule":
            return p.type === "ingress" ? [rule(p)] : [];
        case "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule":
            return [rule(p)];
        default:
            return [];
    }
}

const noWorldOpenIngress: ResourceValidationPolicy = {
    name: "no-world-open-ingress",
    description: "Nothing is reachable from 0.0.0.0/0 or ::/0 except HTTPS (and HTTP with edgeHttp) on the edge load balancer and TURN/LiveKit ports on the call servers.",
    enforcementLevel: "mandatory",
    configSchema: { properties: { edgeHttp: { type: "boolean", default: false } } },
    validateResource: (args: ResourceArgs & { getConfig?: <T extends object>() => T }, report: ReportViolation) => {
        const edgeHttp = args.getConfig?.<{ edgeHttp?: boolean }>().edgeHttp === true;
        const group = securityGroupOf(args);
        for (const r of ingressRules(args)) {
            if (r.cidrs.some((c) => WORLD.has(c)) && !portAllowed(group, r.from, r.to, r.protocol, edgeHttp)) {
                const allowed = PUBLIC_PORTS.filter((p) => p.group === group && (!p.onlyWithEdgeHttp || edgeHttp)).map((p) => `${p.protocol} ${p.from === p.to ? p.from : `${p.from}-${p.to}`}`);
                report(
                    `${args.name}: ${r.protocol} ${r.from}-${r.to} is open to the internet on security group ${group ?? "(unknown)"}; allowed publicly there: ${allowed.join(", ") || "nothing"}` +
                        (r.from <= 80 && r.to >= 80 && group === "edgeLb" ? " (TCP 80 needs matrix:cluster.edgeHttp and the policy config edgeHttp: true)" : ""),
                );
            }
        }
    },
};

/** Service port names and numbers that are cluster-internal by nature. */
const INTERNAL_PORT = /metrics|replication|admin|manhole|sentinel|postgres|redis|etcd|kubelet/i;
const INTERNAL_NUMBERS = new Set([5432, 6379, 26379, 9090, 9093, 9100, 9000, 2379, 2380, 10250]);

const internalPortsNotExposed: ResourceValidationPolicy = {
    name: "internal-ports-not-exposed",
    description: "Services that leave the cluster (LoadBalancer, NodePort) expose no metrics, replication, admin or datastore ports.",
    enforcementLevel: "mandatory",
    validateResource: (args: ResourceArgs, report: ReportViolation) => {
        if (args.type !== "kubernetes:core/v1:Service") return;
        const spec = args.props.spec ?? {};
        if (spec.type !== "LoadBalancer" && spec.type !== "NodePort") return;
        for (const port of spec.ports ?? []) {
            if (INTERNAL_PORT.test(String(port.name ?? "")) || INTERNAL_NUMBERS.has(Number(port.port))) {
                report(`Service ${args.name} (${spec.type}) exposes internal port ${port.name ?? ""} ${port.port}`);
            }
        }
    },
};

function* containers(props: Record<string, any>): Generator<{ name: string; image: string }> {
    const podSpecs = [props.spec?.template?.spec, props.spec?.jobTemplate?.spec?.template?.spec, props.spec];
    for (const spec of podSpecs) {
        for (const c of [...(spec?.containers ?? []), ...(spec?.initContainers ?? [])]) {
            if (c && typeof c.image === "string") yield c;
        }
    }
}

const WORKLOADS = new Set([
    "kubernetes:apps/v1:Deployment",
    "kubernetes:apps/v1:StatefulSet",
    "kubernetes:apps/v1:DaemonSet",
    "kubernetes:batch/v1:Job",
    "kubernetes:batch/v1:CronJob",
    "kubernetes:core/v1:Pod",
]);

const pinnedMaintainedImages: ResourceValidationPolicy = {
    name: "pinned-maintained-images",
    description: "Every container image is pinned to a version or digest (no :latest, no bare name) and none comes from Bitnami's unmaintained repositories.",
    enforcementLevel: "mandatory",
    validateResource: (args: ResourceArgs, report: ReportViolation) => {
        if (!WORKLOADS.has(args.type)) return;
        for (const c of containers(args.props)) {
            const image = c.image;
            const lastSegment = image.split("/").pop() ?? image;
            if (!image.includes("@sha256:") && (!lastSegment.includes(":") || lastSegment.endsWith(":latest"))) {
                report(`${args.name}/${c.name}: image ${image} is not pinned to a version`);
            }
            if (/(^|\/)bitnami(legacy)?\//.test(image)) {
                report(`${args.name}/${c.name}: image ${image} is from Bitnami, whose free images are no longer maintained`);
            }
        }
    },
};

/** The pod spec of a workload (a CronJob's is one level deeper). */
function podSpecOf(props: Record<string, any>, type: string): Record<string, any> | undefined {
    if (type === "kubernetes:core/v1:Pod") return props.spec;
    if (type === "kubernetes:batch/v1:CronJob") return props.spec?.jobTemplate?.spec?.template?.spec;
    return props.spec?.template?.spec;
}

const RUN_TO_COMPLETION = new Set(["kubernetes:batch/v1:Job", "kubernetes:batch/v1:CronJob"]);

/**
 * Every container requests CPU and memory and has a memory limit, so the
 * scheduler's placement (tools/schedule) is the real one and a leak kills one
 * pod, not the server. CPU limits are not required on purpose (a CFS quota
 * throttles Synapse's event loop with idle cores beside it). Long-running
 * containers also have liveness and readiness probes. Exemptions: init
 * containers and the containers of Jobs/CronJobs need no probes (Kubernetes
 * rejects probes on init containers; a run-to-completion container is judged
 * by its exit code), but still need requests and limits.
 */
const containerResourcesAndProbes: ResourceValidationPolicy = {
    name: "container-resources-and-probes",
    description: "Every container requests CPU and memory and limits memory; long-running containers have liveness and readiness probes (not init containers, not Jobs).",
    enforcementLevel: "mandatory",
    validateResource: (args: ResourceArgs, report: ReportViolation) => {
        if (!WORKLOADS.has(args.type)) return;
        const spec = podSpecOf(args.props, args.type) ?? {};
        const check = (c: Record<string, any>, init: boolean) => {
            const missing: string[] = [];
            if (c.resources?.requests?.cpu === undefined) missing.push("resources.requests.cpu");
            if (c.resources?.requests?.memory === undefined) missing.push("resources.requests.memory");
            if (c.resources?.limits?.memory === undefined) missing.push("resources.limits.memory");
            if (!init && !RUN_TO_COMPLETION.has(args.type)) {
                if (!c.livenessProbe) missing.push("livenessProbe");
                if (!c.readinessProbe) missing.push("readinessProbe");
            }
            if (missing.length) report(`${args.name}/${c.name}${init ? " (init)" : ""}: missing ${missing.join(", ")}`);
        };
        for (const c of spec.containers ?? []) check(c, false);
        for (const c of spec.initContainers ?? []) check(c, true);
    },
};

const hostNetworkOnlyWhereNeeded: ResourceValidationPolicy = {
    name: "host-network-only-for-calls-and-node-exporter",
    description: `Only pods in ${NAMESPACES.calls} (TURN/LiveKit media ports) and node-exporter (host metrics) use the host network.`,
    enforcementLevel: "mandatory",
    validateResource: (args: ResourceArgs, report: ReportViolation) => {
        if (!WORKLOADS.has(args.type)) return;
        if (podSpecOf(args.props, args.type)?.hostNetwork !== true) return;
        const ns = args.props.metadata?.namespace;
        const name = String(args.props.metadata?.name ?? args.name);
        if (ns === NAMESPACES.calls || /node-exporter/.test(name)) return;
        report(`${args.name}: hostNetwork in namespace ${ns ?? "default"}; allowed only in ${NAMESPACES.calls} and for node-exporter`);
    },
};

/** Namespaces whose pods must run on their role's dedicated server. */
const PINNED_NAMESPACES: Readonly<Record<string, string>> = { [NAMESPACES.li]: ROLE_VALUES.li, [NAMESPACES.monitoring]: ROLE_VALUES.monitoring };

const roleServersOnly: ResourceValidationPolicy = {
    name: "li-and-monitoring-on-their-servers",
    description: `Workloads in ${NAMESPACES.li} run only on the LI server and those in ${NAMESPACES.monitoring} only on the monitoring server (nodeSelector ${ROLE_LABEL}).`,
    enforcementLevel: "mandatory",
    validateResource: (args: ResourceArgs, report: ReportViolation) => {
        if (!WORKLOADS.has(args.type)) return;
        const ns = args.props.metadata?.namespace;
        const role = PINNED_NAMESPACES[ns];
        if (!role) return;
        const selector = podSpecOf(args.props, args.type)?.nodeSelector ?? {};
        if (selector[ROLE_LABEL] !== role) report(`${args.name}: in ${ns} but nodeSelector ${ROLE_LABEL}=${selector[ROLE_LABEL] ?? "(unset)"}; required: ${role}`);
    },
};

/** A NetworkPolicy that selects every pod and allows no ingress. */
function isDefaultDeny(props: Record<string, any>): boolean {
    const spec = props.spec ?? {};
    const selectsAll = Object.keys(spec.podSelector ?? {}).every((k) => Object.keys(spec.podSelector[k] ?? {}).length === 0);
    return selectsAll && (spec.policyTypes ?? []).includes("Ingress") && (spec.ingress ?? []).length === 0;
}

const defaultDenyPerNamespace: StackValidationPolicy = {
    name: "default-deny-network-policy",
    description: "Every namespace the program creates has a NetworkPolicy that selects all its pods and allows no ingress; everything else is an explicit allow.",
    enforcementLevel: "mandatory",
    validateStack: (args: StackArgs, report: ReportViolation) => {
        const denied = new Set(
            args.resources.filter((r) => r.type === "kubernetes:networking.k8s.io/v1:NetworkPolicy" && isDefaultDeny(r.props)).map((r) => r.props.metadata?.namespace),
        );
        for (const r of args.resources) {
            if (r.type !== "kubernetes:core/v1:Namespace") continue;
            const name = r.props.metadata?.name ?? r.name;
            if (!denied.has(name)) report(`namespace ${name} has no default-deny NetworkPolicy (podSelector {}, policyTypes [Ingress], no ingress rules)`, r.urn);
        }
    },
};

/**
 * A host port bypasses Services and NetworkPolicy-free paths alike: the only
 * one allowed is the LI proxy's, in its own namespace, on LI_ADMIN_HOST_PORT
 * (the LI server's security group admits the LI admin networks there only).
 */
const hostPortsLiProxyOnly: ResourceValidationPolicy = {
    name: "host-ports-li-proxy-only",
    description: `No container binds a host port, except the LI proxy in namespace ${NAMESPACES.liProxy} on port ${LI_ADMIN_HOST_PORT}.`,
    enforcementLevel: "mandatory",
    validateResource: (args: ResourceArgs, report: ReportViolation) => {
        if (!WORKLOADS.has(args.type)) return;
        const ns = args.props.metadata?.namespace;
        for (const c of containers(args.props) as Generator<{ name: string; image: string; ports?: { hostPort?: number }[] }>) {
            for (const p of c.ports ?? []) {
                if (p.hostPort === undefined || p.hostPort === 0) continue;
                if (ns !== NAMESPACES.liProxy || p.hostPort !== LI_ADMIN_HOST_PORT) {
                    report(`${args.name}/${c.name}: host port ${p.hostPort} in namespace ${ns}; only the LI proxy (${NAMESPACES.liProxy}) may bind a host port, ${LI_ADMIN_HOST_PORT}`);
                }
            }
        }
    },
};

/** Helm releases and charts, whose `version` must name one chart release. */
const HELM_TYPES = new Set(["kubernetes:helm.sh/v3:Release", "kubernetes:helm.sh/v3:Chart", "kubernetes:helm.sh/v4:Chart"]);
/** A version range or a moving target instead of one release. */
const UNPINNED_VERSION = /^\s*$|[*xX^~<>=|]|\blatest\b/;

const pinnedCharts: ResourceValidationPolicy = {
    name: "pinned-helm-charts",
    description: "Every Helm release names an exact chart version: without one Helm installs whatever is newest when the preview runs.",
    enforcementLevel: "mandatory",
    validateResource: (args: ResourceArgs, report: ReportViolation) => {
        if (!HELM_TYPES.has(args.type)) return;
        const version = args.props.version;
        if (typeof version !== "string" || UNPINNED_VERSION.test(version)) {
            report(`${args.name}: chart ${args.props.chart ?? "?"} has version ${JSON.stringify(version ?? null)}; allowed: one exact chart version such as 1.18.4`);
        }
    },
};

/** Streams that take exactly one writer (Synapse refuses to start with two). */
export const SINGLE_WRITER_STREAMS = ["typing", "to_device", "account_data", "presence", "push_rules"] as const;
const REMOVED_KEYS = ["worker_replication_host", "worker_replication_http_port", "worker_replication_port"];

/** The checks that would have caught the guide's seed deployment (design notes §6). */
export function synapseConfigProblems(config: Record<string, any>): string[] {
    const problems: string[] = [];
    for (const key of REMOVED_KEYS) {
        if (key in config) problems.push(`${key} was removed from Synapse and is now a startup error`);
    }
    const writers = config.stream_writers as Record<string, string | string[]> | undefined;
    if (writers) {
        const instanceMap = (config.instance_map ?? {}) as Record<string, unknown>;
        if (!("main" in instanceMap)) problems.push("instance_map has no `main` entry; workers refuse to start");
        for (const [stream, value] of Object.entries(writers)) {
            const list = Array.isArray(value) ? value : [value];
            if ((SINGLE_WRITER_STREAMS as readonly string[]).includes(stream) && list.length !== 1) {
                problems.push(`stream_writers.${stream} lists ${list.length} writers; exactly one is allowed`);
            }
            for (const name of list) {
                if (name !== "master" && !(name in instanceMap)) problems.push(`stream writer ${name} (${stream}) is missing from instance_map`);
            }
        }
    }
    return problems;
}

const synapseConfigSane: ResourceValidationPolicy = {
    name: "synapse-config-sane",
    description: "Synapse configuration has one writer per single-writer stream, `main` and every writer in instance_map, and none of the removed worker_replication_* keys.",
    enforcementLevel: "mandatory",
    validateResource: (args: ResourceArgs, report: ReportViolation) => {
        if (args.type !== "kubernetes:core/v1:ConfigMap" && args.type !== "kubernetes:core/v1:Secret") return;
        const files = { ...(args.props.data ?? {}), ...(args.props.stringData ?? {}) } as Record<string, unknown>;
        for (const [file, content] of Object.entries(files)) {
            if (typeof content !== "string" || !/\.ya?ml$/.test(file)) continue;
            let doc: unknown;
            try {
                doc = parseAllDocuments(content)[0]?.toJS();
            } catch {
                continue;
            }
            if (doc && typeof doc === "object" && ("stream_writers" in doc || "worker_app" in doc || "instance_map" in doc || REMOVED_KEYS.some((k) => k in doc))) {
                for (const p of synapseConfigProblems(doc as Record<string, any>)) report(`${args.name}/${file}: ${p}`);
            }
        }
    },
};

/** Resource types whose replacement loses data. */
export const STATEFUL_TYPES = new Set([
    "kubernetes:apps/v1:StatefulSet",
    "kubernetes:core/v1:PersistentVolumeClaim",
    "kubernetes:postgresql.cnpg.io/v1:Cluster",
    "aws:ebs/volume:Volume",
    "aws:s3/bucket:Bucket",
    "aws:s3/bucketV2:BucketV2",
]);

const uniqueStatefulIdentity: StackValidationPolicy = {
    name: "unique-stateful-identity",
    description: "No two stateful resources share a Kubernetes name in one namespace: a collision would make one replace the other's data.",
    enforcementLevel: "mandatory",
    validateStack: (args: StackArgs, report: ReportViolation) => {
        const seen = new Map<string, string>();
        for (const r of args.resources) {
            if (!STATEFUL_TYPES.has(r.type) || !r.type.startsWith("kubernetes:")) continue;
            const meta = r.props.metadata ?? {};
            const key = `${r.type} ${meta.namespace ?? "default"}/${meta.name ?? r.name}`;
            const other = seen.get(key);
            if (other) report(`${key} is declared twice (${other} and ${r.urn})`, r.urn);
            else seen.set(key, r.urn);
        }
    },
};

/**
 * With a registry configured (the stack's matrix:images.registry, passed as this
 * policy's `registry`), nothing may pull from anywhere else: every image field of
 * every Kubernetes object and every Helm chart is under it. Without one the
 * policy has nothing to check.
 */
const imagesFromRegistry: ResourceValidationPolicy = {
    name: "images-from-configured-registry",
    description: "With a registry configured, every image and every Helm chart comes from it (air-gapped clusters).",
    enforcementLevel: "mandatory",
    configSchema: { properties: { registry: { type: "string", default: "" } } },
    validateResource: (args: ResourceArgs & { getConfig?: <T extends object>() => T }, report: ReportViolation) => {
        const registry = args.getConfig?.<{ registry?: string }>().registry ?? "";
        if (registry === "" || !args.type.startsWith("kubernetes:")) return;
        const under = (ref: string) => ref.startsWith(`${registry}/`) || ref.startsWith(`oci://${registry}/`);
        if (args.type === "kubernetes:helm.sh/v3:Release") {
            const chart = String(args.props.chart ?? "");
            if (!under(chart)) report(`${args.name}: chart ${chart} is not under ${registry} (oci://${registry}/...)`);
            return;
        }
        const walk = (v: unknown, key?: string): void => {
            if (typeof v === "string") {
                if (key !== undefined && (IMAGE_KEYS.has(key) || REPOSITORY_KEYS.has(key)) && !under(v)) report(`${args.name}: ${key} ${v} is not under ${registry}`);
            } else if (Array.isArray(v)) v.forEach((x) => walk(x));
            else if (typeof v === "object" && v !== null) for (const [k, x] of Object.entries(v)) walk(x, k);
        };
        walk(args.props);
    },
};

export const RESOURCE_POLICIES: readonly ResourceValidationPolicy[] = [
    noSecretsInConfigMaps,
    noWorldOpenIngress,
    internalPortsNotExposed,
    pinnedMaintainedImages,
    pinnedCharts,
    synapseConfigSane,
    hostPortsLiProxyOnly,
    containerResourcesAndProbes,
    hostNetworkOnlyWhereNeeded,
    roleServersOnly,
    imagesFromRegistry,
];
export const STACK_POLICIES: readonly StackValidationPolicy[] = [uniqueStatefulIdentity, defaultDenyPerNamespace];
