// What an AWS account must allow before `pulumi up` can build the cluster:
// the Service Quotas a fresh account runs into first. Pure, from the
// inventory, so the plan report and the stack output print the same numbers.
import type { Inventory } from "./inventory";
import { natGatewayCount, type AwsClusterOptions } from "./options";

/** AWS's default Elastic IP quota per region (Service Quotas L-0263D0A3, "EC2-VPC Elastic IPs"). */
export const DEFAULT_EIP_QUOTA = 5;

export interface QuotaNeeds {
    /** "EC2-VPC Elastic IPs" (L-0263D0A3): one per NAT gateway and one per call server. */
    readonly elasticIps: number;
    /** "Running On-Demand Standard (A, C, D, H, I, M, R, T, Z) instances" (L-1216C47A), counted in vCPUs. */
    readonly onDemandStandardVcpus: number;
    /** EBS capacity per volume type in GiB (data volumes plus every server's root disk), for the per-type storage quotas. */
    readonly ebsGiB: Readonly<Record<string, number>>;
    /** Quotas a new account is likely to need raised, with the request to make. */
    readonly requests: readonly string[];
}

export function quotaNeeds(inventory: Inventory, opts: Pick<AwsClusterOptions, "natGateways" | "zoneCount" | "rootVolumeGiB">): QuotaNeeds {
    const calls = inventory.servers.filter((s) => s.role === "calls").length;
    const elasticIps = natGatewayCount(opts) + calls;
    const onDemandStandardVcpus = inventory.servers.reduce((n, s) => n + s.instance.vcpu, 0);
    const ebsGiB: Record<string, number> = { gp3: inventory.servers.length * opts.rootVolumeGiB };
    for (const s of inventory.servers) for (const v of s.dataVolumes) ebsGiB[v.type] = (ebsGiB[v.type] ?? 0) + v.sizeGiB;
    const requests: string[] = [];
    if (elasticIps > DEFAULT_EIP_QUOTA) {
        requests.push(
            `EC2-VPC Elastic IPs (L-0263D0A3): ${elasticIps} needed (${natGatewayCount(opts)} NAT gateway(s) + ${calls} call server(s)), the default is ${DEFAULT_EIP_QUOTA}; request ${elasticIps} or more` +
                (opts.natGateways === "perZone" ? ", or set matrix:cluster.natGateways single to need " + (1 + calls) : ""),
        );
    }
    requests.push(`Running On-Demand Standard instances (L-1216C47A): ${onDemandStandardVcpus} vCPUs needed; check the account's value in Service Quotas and request at least that`);
    return { elasticIps, onDemandStandardVcpus, ebsGiB, requests };
}
