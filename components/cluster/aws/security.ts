// The security-group rule model: which group admits what, from where. Pure
// data, so "nothing is open to the internet except the enumerated public
// ports" is a test over this list and over the resources built from it.
import { CALL_PORTS, EDGE_NODE_PORTS, LI_ADMIN_HOST_PORT } from "../../contracts";
import type { NodeRole } from "../../../sizing/types";
import type { AwsClusterOptions } from "./options";

export const GROUPS = ["apiLb", "adminApiLb", "edgeLb", "controlPlane", "nodes", "app", "calls", "li"] as const;
export type GroupName = (typeof GROUPS)[number];

export type Protocol = "tcp" | "udp" | "icmp";

export type Source = { readonly group: GroupName } | { readonly cidr: string };

export interface IngressRule {
    readonly group: GroupName;
    readonly protocol: Protocol;
    /** For icmp: the ICMP type. */
    readonly fromPort: number;
    /** For icmp: the ICMP code. */
    readonly toPort: number;
    readonly source: Source;
    readonly description: string;
}

export const INTERNET_V4 = "0.0.0.0/0";
export const INTERNET_V6 = "::/0";

/** Groups each server joins: every server is a node; some roles add their own. */
export function groupsOf(role: NodeRole): GroupName[] {
    const extra: Partial<Record<NodeRole, GroupName>> = { controlPlane: "controlPlane", app: "app", calls: "calls", li: "li" };
    return extra[role] ? ["nodes", extra[role] as GroupName] : ["nodes"];
}

export interface PublicPort {
    readonly group: GroupName;
    readonly protocol: Protocol;
    readonly fromPort: number;
    readonly toPort: number;
    readonly why: string;
}

/**
 * The only (group, protocol, ports) combinations the internet may reach.
 * Federation needs no port of its own: other servers reach this one on 443
 * through `.well-known/matrix/server` delegation, so 8448 stays closed.
 */
export function publicPorts(opts: Pick<AwsClusterOptions, "edgeHttp">): PublicPort[] {
    const ports: PublicPort[] = [
        { group: "edgeLb", protocol: "tcp", fromPort: 443, toPort: 443, why: "HTTPS edge (clients, .well-known, LiveKit signalling)" },
        { group: "calls", protocol: "udp", fromPort: CALL_PORTS.turn, toPort: CALL_PORTS.turn, why: "TURN over UDP" },
        { group: "calls", protocol: "tcp", fromPort: CALL_PORTS.turn, toPort: CALL_PORTS.turn, why: "TURN over TCP" },
        { group: "calls", protocol: "tcp", fromPort: CALL_PORTS.turnTls, toPort: CALL_PORTS.turnTls, why: "TURN over TLS" },
        { group: "calls", protocol: "udp", fromPort: CALL_PORTS.turnRelay.from, toPort: CALL_PORTS.turnRelay.to, why: "TURN relay ports" },
        { group: "calls", protocol: "tcp", fromPort: CALL_PORTS.livekitTcp, toPort: CALL_PORTS.livekitTcp, why: "LiveKit ICE over TCP" },
        { group: "calls", protocol: "udp", fromPort: CALL_PORTS.livekitUdp.from, toPort: CALL_PORTS.livekitUdp.to, why: "LiveKit RTC media" },
    ];
    if (opts.edgeHttp) ports.push({ group: "edgeLb", protocol: "tcp", fromPort: 80, toPort: 80, why: "HTTP (ACME HTTP-01 and redirect to HTTPS)" });
    return ports;
}

function tcp(group: GroupName, port: number | [number, number], source: Source, description: string): IngressRule {
    const [fromPort, toPort] = typeof port === "number" ? [port, port] : port;
    return { group, protocol: "tcp", fromPort, toPort, source, description };
}

/**
 * Every ingress rule of the cluster. Egress is open (nodes pull packages and
 * images and call AWS APIs); ingress is least privilege per role:
 * - API server: from the nodes through the internal NLB; from the admin
 *   CIDRs only, through the internet-facing admin NLB (apiAccess public) or
 *   the internal one over a VPN/peering (apiAccess private);
 * - etcd: only between control-plane servers;
 * - kubelet and the CNI overlay: only between nodes;
 * - SSH: only from sshCidrs (none by default);
 * - internet: only `publicPorts`.
 */
export function ingressRules(opts: Pick<AwsClusterOptions, "adminCidrs" | "liAdminCidrs" | "edgeHttp" | "apiAccess" | "sshCidrs">): IngressRule[] {
    const nodes = { group: "nodes" } as const;
    const adminLb: GroupName = opts.apiAccess === "public" ? "adminApiLb" : "apiLb";
    const rules: IngressRule[] = [
        tcp("apiLb", 6443, nodes, "Kubernetes API from the nodes"),
        ...opts.adminCidrs.map((cidr) => tcp(adminLb, 6443, { cidr }, `Kubernetes API from admin network ${cidr}`)),
        tcp("controlPlane", 6443, { group: "apiLb" }, "Kubernetes API from its load balancer (and its health checks)"),
        ...(opts.apiAccess === "public" ? [tcp("controlPlane", 6443, { group: "adminApiLb" }, "Kubernetes API from the admin load balancer (and its health checks)")] : []),
        tcp("controlPlane", 6443, nodes, "Kubernetes API directly from the nodes (kubeadm join, in-cluster clients)"),
        tcp("controlPlane", [2379, 2380], { group: "controlPlane" }, "etcd client and peer traffic between control-plane servers"),
        tcp("nodes", 10250, nodes, "kubelet API inside the cluster (API server exec/logs, metrics-server)"),
        { group: "nodes", protocol: "udp", fromPort: 8472, toPort: 8472, source: nodes, description: "Cilium VXLAN overlay between nodes" },
        tcp("nodes", 4240, nodes, "Cilium health checks between nodes"),
        { group: "nodes", protocol: "icmp", fromPort: 8, toPort: 0, source: nodes, description: "Cilium health ICMP echo between nodes" },
        tcp("app", EDGE_NODE_PORTS.https, { group: "edgeLb" }, "HTTPS edge NodePort from the public load balancer"),
    ];
    if (opts.edgeHttp) rules.push(tcp("app", EDGE_NODE_PORTS.http, { group: "edgeLb" }, "HTTP NodePort from the public load balancer"));
    for (const p of publicPorts(opts)) {
        for (const cidr of [INTERNET_V4, INTERNET_V6]) {
            rules.push({ group: p.group, protocol: p.protocol, fromPort: p.fromPort, toPort: p.toPort, source: { cidr }, description: `${p.why} from the internet` });
        }
    }
    for (const cidr of opts.liAdminCidrs) rules.push(tcp("li", LI_ADMIN_HOST_PORT, { cidr }, `LI admin HTTPS from ${cidr}`));
    for (const cidr of opts.sshCidrs) rules.push(tcp("nodes", 22, { cidr }, `SSH from ${cidr}`));
    return rules;
}

/** Rules open to the whole internet that are not enumerated public ports; empty when the model is sound. */
export function unexpectedInternetRules(rules: readonly IngressRule[], allowed: readonly PublicPort[]): IngressRule[] {
    return rules.filter(
        (r) =>
            "cidr" in r.source &&
            (r.source.cidr === INTERNET_V4 || r.source.cidr === INTERNET_V6) &&
            !allowed.some((p) => p.group === r.group && p.protocol === r.protocol && p.fromPort === r.fromPort && p.toPort === r.toPort),
    );
}
