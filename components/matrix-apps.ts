// Synapse, its router, Element Web and the HTTPS edge, built from the stack
// config, the plan and the data layer's endpoints. index.ts calls this once.
import type * as k8s from "@pulumi/kubernetes";
import type * as pulumi from "@pulumi/pulumi";
import type { StackConfig } from "../config";
import { OFFICIAL_SYNAPSE_REPOSITORIES, PROJECT_SYNAPSE_IMAGE } from "../config/sections/synapse";
import type { Plan } from "../sizing/types";
import type { Calls } from "./calls";
import { LK_JWT_PUBLIC_PATHS } from "./calls/jwt";
import { NAMESPACES, type DataEndpoints } from "./contracts";
import { Edge } from "./edge";
import { ElementWeb } from "./element";
import { Router, ROUTER_POD_LABELS } from "./router";
import { Synapse } from "./synapse";

export interface MatrixApps {
    readonly synapse: Synapse;
    readonly router: Router;
    readonly element: ElementWeb;
    readonly edge: Edge;
}

/**
 * Problems across sections, found before any resource exists: Let's Encrypt's
 * HTTP-01 challenge arrives on port 80, which an AWS cluster opens only with
 * matrix:cluster.edgeHttp.
 */
export function edgeProblems(cfg: StackConfig): string[] {
    if (cfg.edge.tls.mode === "letsencrypt" && cfg.cluster.provider === "aws" && !cfg.cluster.edgeHttp) {
        return [
            `matrix:edge.tls.mode: "letsencrypt" needs port 80 open for the HTTP-01 challenge, but matrix:cluster.edgeHttp is false; allowed: set matrix:cluster.edgeHttp to true, or use mode "internalCa" or "supplied"`,
        ];
    }
    return [];
}

/**
 * The official Synapse images lack the S3 storage provider (a media worker
 * crash-loops without it) and the ClamAV scanner module; media always goes to
 * the object store, so they are refused before anything is built.
 */
export function synapseImageProblems(cfg: StackConfig): string[] {
    const repository = cfg.synapse.image.replace(/(@sha256:[a-f0-9]{64}|:[A-Za-z0-9._-]+)$/, "");
    if (!(OFFICIAL_SYNAPSE_REPOSITORIES as readonly string[]).includes(repository)) return [];
    return [
        `matrix:synapse.image: an official Synapse image (got ${JSON.stringify(cfg.synapse.image)}), which has neither synapse-s3-storage-provider (media is always in the object store; media workers crash-loop without it) nor the ClamAV scanner module; allowed: the project's image built by images/synapse/build.sh (default ${PROJECT_SYNAPSE_IMAGE}) or another image that contains both`,
    ];
}

export interface ScannerEndpoint {
    readonly host: pulumi.Input<string>;
    readonly port: number;
    readonly timeoutSeconds: number;
    readonly onError: "reject" | "allow";
}

export function matrixApps(
    cfg: StackConfig,
    plan: Plan,
    data: DataEndpoints,
    opts: { provider: k8s.Provider; dependsOn?: pulumi.Input<pulumi.Resource>[] },
    calls?: Calls,
    antivirus?: ScannerEndpoint,
): MatrixApps {
    const matrixHost = cfg.synapse.host ?? cfg.domain;
    const elementHost = cfg.element.host ?? `element.${cfg.domain}`;
    const publicBaseUrl = `https://${matrixHost}/`;
    const ns = NAMESPACES.matrix;
    const synapse = new Synapse(
        "synapse",
        {
            plan,
            serverName: cfg.domain,
            publicBaseUrl,
            data,
            image: cfg.synapse.image,
            routerPodLabels: ROUTER_POD_LABELS,
            namespace: ns,
            ...(calls ? { calls: { endpoints: calls.endpoints, turnSecret: calls.turnSecret } } : {}),
            ...(antivirus ? { antivirus } : {}),
        },
        opts,
    );
    const router = new Router(
        "router",
        {
            topology: synapse.topology,
            settings: { maxBodyBytes: plan.synapse.maxUploadBytes, trustedProxies: cfg.router.trustedProxies, adminNetworks: cfg.edge.adminNetworks },
            image: cfg.router.image,
            replicas: cfg.router.replicas,
        },
        opts,
    );
    const element = new ElementWeb(
        "element",
        {
            settings: { serverName: cfg.domain, homeserverUrl: publicBaseUrl, elementUrl: `https://${elementHost}/`, federation: plan.federation, calls: calls !== undefined },
            image: cfg.element.image,
            replicas: cfg.element.replicas,
            namespace: ns,
        },
        opts,
    );
    const edge = new Edge(
        "edge",
        {
            settings: {
                namespace: ns,
                serverName: cfg.domain,
                matrixHost,
                elementHost,
                adminNetworks: cfg.edge.adminNetworks,
                tls: cfg.edge.tls,
                gatewayClassName: cfg.edge.gatewayClassName,
                router: { service: router.serviceName, port: router.port },
                element: { service: element.serviceName, port: element.port },
                ...(calls
                    ? {
                          calls: {
                              host: new URL(calls.endpoints.livekitServiceUrl).hostname,
                              livekit: calls.livekitService,
                              jwt: { ...calls.jwtService, paths: [...LK_JWT_PUBLIC_PATHS] },
                          },
                      }
                    : {}),
            },
        },
        opts,
    );
    return { synapse, router, element, edge };
}
