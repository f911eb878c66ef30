// Stack config for Synapse and what sits in front of it: images, host names,
// router trust, the edge's TLS and admin networks. Counts and sizes are the
// plan's; nothing here sets a process count.
import SYNAPSE_VERSIONS from "./synapse-version.json";
import { boolean, cidr, dnsName, integer, list, object, optional, string, variants, type Infer } from "../schema";

const image = (what: string, dflt: string) =>
    string({
        description: `Container image for ${what}, pinned to a version.`,
        default: dflt,
        pattern: /^[a-z0-9][a-z0-9./_-]*(:[A-Za-z0-9._-]+|@sha256:[a-f0-9]{64})$/,
        patternText: "an image reference with a tag or digest, e.g. registry.example/synapse:v1.157.1",
    });

/** RFC 1918 ranges: the edge's pods live somewhere in the cluster's private pod network. */
/** The Synapse release the program deploys and the local boot installs from PyPI: one source of truth. */
export const SYNAPSE_VERSION: string = SYNAPSE_VERSIONS.synapse;

/**
 * The project's Synapse image (images/synapse: the official image plus the S3
 * storage provider and the ClamAV scanner module), as images/synapse/build.sh tags it.
 */
export const PROJECT_SYNAPSE_IMAGE = `${SYNAPSE_VERSIONS.image.repository}:v${SYNAPSE_VERSIONS.synapse}-mx${SYNAPSE_VERSIONS.image.revision}`;

/** Official images: neither has the S3 storage provider nor the scanner module. */
export const OFFICIAL_SYNAPSE_REPOSITORIES = ["ghcr.io/element-hq/synapse", "docker.io/matrixdotorg/synapse", "matrixdotorg/synapse"] as const;

export const DEFAULT_TRUSTED_PROXIES = ["10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16"];

export const synapse = {
    synapse: object(
        {
            image: image(
                "every Synapse process: the project's image (images/synapse/build.sh), with synapse-s3-storage-provider and the ClamAV scanner module; the official images lack both and are refused",
                PROJECT_SYNAPSE_IMAGE,
            ),
            host: optional(dnsName({ description: "Host name clients reach Synapse at (public_baseurl). Defaults to matrix:domain." })),
        },
        { description: "Synapse's main process and workers (counts and sizes come from the sizing plan)." },
    ),
    router: object(
        {
            image: image("the HAProxy router (2.6, the version the generated config is proven with)", "haproxy:2.6.22"),
            replicas: integer({ description: "Router replicas (HA needs at least two).", min: 2, max: 20, default: 2 }),
            trustedProxies: list(cidr({ description: "Network of the edge proxies." }), {
                description: "Peers whose last X-Forwarded-For entry is taken as the client address (the edge's pods). Others are taken at their own address.",
                default: DEFAULT_TRUSTED_PROXIES,
            }),
        },
        { description: "The HAProxy router in front of Synapse's processes." },
    ),
    element: object(
        {
            image: image("Element Web", "vectorim/element-web:v1.12.32"),
            replicas: integer({ description: "Element Web replicas (HA needs at least two).", min: 2, max: 20, default: 2 }),
            host: optional(dnsName({ description: "Host name of Element Web. Defaults to element.<matrix:domain>." })),
        },
        { description: "Element Web, the browser client." },
    ),
    edge: object(
        {
            tls: variants(
                "mode",
                {
                    letsencrypt: {
                        email: string({ description: "Contact address for the Let's Encrypt account.", pattern: /^[^@\s]+@[^@\s]+\.[^@\s]+$/, patternText: "an e-mail address" }),
                        staging: boolean({ description: "Use Let's Encrypt's staging CA (untrusted certificates, high rate limits).", default: false }),
                    },
                    internalCa: {},
                    supplied: {
                        secretName: string({
                            description: "kubernetes.io/tls Secret in the matrix namespace covering every edge host name.",
                            pattern: /^[a-z0-9]([-a-z0-9.]{0,251}[a-z0-9])?$/,
                            patternText: "a Kubernetes object name",
                        }),
                    },
                },
                { description: "Where the edge's certificate comes from: Let's Encrypt HTTP-01, an internal CA made by cert-manager, or a Secret you supply.", default: "internalCa" },
            ),
            adminNetworks: list(cidr({ description: "Network allowed on /_synapse/admin." }), {
                description: "Client networks allowed to reach /_synapse/admin (at the edge and again at the router). Empty: nobody.",
                default: [],
            }),
            gatewayClassName: string({ description: "GatewayClass the edge Gateway uses.", default: "envoy-gateway", pattern: /^[a-z0-9]([-a-z0-9.]{0,251}[a-z0-9])?$/, patternText: "a Kubernetes object name" }),
        },
        { description: "The HTTPS edge: Gateway API (Envoy Gateway) and cert-manager (both installed by matrix:controllers)." },
    ),
} as const;

export interface SynapseSectionConfig {
    readonly domain: string;
    readonly synapse: Infer<typeof synapse.synapse>;
    readonly router: Infer<typeof synapse.router>;
    readonly element: Infer<typeof synapse.element>;
    readonly edge: Infer<typeof synapse.edge>;
}
