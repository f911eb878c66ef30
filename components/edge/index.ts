// The HTTPS edge: the objects of objects.ts on Envoy Gateway and cert-manager,
// which the controllers layer (components/controllers) installs before this.
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { EDGE_PROXY_NAMESPACE, edgeNetworkPolicies, edgeObjects, gatewayClass, type EdgeSettings } from "./objects";

export interface EdgeArgs {
    readonly settings: EdgeSettings;
}

export class Edge extends pulumi.ComponentResource {
    constructor(name: string, args: EdgeArgs, opts?: pulumi.ComponentResourceOptions) {
        super("matrix:edge:Edge", name, {}, opts);
        const child = { parent: this };
        const cls = gatewayClass(args.settings.gatewayClassName);
        new k8s.apiextensions.CustomResource(`gatewayclass-${cls.metadata.name}`, { apiVersion: cls.apiVersion, kind: cls.kind, metadata: cls.metadata, spec: cls.spec }, child);
        for (const o of edgeObjects(args.settings)) {
            new k8s.apiextensions.CustomResource(
                `${o.kind.toLowerCase()}-${o.metadata.name}`,
                { apiVersion: o.apiVersion, kind: o.kind, metadata: o.metadata, spec: o.spec },
                child,
            );
        }
        for (const np of edgeNetworkPolicies(args.settings, EDGE_PROXY_NAMESPACE)) new k8s.networking.v1.NetworkPolicy(np.metadata.name, np, child);
        this.registerOutputs({});
    }
}
