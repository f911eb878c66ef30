// Shared inputs for the AWS node-pool tests: the real plan for every tier and
// a valid option set.
import { computePlan } from "../../sizing";
import { TIER_CCUS, type Plan } from "../../sizing/types";
import { DEFAULT_AWS_OPTIONS, DEFAULT_FAMILIES, type AwsClusterOptions } from "../../components/cluster/aws/options";
import { spawnSync } from "child_process";

export const TIERS = TIER_CCUS;

export function planFor(ccu: number, federation = false): Plan {
    return computePlan({ ccu, federation });
}

export const RAW_OPTIONS = {
    region: "eu-central-1",
    zoneCount: 3,
    availabilityZones: ["eu-central-1a", "eu-central-1b", "eu-central-1c"],
    adminCidrs: ["10.0.0.0/8"],
    liAdminCidrs: ["192.168.50.0/24"],
};

/** Options as the program builds them from a valid config: defaults, the fixture's values, then `overrides`. */
export function options(overrides: Partial<Omit<AwsClusterOptions, "families">> & { families?: Partial<AwsClusterOptions["families"]> } = {}): AwsClusterOptions & { availabilityZones: readonly string[] } {
    const { families, ...rest } = overrides;
    return { ...DEFAULT_AWS_OPTIONS, ...RAW_OPTIONS, ...rest, families: { ...DEFAULT_FAMILIES, ...families } };
}

/** Skips (or fails under CI) when a binary is missing. */
export function requireTool(ctx: Mocha.Context, tool: string): void {
    const r = spawnSync("sh", ["-c", `command -v ${tool}`]);
    if (r.status === 0) return;
    if (process.env.CI) throw new Error(`${tool} is required under CI but not installed`);
    console.log(`      skipped: ${tool} is not installed`);
    ctx.skip();
}
