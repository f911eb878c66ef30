// Stack config for voice and video (`matrix:calls`): images, host names, the
// TURN certificate and, for an existing cluster, the call servers' public
// addresses and internal networks. Instance counts and sizes are the plan's;
// ports are the contract's (components/contracts.ts CALL_PORTS).
import VERSIONS from "./calls-versions.json";
import { cidr, dnsName, integer, list, object, optional, string, variants, type Infer } from "../schema";

const image = (what: string, dflt: string) =>
    string({
        description: `Container image for ${what}, pinned to a version.`,
        default: dflt,
        pattern: /^[a-z0-9][a-z0-9./_-]*(:[A-Za-z0-9._-]+|@sha256:[a-f0-9]{64})$/,
        patternText: "an image reference with a tag or digest, e.g. registry.example/livekit-server:v1.13.5",
    });

const ipv4 = string({
    description: "Public IPv4 address of one call server.",
    pattern: /^(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(\.(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)){3}$/,
    patternText: "a dotted IPv4 address such as 203.0.113.10",
});

export const CALLS_DEFAULTS = {
    livekitImage: `livekit/livekit-server:v${VERSIONS.livekit}`,
    lkJwtServiceImage: `ghcr.io/element-hq/lk-jwt-service:${VERSIONS.lkJwtService}`,
    // Debian 12's coturn, the version the generated turnserver.conf is proven with.
    coturnImage: "coturn/coturn:4.6.1",
    turnUserLifetime: "1h",
} as const;

export const calls = {
    calls: object(
        {
            host: optional(dnsName({ description: "Host name of LiveKit signalling and lk-jwt-service (the MatrixRTC focus), routed through the edge. Defaults to rtc.<matrix:domain>." })),
            turnHost: optional(dnsName({ description: "Host name in Synapse's turn_uris and coturn's certificate; its DNS must list every coturn server's public address. Defaults to turn.<matrix:domain>." })),
            livekitImage: image("LiveKit (the version the proofs build from source)", CALLS_DEFAULTS.livekitImage),
            lkJwtServiceImage: image("lk-jwt-service, Element Call's authorisation service", CALLS_DEFAULTS.lkJwtServiceImage),
            coturnImage: image("coturn (4.6, the version the generated turnserver.conf is proven with)", CALLS_DEFAULTS.coturnImage),
            lkJwtServiceReplicas: integer({ description: "lk-jwt-service replicas (HA needs at least two).", min: 2, max: 10, default: 2 }),
            turnUserLifetime: string({
                description: "How long the TURN credentials Synapse hands out stay valid (Synapse duration).",
                default: CALLS_DEFAULTS.turnUserLifetime,
                pattern: /^[1-9]\d*(m|h|d)$/,
                patternText: "a Synapse duration in minutes, hours or days such as 30m, 1h or 1d",
            }),
            turnTls: variants(
                "mode",
                {
                    internalCa: {},
                    clusterIssuer: {
                        name: string({ description: "cert-manager ClusterIssuer that can issue for turnHost (DNS-01: its DNS points at the call servers, not the edge).", pattern: /^[a-z0-9]([-a-z0-9.]{0,251}[a-z0-9])?$/, patternText: "a Kubernetes object name" }),
                    },
                    supplied: {
                        secretName: string({ description: "kubernetes.io/tls Secret in matrix-calls for turnHost.", pattern: /^[a-z0-9]([-a-z0-9.]{0,251}[a-z0-9])?$/, patternText: "a Kubernetes object name" }),
                    },
                },
                {
                    description: "Certificate of TURN over TLS (port 5349): an internal CA made by cert-manager (clients will not trust it), a ClusterIssuer you run, or a Secret you supply.",
                    default: "internalCa",
                },
            ),
            addresses: optional(
                list(ipv4, {
                    description:
                        "provider existing: public address of each call server, in server order (entry i is the node labelled matrix-scale.io/server=calls-<i>). Without it LiveKit discovers its address by STUN and coturn relays on the node's own address. Provider aws uses the servers' Elastic IPs.",
                    minItems: 1,
                }),
            ),
            nodeCidrs: list(cidr({ description: "A network of call servers." }), {
                description: "provider existing: networks the call servers' own (host) addresses are in, so host-network LiveKit may reach its Redis (default: the RFC 1918 ranges). Provider aws computes them.",
                default: [],
            }),
            internalCidrs: list(cidr({ description: "An internal network." }), {
                description: "provider existing: the cluster's pod and service networks (and any other internal ones) that TURN relays must never reach. Provider aws adds its own.",
                default: [],
            }),
        },
        { description: "Voice and video: LiveKit, lk-jwt-service and coturn on the call servers (counts and sizes come from the sizing plan)." },
    ),
} as const;

export interface CallsSectionConfig {
    readonly domain: string;
    readonly calls: Infer<typeof calls.calls>;
}
