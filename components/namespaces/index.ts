// The namespaces of components/contracts.ts, each with Pod Security Admission
// labels. Every namespace enforces `restricted` unless its workloads cannot
// run that way; those exceptions are listed below with the reason, and still
// audit and warn at `restricted` so each violation stays visible.
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { NAMESPACES } from "../contracts";

export type PodSecurityLevel = "privileged" | "baseline" | "restricted";
export type NamespaceKey = keyof typeof NAMESPACES;

/** Enforced level for namespaces that cannot run `restricted`, and why. */
export const POD_SECURITY_EXCEPTIONS: Readonly<Partial<Record<NamespaceKey, { level: PodSecurityLevel; reason: string }>>> = {
    calls: {
        level: "privileged",
        reason: "LiveKit and coturn relay media on large UDP port ranges, which needs hostNetwork (a Service cannot expose thousands of ports)",
    },
    liProxy: {
        level: "privileged",
        reason: "the LI proxy listens on the LI server's host port (LI_ADMIN_HOST_PORT), which baseline and restricted forbid; its pod still runs as non-root with no capabilities",
    },
    monitoring: {
        level: "privileged",
        reason: "node-exporter reads host metrics through hostNetwork, hostPID and hostPath mounts",
    },
};

/** PSA version the labels pin, so a Kubernetes upgrade cannot silently tighten or loosen policy. */
export const POD_SECURITY_VERSION = "v1.33";

export function podSecurityLabels(key: NamespaceKey): Record<string, string> {
    const enforce = POD_SECURITY_EXCEPTIONS[key]?.level ?? "restricted";
    return {
        "pod-security.kubernetes.io/enforce": enforce,
        "pod-security.kubernetes.io/enforce-version": POD_SECURITY_VERSION,
        "pod-security.kubernetes.io/audit": "restricted",
        "pod-security.kubernetes.io/audit-version": POD_SECURITY_VERSION,
        "pod-security.kubernetes.io/warn": "restricted",
        "pod-security.kubernetes.io/warn-version": POD_SECURITY_VERSION,
    };
}

export interface NamespacesArgs {
    readonly provider: k8s.Provider;
}

export class Namespaces extends pulumi.ComponentResource {
    /** Namespace name per key, as outputs so dependents wait for the namespace to exist. */
    public readonly names: Readonly<Record<NamespaceKey, pulumi.Output<string>>>;

    constructor(name: string, args: NamespacesArgs, opts?: pulumi.ComponentResourceOptions) {
        super("matrix:namespaces:Namespaces", name, {}, opts);
        const names = {} as Record<NamespaceKey, pulumi.Output<string>>;
        for (const key of Object.keys(NAMESPACES) as NamespaceKey[]) {
            const exception = POD_SECURITY_EXCEPTIONS[key];
            const ns = new k8s.core.v1.Namespace(
                NAMESPACES[key],
                {
                    metadata: {
                        name: NAMESPACES[key],
                        labels: { "app.kubernetes.io/part-of": "matrix", ...podSecurityLabels(key) },
                        ...(exception ? { annotations: { "matrix-scale.io/pod-security-exception": exception.reason } } : {}),
                    },
                },
                // Deleting a namespace deletes every volume in it; a tier change must never do that.
                { parent: this, provider: args.provider, retainOnDelete: true },
            );
            names[key] = ns.metadata.name;
        }
        this.names = names;
        this.registerOutputs({ names });
    }
}
