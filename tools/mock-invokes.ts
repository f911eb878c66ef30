// Answers to provider function calls (invokes) under mocks. A token missing
// here makes the mock throw: a silently empty answer would let a program
// that depends on it "pass" while computing nothing real.
import { createHash } from "crypto";

export type InvokeHandler = (inputs: Record<string, any>) => Record<string, unknown>;

const MOCK_REGION = "eu-central-1";

export const MOCK_INVOKES: Readonly<Record<string, InvokeHandler>> = {
    "aws:index/getRegion:getRegion": (inputs) => {
        const name = inputs.region ?? inputs.name ?? MOCK_REGION;
        return { id: name, name, region: name, endpoint: `ec2.${name}.amazonaws.com`, description: "mock region" };
    },
    "aws:index/getAvailabilityZones:getAvailabilityZones": (inputs) => {
        const region = inputs.region ?? MOCK_REGION;
        const letters = ["a", "b", "c", "d", "e", "f"];
        return {
            id: region,
            names: letters.map((l) => `${region}${l}`),
            zoneIds: letters.map((_, i) => `euc1-az${i + 1}`),
            groupNames: letters.map(() => region),
            state: inputs.state ?? "available",
        };
    },
    "aws:index/getCallerIdentity:getCallerIdentity": () => ({
        id: "123456789012",
        accountId: "123456789012",
        arn: "arn:aws:iam::123456789012:user/mock",
        userId: "AIDAMOCKUSER",
    }),
    // The newest Debian 12 AMI for the filters; the id depends on the filters only, so runs compare equal.
    "aws:ec2/getAmi:getAmi": (inputs) => {
        const filters = (inputs.filters ?? []) as { name: string; values: string[] }[];
        const arch = filters.find((f) => f.name === "architecture")?.values[0] ?? "x86_64";
        const key = JSON.stringify({ owners: inputs.owners, filters });
        const id = `ami-${createHash("sha256").update(key).digest("hex").slice(0, 17)}`;
        return { id, imageId: id, architecture: arch, name: `${filters.find((f) => f.name === "name")?.values[0] ?? "mock"}-mock`, ownerId: (inputs.owners ?? [])[0] };
    },
    // A fresh account: no stateful EBS volume of the cluster exists yet, so nothing can shrink.
    "aws:ebs/getEbsVolumes:getEbsVolumes": (inputs) => ({ id: MOCK_REGION, ids: [], filters: inputs.filters ?? [] }),
    "aws:index/getPartition:getPartition": () => ({ id: "aws", partition: "aws", dnsSuffix: "amazonaws.com", reverseDnsPrefix: "com.amazonaws" }),
};
