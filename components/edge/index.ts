// The HTTPS edge: Envoy Gateway (a maintained Gateway API implementation) and
// cert-manager, optionally installed here, then the objects of objects.ts.
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { EDGE_PROXY_NAMESPACE, edgeObjects, gatewayClass, type EdgeSettings } from "./objects";

export interface EdgeArgs {
    readonly settings: EdgeSettings;
    /** Install the controllers (skip when the cluster already runs them). */
    readonly installControllers: boolean;
    readonly envoyGatewayVersion: string;
    readonly certManagerVersion: string;
}

export class Edge extends pulumi.ComponentResource {
    constructor(name: string, args: EdgeArgs, opts?: pulumi.ComponentResourceOptions) {
        super("matrix:edge:Edge", name, {}, opts);
        const child = { parent: this };
        const deps: pulumi.Resource[] = [];
        if (args.installControllers) {
            deps.push(
                new k8s.helm.v3.Release(
                    "envoy-gateway",
                    {
                        name: "envoy-gateway",
                        chart: "oci://docker.io/envoyproxy/gateway-helm",
                        version: args.envoyGatewayVersion,
                        namespace: EDGE_PROXY_NAMESPACE,
                        createNamespace: true,
                    },
                    child,
                ),
                new k8s.helm.v3.Release(
                    "cert-manager",
                    {
                        name: "cert-manager",
                        chart: "cert-manager",
                        repositoryOpts: { repo: "https://charts.jetstack.io" },
                        version: args.certManagerVersion,
                        namespace: "cert-manager",
                        createNamespace: true,
                        values: {
                            crds: { enabled: true },
                            config: { apiVersion: "controller.config.cert-manager.io/v1alpha1", kind: "ControllerConfiguration", enableGatewayAPI: true },
                        },
                    },
                    child,
                ),
            );
        }
        const after = { parent: this, dependsOn: deps };
        const cls = gatewayClass(args.settings.gatewayClassName);
        new k8s.apiextensions.CustomResource(`gatewayclass-${cls.metadata.name}`, { apiVersion: cls.apiVersion, kind: cls.kind, metadata: cls.metadata, spec: cls.spec }, after);
        for (const o of edgeObjects(args.settings)) {
            new k8s.apiextensions.CustomResource(
                `${o.kind.toLowerCase()}-${o.metadata.name}`,
                { apiVersion: o.apiVersion, kind: o.kind, metadata: o.metadata, spec: o.spec },
                after,
            );
        }
        this.registerOutputs({});
    }
}
