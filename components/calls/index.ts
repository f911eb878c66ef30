// Voice and video on the call servers: one LiveKit and/or one coturn per call
// server as the plan places them (host network, pinned to the server whose
// public address they advertise), lk-jwt-service behind the edge, their
// secrets and certificates. Every decision lives in the pure modules next to
// this file; this only turns them into resources.
import { createHash } from "node:crypto";
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import * as random from "@pulumi/random";
import type { Plan } from "../../sizing/types";
import { CALL_HOST_PORTS, NAMESPACES } from "../contracts";
import { EDGE_PROXY_NAMESPACE } from "../edge/objects";
import { clusterCoturnSettings, coturnStartScript, turnserverConf } from "./coturn";
import { LK_JWT_PORT, lkJwtEnv } from "./jwt";
import { clusterLivekitSettings, livekitKeyFile, livekitStartScript, livekitYaml } from "./livekit";
import type { CallEndpoints } from "./matrix";
import { callPlacement, type CallServer } from "./placement";
import { CALL_PATHS, coturnPod, LK_JWT_LABELS, lkJwtPod, livekitLabels, livekitPod, NAMES } from "./workloads";

export { callPlacement } from "./placement";

export type TurnTls = { readonly mode: "internalCa" } | { readonly mode: "clusterIssuer"; readonly name: string } | { readonly mode: "supplied"; readonly secretName: string };

export interface CallsArgs {
    readonly plan: Plan;
    /** Matrix server name: the only homeserver whose users may create LiveKit rooms, and coturn's realm. */
    readonly serverName: string;
    /** Signalling and lk-jwt-service host (through the edge). */
    readonly host: string;
    readonly turnHost: string;
    readonly images: { readonly livekit: string; readonly lkJwtService: string; readonly coturn: string };
    readonly lkJwtServiceReplicas: number;
    readonly turnUserLifetime: string;
    readonly turnTls: TurnTls;
    /** Public address per call server name; absent: LiveKit discovers it, coturn relays on the node address. */
    readonly addresses?: Readonly<Record<string, pulumi.Input<string>>>;
    /** Networks of the call servers' host addresses (for LiveKit's Redis NetworkPolicy). */
    readonly nodeCidrs: pulumi.Input<string[]>;
    /** Pod, service and other internal networks a TURN relay must never reach. */
    readonly internalCidrs: readonly string[];
    readonly livekitRedis: {
        readonly sentinel: string;
        readonly port: number;
        readonly masterName: string;
        readonly password: { readonly name: string; readonly key: string };
        readonly podLabels: Readonly<Record<string, string>>;
        readonly podPorts: readonly number[];
    };
}

const checksum = (files: Record<string, string>) => {
    const h = createHash("sha256");
    for (const k of Object.keys(files).sort()) h.update(k).update("\0").update(files[k]).update("\0");
    return h.digest("hex");
};

export class Calls extends pulumi.ComponentResource {
    /** The TURN shared secret, for Synapse's turn_shared_secret_path (one value, two consumers). */
    public readonly turnSecret: pulumi.Output<string>;
    public readonly endpoints: CallEndpoints;
    public readonly placement: readonly CallServer[];
    /** Services the edge routes the signalling host to. */
    public readonly livekitService = { name: NAMES.livekitService, namespace: NAMESPACES.calls, port: CALL_HOST_PORTS.livekitSignal };
    public readonly jwtService = { name: NAMES.lkJwt, namespace: NAMESPACES.calls, port: LK_JWT_PORT };

    constructor(name: string, args: CallsArgs, opts?: pulumi.ComponentResourceOptions) {
        super("matrix:calls:Calls", name, {}, opts);
        const ns = NAMESPACES.calls;
        const child = { parent: this };
        const plan = args.plan;
        this.placement = callPlacement(plan);
        this.endpoints = { turnHost: args.turnHost, livekitServiceUrl: `https://${args.host}`, turnUserLifetime: args.turnUserLifetime };

        // Secrets: generated once, kept in state as secrets, mounted as files.
        const apiKey = new random.RandomString("livekit-api-key", { length: 20, special: false }, child);
        const apiSecret = new random.RandomPassword("livekit-api-secret", { length: 48, special: false }, child);
        const turnSecret = new random.RandomPassword("turn-shared-secret", { length: 64, special: false }, child);
        this.turnSecret = pulumi.secret(turnSecret.result);
        new k8s.core.v1.Secret(
            NAMES.livekitKeys,
            {
                metadata: { name: NAMES.livekitKeys, namespace: ns },
                type: "Opaque",
                stringData: {
                    "keys.yaml": pulumi.secret(pulumi.all([apiKey.result, apiSecret.result]).apply(([k, s]) => livekitKeyFile(`API${k}`, s))),
                    "api-key": apiKey.result.apply((k) => `API${k}`),
                    "api-secret": apiSecret.result,
                },
            },
            child,
        );
        new k8s.core.v1.Secret(NAMES.turnSecret, { metadata: { name: NAMES.turnSecret, namespace: ns }, type: "Opaque", stringData: { secret: turnSecret.result } }, child);

        // LiveKit: one config for every instance; the address comes from NODE_IP per pod.
        const lkFiles = {
            "livekit.yaml": livekitYaml(
                clusterLivekitSettings({
                    address: args.addresses ? "fromEnvironment" : "discover",
                    keyFile: CALL_PATHS.livekitKeyFile,
                    redis: { masterName: args.livekitRedis.masterName, sentinels: [`${args.livekitRedis.sentinel}:${args.livekitRedis.port}`] },
                }),
            ),
            "start.sh": livekitStartScript({
                template: CALL_PATHS.livekitTemplate,
                redisPassword: CALL_PATHS.livekitRedisPassword,
                rendered: CALL_PATHS.livekitRendered,
                binary: CALL_PATHS.livekitBinary,
            }),
        };
        new k8s.core.v1.ConfigMap(NAMES.livekitConfig, { metadata: { name: NAMES.livekitConfig, namespace: ns }, data: lkFiles }, child);

        const tlsSecret = this.turnCertificate(args, ns);
        const turnFiles = {
            "turnserver.conf": turnserverConf(
                clusterCoturnSettings({
                    realm: args.serverName,
                    tls: { certFile: CALL_PATHS.coturnCert, keyFile: CALL_PATHS.coturnKey },
                    userQuota: plan.coturn.userQuota,
                    totalQuota: plan.coturn.allocationsPerInstance,
                    clusterCidrs: args.internalCidrs,
                }),
            ),
            "start.sh": coturnStartScript({ template: CALL_PATHS.coturnTemplate, secret: CALL_PATHS.coturnSecret, rendered: CALL_PATHS.coturnRendered, binary: CALL_PATHS.coturnBinary }),
        };
        new k8s.core.v1.ConfigMap(NAMES.coturnConfig, { metadata: { name: NAMES.coturnConfig, namespace: ns }, data: turnFiles }, child);

        const lkSum = checksum(lkFiles);
        const turnSum = checksum(turnFiles);
        for (const s of this.placement) {
            const address = args.addresses?.[s.server];
            // One pod per server on its host ports: Recreate, never two at once.
            if (s.livekit) {
                const labels = livekitLabels(s.livekit);
                new k8s.apps.v1.Deployment(
                    s.livekit,
                    {
                        metadata: { name: s.livekit, namespace: ns, labels },
                        spec: {
                            replicas: 1,
                            strategy: { type: "Recreate" },
                            selector: { matchLabels: labels },
                            template: livekitPod(plan, { image: args.images.livekit, server: s.server, instance: s.livekit, address, redisPassword: args.livekitRedis.password, checksum: lkSum }),
                        },
                    },
                    child,
                );
            }
            if (s.coturn) {
                const pod = coturnPod(plan, { image: args.images.coturn, server: s.server, instance: s.coturn, address, tlsSecret, checksum: turnSum });
                new k8s.apps.v1.Deployment(
                    s.coturn,
                    {
                        metadata: { name: s.coturn, namespace: ns, labels: pod.metadata.labels },
                        spec: { replicas: 1, strategy: { type: "Recreate" }, selector: { matchLabels: pod.metadata.labels as Record<string, string> }, template: pod },
                    },
                    child,
                );
            }
        }
        new k8s.core.v1.Service(
            NAMES.livekitService,
            {
                metadata: { name: NAMES.livekitService, namespace: ns },
                spec: { selector: { "app.kubernetes.io/name": "livekit" }, ports: [{ name: "signal", port: CALL_HOST_PORTS.livekitSignal, targetPort: CALL_HOST_PORTS.livekitSignal }] },
            },
            child,
        );

        // lk-jwt-service: two replicas on the app servers, reached only through the edge.
        const env = lkJwtEnv({
            livekitUrl: `wss://${args.host}`,
            keyFile: CALL_PATHS.jwtKey,
            secretFile: CALL_PATHS.jwtSecret,
            fullAccessHomeservers: [args.serverName],
            bind: `:${LK_JWT_PORT}`,
        });
        new k8s.apps.v1.Deployment(
            NAMES.lkJwt,
            {
                metadata: { name: NAMES.lkJwt, namespace: ns, labels: LK_JWT_LABELS },
                spec: {
                    replicas: args.lkJwtServiceReplicas,
                    selector: { matchLabels: LK_JWT_LABELS },
                    strategy: { type: "RollingUpdate", rollingUpdate: { maxUnavailable: 0, maxSurge: 1 } },
                    template: lkJwtPod(args.images.lkJwtService, env),
                },
            },
            child,
        );
        new k8s.core.v1.Service(
            NAMES.lkJwt,
            { metadata: { name: NAMES.lkJwt, namespace: ns }, spec: { selector: LK_JWT_LABELS, ports: [{ name: "http", port: LK_JWT_PORT, targetPort: "http" }] } },
            child,
        );
        new k8s.policy.v1.PodDisruptionBudget(NAMES.lkJwt, { metadata: { name: NAMES.lkJwt, namespace: ns }, spec: { maxUnavailable: 1, selector: { matchLabels: LK_JWT_LABELS } } }, child);
        new k8s.networking.v1.NetworkPolicy(
            NAMES.lkJwt,
            {
                metadata: { name: NAMES.lkJwt, namespace: ns },
                spec: {
                    podSelector: { matchLabels: LK_JWT_LABELS },
                    policyTypes: ["Ingress"],
                    ingress: [{ from: [{ namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": EDGE_PROXY_NAMESPACE } } }], ports: [{ protocol: "TCP", port: LK_JWT_PORT }] }],
                },
            },
            child,
        );
        // Host-network pods have no pod identity: a namespace or pod selector never matches LiveKit, its servers' addresses do.
        new k8s.networking.v1.NetworkPolicy(
            "redis-livekit-from-call-servers",
            {
                metadata: { name: "redis-livekit-from-call-servers", namespace: ns },
                spec: {
                    podSelector: { matchLabels: { ...args.livekitRedis.podLabels } },
                    policyTypes: ["Ingress"],
                    ingress: [
                        {
                            from: pulumi.output(args.nodeCidrs).apply((cidrs) => cidrs.map((c) => ({ ipBlock: { cidr: c } }))),
                            ports: args.livekitRedis.podPorts.map((port) => ({ protocol: "TCP", port })),
                        },
                    ],
                },
            },
            child,
        );
        this.registerOutputs({ turnSecret: this.turnSecret, placement: this.placement });
    }

    /** The TURN certificate's Secret name: from cert-manager (internal CA or a ClusterIssuer) or supplied. */
    private turnCertificate(args: CallsArgs, ns: string): string {
        const t = args.turnTls;
        if (t.mode === "supplied") return t.secretName;
        const cr = (name: string, kind: string, spec: Record<string, unknown>) =>
            new k8s.apiextensions.CustomResource(`calls-${kind.toLowerCase()}-${name}`, { apiVersion: "cert-manager.io/v1", kind, metadata: { name, namespace: ns }, spec }, { parent: this });
        let issuerRef: Record<string, string>;
        if (t.mode === "internalCa") {
            cr("calls-selfsigned", "Issuer", { selfSigned: {} });
            cr("calls-ca", "Certificate", {
                isCA: true,
                commonName: `${args.serverName} calls internal CA`,
                secretName: "calls-ca",
                duration: "87600h",
                privateKey: { algorithm: "ECDSA", size: 256 },
                issuerRef: { name: "calls-selfsigned", kind: "Issuer", group: "cert-manager.io" },
            });
            cr("calls-ca", "Issuer", { ca: { secretName: "calls-ca" } });
            issuerRef = { name: "calls-ca", kind: "Issuer", group: "cert-manager.io" };
        } else {
            issuerRef = { name: t.name, kind: "ClusterIssuer", group: "cert-manager.io" };
        }
        cr(NAMES.turnTls, "Certificate", { secretName: NAMES.turnTls, dnsNames: [args.turnHost], privateKey: { algorithm: "ECDSA", size: 256, rotationPolicy: "Always" }, issuerRef });
        return NAMES.turnTls;
    }
}
