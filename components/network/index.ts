// Default deny: in every namespace of the deployment no pod accepts a
// connection unless a NetworkPolicy of its component allows it explicitly
// (policies are additive: each component's allow opens exactly its ports to
// exactly its clients). Egress stays open: the workloads reach the API server,
// DNS, object storage and federation peers.
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { NAMESPACES } from "../contracts";

export const DEFAULT_DENY = "default-deny-ingress";

export function defaultDenyPolicy(namespace: string) {
    return { metadata: { name: DEFAULT_DENY, namespace }, spec: { podSelector: {}, policyTypes: ["Ingress"] } };
}

export class DefaultDeny extends pulumi.ComponentResource {
    constructor(name: string, args: { namespaces?: readonly string[] } = {}, opts?: pulumi.ComponentResourceOptions) {
        super("matrix:network:DefaultDeny", name, {}, opts);
        for (const ns of args.namespaces ?? Object.values(NAMESPACES)) {
            new k8s.networking.v1.NetworkPolicy(`${ns}-${DEFAULT_DENY}`, defaultDenyPolicy(ns), { parent: this });
        }
        this.registerOutputs({});
    }
}
