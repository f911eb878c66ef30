// The Kubernetes cluster every other component deploys into, exposed as one
// k8s.Provider. Components take `cluster.provider` and never read kubeconfig
// themselves, so switching from an existing cluster to one built on AWS
// changes nothing downstream.
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import type { ClusterConfig } from "../../config";
import { floorPlanOf } from "../../sizing";
import type { DiskType, Plan } from "../../sizing/types";
import { AwsCluster } from "./aws/component";
import { buildInventory, inventoryProblems, withStatefulFloor, type InventoryPlan } from "./aws/inventory";
import { localCapacityProblems, localClaimDemands, localVolumeSpecs } from "./aws/local-volumes";
import { awsOptionsFromConfig } from "./aws/options";

export interface ClusterArgs {
    readonly config: ClusterConfig;
    readonly plan: Plan;
    /** matrix:data.storageFloorCcu: stateful servers and volumes keep the size of this tier when it is above the plan's. */
    readonly storageFloorCcu?: number;
}


/**
 * Problems only the plan reveals (an explicit instance type below the plan's
 * size, a family whose largest size is too small, local NVMe too small, local
 * volumes that cannot hold the data layer's claims); reported as config
 * errors before anything is registered.
 */
export function clusterProblems(config: ClusterConfig, plan: Plan, storageFloorCcu?: number): string[] {
    if (config.provider !== "aws") return [];
    const options = awsOptionsFromConfig(config);
    let sized: InventoryPlan;
    try {
        sized = withStatefulFloor(plan, floorPlanOf(plan, storageFloorCcu));
    } catch (e) {
        return [`matrix:data.storageFloorCcu: ${(e as Error).message}`];
    }
    const problems = inventoryProblems(sized, options);
    if (problems.length > 0) return problems;
    return localCapacityProblems(localVolumeSpecs(buildInventory(sized, options), sized), localClaimDemands(plan));
}

export class Cluster extends pulumi.ComponentResource {
    public readonly provider: k8s.Provider;
    /** StorageClass name per disk type, as this cluster names them. */
    public readonly storageClasses: Readonly<Record<DiskType, string>>;
    /** The kubeconfig, as a secret, when the program knows it (undefined for a local context). */
    public readonly kubeconfig: pulumi.Output<string> | undefined;
    /** The AWS cluster, when this program builds it. */
    public readonly aws: AwsCluster | undefined;

    constructor(name: string, args: ClusterArgs, opts?: pulumi.ComponentResourceOptions) {
        const problems = clusterProblems(args.config, args.plan, args.storageFloorCcu);
        // Fail before registering anything: a half-registered cluster would only confuse the preview.
        if (problems.length > 0) throw new Error(`invalid cluster config:\n  - ${problems.join("\n  - ")}`);
        super("matrix:cluster:Cluster", name, {}, opts);
        const config = args.config;
        if (config.provider === "aws") {
            const floorPlan = floorPlanOf(args.plan, args.storageFloorCcu);
            this.aws = new AwsCluster(
                name,
                { plan: args.plan, ...(floorPlan ? { floorPlan } : {}), options: awsOptionsFromConfig(config), clusterName: `matrix-${pulumi.getStack()}` },
                { parent: this },
            );
            this.provider = this.aws.provider;
            this.storageClasses = this.aws.storageClasses;
            this.kubeconfig = this.aws.kubeconfig;
        } else {
            this.aws = undefined;
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
        }
        this.registerOutputs({ storageClasses: this.storageClasses, kubeconfig: this.kubeconfig });
    }
}
