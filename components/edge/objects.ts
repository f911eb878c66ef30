// The HTTPS edge as plain Kubernetes objects (Gateway API + Envoy Gateway +
// cert-manager), built from settings: pure, so the routing rules and TLS modes
// can be checked without a cluster.
//
// Only three path families reach the router (/_matrix, /_synapse/client,
// /.well-known/matrix); /_synapse/admin only from the admin networks;
// /_synapse/metrics is refused at the edge (and again by the router).

import { EDGE_NODE_PORTS, HTTP_REQUEST_TIMEOUT_SECONDS } from "../contracts";

/**
 * Envoy Gateway's proxy image repository, named so matrix:images.registry can
 * move it (components/images); the tag stays the one the pinned Envoy Gateway
 * release defaults to, so the proxies run the Envoy it was tested with.
 */
export const ENVOY_PROXY_REPOSITORY = "docker.io/envoyproxy/envoy";

export type TlsMode =
    | { readonly mode: "letsencrypt"; readonly email: string; readonly staging: boolean }
    | { readonly mode: "internalCa" }
    | { readonly mode: "supplied"; readonly secretName: string };

export interface EdgeSettings {
    readonly namespace: string;
    /** server_name: serves /.well-known/matrix/* when it differs from the Synapse host. */
    readonly serverName: string;
    readonly matrixHost: string;
    readonly elementHost: string;
    readonly adminNetworks: readonly string[];
    readonly tls: TlsMode;
    readonly gatewayClassName: string;
    readonly router: { readonly service: string; readonly port: number };
    readonly element: { readonly service: string; readonly port: number };
    /**
     * LiveKit signalling and lk-jwt-service on their own host (components/calls),
     * in the calls namespace: a ReferenceGrant there lets this namespace's route use them.
     */
    readonly calls?: {
        readonly host: string;
        readonly livekit: CallsBackend;
        readonly jwt: CallsBackend & { readonly paths: readonly string[] };
    };
}

export interface CallsBackend {
    readonly name: string;
    readonly namespace: string;
    readonly port: number;
}

export interface K8sObject {
    readonly apiVersion: string;
    readonly kind: string;
    readonly metadata: { readonly name: string; readonly namespace?: string; readonly [k: string]: unknown };
    readonly spec: Record<string, unknown>;
}

export const GATEWAY = "matrix";
export const TLS_SECRET = "matrix-tls";
export const PROXY_CONFIG = "matrix-edge";
/** Where Envoy Gateway runs its proxies (its controller's namespace, as installed by the controllers layer). */
export { EDGE_PROXY_NAMESPACE } from "../controllers/catalogue";
const GW_API = "gateway.networking.k8s.io/v1";
const CM_API = "cert-manager.io/v1";
const EG_API = "gateway.envoyproxy.io/v1alpha1";

/** Gateway listener ports (= Envoy Service ports) and the NodePort each is exposed on. */
export const EDGE_LISTENER_PORTS = { https: 443, http: 80 } as const;
export const EDGE_LISTENERS = (["https", "http"] as const).map((name) => ({ name, port: EDGE_LISTENER_PORTS[name], nodePort: EDGE_NODE_PORTS[name] }));

const hosts = (s: EdgeSettings) => [...new Set([s.matrixHost, s.elementHost, s.serverName, ...(s.calls ? [s.calls.host] : [])])];

function issuerName(s: EdgeSettings): string | undefined {
    if (s.tls.mode === "letsencrypt") return "matrix-letsencrypt";
    if (s.tls.mode === "internalCa") return "matrix-internal-ca";
    return undefined;
}

export function tlsSecretName(s: EdgeSettings): string {
    return s.tls.mode === "supplied" ? s.tls.secretName : TLS_SECRET;
}

export function edgeObjects(s: EdgeSettings): K8sObject[] {
    const ns = s.namespace;
    const out: K8sObject[] = [];
    const secret = tlsSecretName(s);
    const httpsListeners = hosts(s).map((h, i) => ({
        name: `https-${i}`,
        protocol: "HTTPS",
        port: EDGE_LISTENER_PORTS.https,
        hostname: h,
        tls: { mode: "Terminate", certificateRefs: [{ kind: "Secret", name: secret }] },
        allowedRoutes: { namespaces: { from: "Same" } },
    }));
    // Two Envoy proxies with a disruption budget. Their Service is a NodePort Service on exactly the
    // ports the public load balancer forwards to (contracts.ts); no cloud load balancer controller runs.
    // externalTrafficPolicy Local: the proxies see the real client address the admin rule and the router
    // rely on, and the load balancer's health check marks nodes without a proxy unhealthy.
    out.push({
        apiVersion: EG_API,
        kind: "EnvoyProxy",
        metadata: { name: PROXY_CONFIG, namespace: ns },
        spec: {
            provider: {
                type: "Kubernetes",
                kubernetes: {
                    envoyDeployment: { replicas: 2, container: { imageRepository: ENVOY_PROXY_REPOSITORY } },
                    envoyPDB: { minAvailable: 1 },
                    envoyService: {
                        type: "NodePort",
                        externalTrafficPolicy: "Local",
                        // Envoy Gateway names the Service ports after the Gateway listeners' ports; a strategic
                        // merge (keyed by port) pins each one's nodePort instead of a random one.
                        patch: { type: "StrategicMerge", value: { spec: { ports: EDGE_LISTENERS.map((l) => ({ port: l.port, nodePort: l.nodePort })) } } },
                    },
                },
            },
        },
    });
    out.push({
        apiVersion: GW_API,
        kind: "Gateway",
        metadata: { name: GATEWAY, namespace: ns },
        spec: {
            gatewayClassName: s.gatewayClassName,
            infrastructure: { parametersRef: { group: "gateway.envoyproxy.io", kind: "EnvoyProxy", name: PROXY_CONFIG } },
            listeners: [{ name: "http", protocol: "HTTP", port: EDGE_LISTENER_PORTS.http, allowedRoutes: { namespaces: { from: "Same" } } }, ...httpsListeners],
        },
    });
    // Envoy cuts a route at 15 s by default: /sync long-polls 30 s and large uploads take minutes.
    const timeouts = { request: `${HTTP_REQUEST_TIMEOUT_SECONDS}s`, backendRequest: `${HTTP_REQUEST_TIMEOUT_SECONDS}s` };
    const https = (hostname: string) => ({ name: GATEWAY, sectionName: httpsListeners.find((l) => l.hostname === hostname)!.name });
    const routerRef = [{ name: s.router.service, port: s.router.port }];
    const prefix = (value: string) => ({ path: { type: "PathPrefix", value } });

    // Plain HTTP only redirects (cert-manager's HTTP-01 solver adds its own exact-path route, which wins).
    out.push({
        apiVersion: GW_API,
        kind: "HTTPRoute",
        metadata: { name: "http-redirect", namespace: ns },
        spec: {
            parentRefs: [{ name: GATEWAY, sectionName: "http" }],
            rules: [{ filters: [{ type: "RequestRedirect", requestRedirect: { scheme: "https", statusCode: 301 } }] }],
        },
    });
    out.push({
        apiVersion: GW_API,
        kind: "HTTPRoute",
        metadata: { name: "matrix", namespace: ns },
        spec: {
            parentRefs: [https(s.matrixHost)],
            hostnames: [s.matrixHost],
            rules: [{ matches: [prefix("/_matrix"), prefix("/_synapse/client"), prefix("/.well-known/matrix")], backendRefs: routerRef, timeouts }],
        },
    });
    if (s.serverName !== s.matrixHost) {
        out.push({
            apiVersion: GW_API,
            kind: "HTTPRoute",
            metadata: { name: "matrix-well-known", namespace: ns },
            spec: { parentRefs: [https(s.serverName)], hostnames: [s.serverName], rules: [{ matches: [prefix("/.well-known/matrix")], backendRefs: routerRef, timeouts }] },
        });
    }
    out.push({
        apiVersion: GW_API,
        kind: "HTTPRoute",
        metadata: { name: "matrix-admin", namespace: ns },
        spec: { parentRefs: [https(s.matrixHost)], hostnames: [s.matrixHost], rules: [{ matches: [prefix("/_synapse/admin")], backendRefs: routerRef, timeouts }] },
    });
    out.push({
        apiVersion: GW_API,
        kind: "HTTPRoute",
        metadata: { name: "matrix-metrics-refused", namespace: ns },
        spec: { parentRefs: [https(s.matrixHost)], hostnames: [s.matrixHost], rules: [{ matches: [prefix("/_synapse/metrics")], backendRefs: routerRef, timeouts }] },
    });
    out.push({
        apiVersion: GW_API,
        kind: "HTTPRoute",
        metadata: { name: "element", namespace: ns },
        spec: { parentRefs: [https(s.elementHost)], hostnames: [s.elementHost], rules: [{ matches: [prefix("/")], backendRefs: [{ name: s.element.service, port: s.element.port }], timeouts }] },
    });
    // The whole request body must arrive within the same limit (a slow upload is legitimate, a stalled one is not).
    out.push({
        apiVersion: EG_API,
        kind: "ClientTrafficPolicy",
        metadata: { name: GATEWAY, namespace: ns },
        spec: {
            targetRefs: [{ group: "gateway.networking.k8s.io", kind: "Gateway", name: GATEWAY }],
            timeout: { http: { requestReceivedTimeout: `${HTTP_REQUEST_TIMEOUT_SECONDS}s` } },
        },
    });
    if (s.calls) out.push(...callRoutes(s, s.calls, https(s.calls.host)));
    const targetRoute = (name: string) => [{ group: "gateway.networking.k8s.io", kind: "HTTPRoute", name }];
    out.push({
        apiVersion: EG_API,
        kind: "SecurityPolicy",
        metadata: { name: "matrix-admin-networks", namespace: ns },
        spec: {
            targetRefs: targetRoute("matrix-admin"),
            authorization: {
                defaultAction: "Deny",
                rules: s.adminNetworks.length > 0 ? [{ name: "admin-networks", action: "Allow", principal: { clientCIDRs: [...s.adminNetworks] } }] : [],
            },
        },
    });
    out.push({
        apiVersion: EG_API,
        kind: "SecurityPolicy",
        metadata: { name: "matrix-metrics-refused", namespace: ns },
        spec: { targetRefs: targetRoute("matrix-metrics-refused"), authorization: { defaultAction: "Deny", rules: [] } },
    });

    const issuer = issuerName(s);
    if (s.tls.mode === "letsencrypt") {
        out.push({
            apiVersion: CM_API,
            kind: "Issuer",
            metadata: { name: issuer!, namespace: ns },
            spec: {
                acme: {
                    server: s.tls.staging ? "https://acme-staging-v02.api.letsencrypt.org/directory" : "https://acme-v02.api.letsencrypt.org/directory",
                    email: s.tls.email,
                    privateKeySecretRef: { name: "matrix-letsencrypt-account" },
                    solvers: [{ http01: { gatewayHTTPRoute: { parentRefs: [{ name: GATEWAY, namespace: ns, kind: "Gateway", sectionName: "http" }] } } }],
                },
            },
        });
    } else if (s.tls.mode === "internalCa") {
        out.push({ apiVersion: CM_API, kind: "Issuer", metadata: { name: "matrix-selfsigned", namespace: ns }, spec: { selfSigned: {} } });
        out.push({
            apiVersion: CM_API,
            kind: "Certificate",
            metadata: { name: "matrix-ca", namespace: ns },
            spec: {
                isCA: true,
                commonName: `${s.serverName} internal CA`,
                secretName: "matrix-ca",
                duration: "87600h",
                privateKey: { algorithm: "ECDSA", size: 256 },
                issuerRef: { name: "matrix-selfsigned", kind: "Issuer", group: "cert-manager.io" },
            },
        });
        out.push({ apiVersion: CM_API, kind: "Issuer", metadata: { name: issuer!, namespace: ns }, spec: { ca: { secretName: "matrix-ca" } } });
    }
    if (issuer) {
        out.push({
            apiVersion: CM_API,
            kind: "Certificate",
            metadata: { name: TLS_SECRET, namespace: ns },
            spec: { secretName: TLS_SECRET, dnsNames: hosts(s), privateKey: { algorithm: "ECDSA", size: 256, rotationPolicy: "Always" }, issuerRef: { name: issuer, kind: "Issuer", group: "cert-manager.io" } },
        });
    }
    return out;
}

/**
 * The signalling host: lk-jwt-service's exact paths to it, everything else
 * (LiveKit's WebSocket signalling and its HTTP API) to LiveKit. Media never
 * passes the edge: it goes straight to the call servers.
 */
function callRoutes(s: EdgeSettings, c: NonNullable<EdgeSettings["calls"]>, parent: { name: string; sectionName: string }): K8sObject[] {
    const backend = (b: CallsBackend) => [{ name: b.name, namespace: b.namespace, port: b.port }];
    const namespaces = [...new Set([c.livekit.namespace, c.jwt.namespace])];
    return [
        {
            apiVersion: GW_API,
            kind: "HTTPRoute",
            metadata: { name: "calls", namespace: s.namespace },
            spec: {
                parentRefs: [parent],
                hostnames: [c.host],
                rules: [
                    { matches: c.jwt.paths.map((p) => ({ path: { type: "Exact", value: p } })), backendRefs: backend(c.jwt) },
                    { matches: [{ path: { type: "PathPrefix", value: "/" } }], backendRefs: backend(c.livekit) },
                ],
            },
        },
        ...namespaces.map((ns) => ({
            apiVersion: "gateway.networking.k8s.io/v1beta1",
            kind: "ReferenceGrant",
            metadata: { name: `routes-from-${s.namespace}`, namespace: ns },
            spec: { from: [{ group: "gateway.networking.k8s.io", kind: "HTTPRoute", namespace: s.namespace }], to: [{ group: "", kind: "Service" }] },
        })),
    ];
}

/** The Envoy Gateway GatewayClass (cluster-scoped). */
export const gatewayClass = (name: string): K8sObject => ({
    apiVersion: GW_API,
    kind: "GatewayClass",
    metadata: { name },
    spec: { controllerName: "gateway.envoyproxy.io/gatewayclass-controller" },
});

/** cert-manager's HTTP-01 solver pods (letsencrypt mode) run in the edge's namespace and listen here. */
export const ACME_SOLVER_PORT = 8089;

/** Ingress allows the edge needs in its namespace under the default deny: the proxies reach cert-manager's HTTP-01 solver. */
export function edgeNetworkPolicies(s: EdgeSettings, proxyNamespace: string) {
    if (s.tls.mode !== "letsencrypt") return [];
    return [
        {
            metadata: { name: "acme-http01-solver", namespace: s.namespace },
            spec: {
                podSelector: { matchLabels: { "acme.cert-manager.io/http01-solver": "true" } },
                policyTypes: ["Ingress"],
                ingress: [{ from: [{ namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": proxyNamespace } } }], ports: [{ protocol: "TCP", port: ACME_SOLVER_PORT }] }],
            },
        },
    ];
}
