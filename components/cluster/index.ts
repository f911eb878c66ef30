// The Kubernetes cluster every other component deploys into, exposed as one
// k8s.Provider. Components take `cluster.provider` and never read kubeconfig
// themselves, so switching from an existing cluster to one built on AWS
// changes nothing downstream.
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import type { ClusterConfig } from "../../config";
import type { DiskType } from "../../sizing/types";

export interface ClusterArgs {
    readonly config: ClusterConfig;
}

/** Why a cluster config cannot be deployed by this program yet, or undefined when it can. */
export function unsupportedCluster(config: ClusterConfig): string | undefined {
    if (config.provider === "aws") {
        return "matrix:cluster.provider \"aws\" is not available yet: this program cannot build AWS clusters so far. " +
            "Use provider \"existing\" with a kubeconfig (secret) or context of a cluster you already run.";
    }
    return undefined;
}

export class Cluster extends pulumi.ComponentResource {
    public readonly provider: k8s.Provider;
    /** StorageClass name per disk type, as this cluster names them. */
    public readonly storageClasses: Readonly<Record<DiskType, string>>;
    /** The kubeconfig, as a secret, when the program knows it (undefined for a local context). */
    public readonly kubeconfig: pulumi.Output<string> | undefined;

    constructor(name: string, args: ClusterArgs, opts?: pulumi.ComponentResourceOptions) {
        const reason = unsupportedCluster(args.config);
        // Fail before registering anything: a half-registered cluster would only confuse the preview.
        if (reason) throw new Error(reason);
        super("matrix:cluster:Cluster", name, {}, opts);
        const config = args.config;
        if (config.provider !== "existing") throw new Error(`unreachable: provider ${config.provider}`);
        this.storageClasses = config.storageClasses;
        this.kubeconfig = config.kubeconfig ? pulumi.secret<string>(config.kubeconfig.reveal()) : undefined;
        this.provider = new k8s.Provider(
            name,
            {
                ...(this.kubeconfig ? { kubeconfig: this.kubeconfig } : { context: config.context }),
                // Server-side apply lets several components own fields of one object and reports conflicts instead of overwriting.
                enableServerSideApply: true,
            },
            { parent: this },
        );
        this.registerOutputs({ storageClasses: this.storageClasses, kubeconfig: this.kubeconfig });
    }
}
