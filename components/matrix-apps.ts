// Synapse, its router, Element Web and the HTTPS edge, built from the stack
// config, the plan and the data layer's endpoints. index.ts calls this once.
import type * as k8s from "@pulumi/kubernetes";
import type * as pulumi from "@pulumi/pulumi";
import type { StackConfig } from "../config";
import type { Plan } from "../sizing/types";
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

export function matrixApps(
    cfg: StackConfig,
    plan: Plan,
    data: DataEndpoints,
    opts: { provider: k8s.Provider; dependsOn?: pulumi.Input<pulumi.Resource>[] },
): MatrixApps {
    const matrixHost = cfg.synapse.host ?? cfg.domain;
    const elementHost = cfg.element.host ?? `element.${cfg.domain}`;
    const publicBaseUrl = `https://${matrixHost}/`;
    const ns = NAMESPACES.matrix;
    const synapse = new Synapse(
        "synapse",
        { plan, serverName: cfg.domain, publicBaseUrl, data, image: cfg.synapse.image, routerPodLabels: ROUTER_POD_LABELS, namespace: ns },
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
            settings: { serverName: cfg.domain, homeserverUrl: publicBaseUrl, elementUrl: `https://${elementHost}/`, federation: plan.federation },
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
            },
            installControllers: cfg.edge.installControllers,
            envoyGatewayVersion: cfg.edge.envoyGatewayVersion,
            certManagerVersion: cfg.edge.certManagerVersion,
        },
        opts,
    );
    return { synapse, router, element, edge };
}
