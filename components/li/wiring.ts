// The LI instance from the stack config: which networks reach its proxy and
// where the Kubernetes API is, per cluster provider, and the cross-section
// checks that must fail before anything is registered.
import { floorPlanOf } from "../../sizing";
import type * as k8s from "@pulumi/kubernetes";
import type * as pulumi from "@pulumi/pulumi";
import type { StackConfig } from "../../config";
import type { Plan } from "../../sizing/types";
import type { DataEndpoints } from "../contracts";
import { LawfulIntercept, liHosts } from ".";

const view = (c: StackConfig) => c;

/** Problems across sections, reported with the other config errors. */
export function liProblems(stackConfig: StackConfig): string[] {
    const cfg = view(stackConfig);
    if (cfg.cluster.provider === "aws" && cfg.li.adminCidrs.length > 0) {
        return [
            `matrix:li.adminCidrs: set with provider aws (got ${JSON.stringify(cfg.li.adminCidrs)}); allowed: [] with provider aws, where matrix:cluster.liAdminCidrs opens the security group and the proxy together`,
        ];
    }
    return [];
}

export function lawfulIntercept(
    stackConfig: StackConfig,
    plan: Plan,
    data: DataEndpoints,
    storageClasses: Readonly<Record<"ssd" | "nvme" | "hdd", string>>,
    opts: { provider: k8s.Provider; dependsOn?: pulumi.Input<pulumi.Resource>[] },
): LawfulIntercept | undefined {
    const cfg = view(stackConfig);
    if (!cfg.li.enabled) return undefined;
    const aws = cfg.cluster.provider === "aws";
    // LI claims keep the floor tier's sizes too (volumes only grow).
    const storagePlan = floorPlanOf(plan, stackConfig.data.storageFloorCcu);
    return new LawfulIntercept(
        "li",
        {
            plan,
            ...(storagePlan ? { storagePlan } : {}),
            config: cfg.li,
            serverName: cfg.domain,
            hosts: liHosts(cfg.li, cfg.domain, cfg.synapse.host ?? cfg.domain),
            synapseImage: cfg.li.synapseImage ?? cfg.synapse.image,
            elementImage: cfg.li.elementImage ?? cfg.element.image,
            data,
            storageClass: storageClasses.ssd,
            allowedCidrs: aws ? cfg.cluster.liAdminCidrs ?? [] : cfg.li.adminCidrs,
            // The API server sits behind an internal load balancer in the VPC with provider aws; elsewhere it is unknown.
            apiServerCidr: aws && cfg.cluster.vpcCidr ? cfg.cluster.vpcCidr : "0.0.0.0/0",
        },
        opts,
    );
}
