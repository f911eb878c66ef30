// From the stack config, the plan and the cluster to the calls component's
// arguments: where each call server's public address comes from, which
// networks are the call servers' and which are internal. Pure except for the
// address outputs it passes through.
import type * as pulumi from "@pulumi/pulumi";
import type { CallsSectionConfig } from "../../config/sections/calls";
import type { Plan } from "../../sizing/types";
import { subnetLayout } from "../cluster/aws/cidr";
import { awsOptionsFromConfig, type AwsClusterConfig } from "../cluster/aws/options";
import type { CallsArgs } from "./index";
import { serverName } from "./placement";

/** RFC 1918: where an existing cluster's nodes are unless matrix:calls.nodeCidrs says more precisely. */
export const PRIVATE_NETWORKS = ["10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16"] as const;

type ClusterSection = ({ readonly provider: "aws" } & AwsClusterConfig) | { readonly provider: "existing" };
export type CallsStackConfig = CallsSectionConfig & { readonly cluster: ClusterSection };

/** Problems only the plan or another section reveals, reported with the config errors before anything is built. */
export function callsProblems(cfg: CallsStackConfig, plan: Plan): string[] {
    const c = cfg.calls;
    const problems: string[] = [];
    if (cfg.cluster.provider === "aws") {
        for (const key of ["addresses", "nodeCidrs", "internalCidrs"] as const) {
            const v = c[key];
            if (v !== undefined && v.length > 0) {
                problems.push(`matrix:calls.${key}: set to ${JSON.stringify(v)}, but provider aws derives it (Elastic IPs, subnets, pod and service ranges); allowed: leave it unset with provider aws`);
            }
        }
    } else {
        const servers = plan.nodePools.calls.count;
        if (c.addresses !== undefined && c.addresses.length !== servers) {
            problems.push(`matrix:calls.addresses: ${c.addresses.length} address(es) given, but the plan has ${servers} call servers (calls-0 .. calls-${servers - 1}); allowed: exactly one address per call server, in order`);
        }
    }
    return problems;
}

export interface ClusterFacts {
    /** Elastic IPs by server name (provider aws). */
    readonly callAddresses?: Readonly<Record<string, pulumi.Input<string>>>;
}

/**
 * The networks the call servers' own (host) addresses are in, and the internal
 * ones TURN relays must never reach. Host-network LiveKit reaches its Redis from
 * the first (the data layer's policy admits them), so both components read this.
 */
export function callNetworks(cfg: CallsStackConfig): { readonly nodeCidrs: string[]; readonly internalCidrs: string[] } {
    const c = cfg.calls;
    if (cfg.cluster.provider === "aws") {
        const o = awsOptionsFromConfig(cfg.cluster);
        // Call servers sit in the public subnets (inventory.ts).
        return { nodeCidrs: subnetLayout(o.vpcCidr, o.zoneCount).public, internalCidrs: [o.vpcCidr, o.podCidr, o.serviceCidr] };
    }
    // Unset: any private-network host (the Redis password still guards it); narrow it with matrix:calls.nodeCidrs.
    return { nodeCidrs: c.nodeCidrs.length > 0 ? [...c.nodeCidrs] : [...PRIVATE_NETWORKS], internalCidrs: [...c.internalCidrs] };
}

export function callsArgsFromConfig(
    cfg: CallsStackConfig,
    plan: Plan,
    cluster: ClusterFacts,
    livekitRedis: CallsArgs["livekitRedis"],
): CallsArgs {
    const c = cfg.calls;
    const addresses: Record<string, pulumi.Input<string>> | undefined =
        cfg.cluster.provider === "aws"
            ? cluster.callAddresses
                ? { ...cluster.callAddresses }
                : undefined
            : c.addresses
              ? Object.fromEntries(c.addresses.map((a, i) => [serverName(i), a]))
              : undefined;
    const { nodeCidrs, internalCidrs } = callNetworks(cfg);
    return {
        plan,
        serverName: cfg.domain,
        host: c.host ?? `rtc.${cfg.domain}`,
        turnHost: c.turnHost ?? `turn.${cfg.domain}`,
        images: { livekit: c.livekitImage, lkJwtService: c.lkJwtServiceImage, coturn: c.coturnImage },
        lkJwtServiceReplicas: c.lkJwtServiceReplicas,
        turnUserLifetime: c.turnUserLifetime,
        // A variants field has no parsed default of its own: absent means the documented default.
        turnTls: c.turnTls ?? { mode: "internalCa" },
        addresses,
        nodeCidrs,
        internalCidrs,
        livekitRedis,
    };
}
