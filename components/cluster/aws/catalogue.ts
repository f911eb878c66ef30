// The EC2 instance families this program may choose from, with each size's
// vCPU and memory. Pure data, so type selection is testable and reviewable
// without an AWS account.
//
// Source: the AWS "Amazon EC2 instance types" pages for each family
// (General purpose M7i/M7a/M7g, Compute optimized C7i/C7a/C7g, Memory
// optimized R7i/R7a/R7g, Storage optimized I4i). Every family listed is built
// on Nitro, so EBS volumes appear as NVMe devices. Memory is in GiB as AWS
// publishes it; vCPU counts hyperthreads (x86) or cores (Graviton).

export type Architecture = "x86_64" | "arm64";

export interface InstanceSize {
    readonly name: string;
    readonly vcpu: number;
    readonly memoryGiB: number;
    /**
     * Local instance-store NVMe the program uses, in GB (AWS publishes decimal
     * GB): one disk's capacity, because the bootstrap mounts one disk; 0 when
     * EBS-only.
     */
    readonly instanceStoreGB: number;
    /** How many instance-store disks the size has (only the first is used). */
    readonly instanceStoreDisks?: number;
}

export interface InstanceFamily {
    readonly family: string;
    readonly architecture: Architecture;
    readonly description: string;
    /** Ordered smallest first: the first that fits is the smallest that fits. */
    readonly sizes: readonly InstanceSize[];
}

/** Sizes shared by most 7th-generation families, with the family's GiB-per-vCPU ratio. */
function ratioSizes(memPerVcpu: number, names: readonly [string, number][]): InstanceSize[] {
    return names.map(([name, vcpu]) => ({ name, vcpu, memoryGiB: vcpu * memPerVcpu, instanceStoreGB: 0 }));
}

const INTEL_7: [string, number][] = [
    ["large", 2], ["xlarge", 4], ["2xlarge", 8], ["4xlarge", 16], ["8xlarge", 32],
    ["12xlarge", 48], ["16xlarge", 64], ["24xlarge", 96], ["48xlarge", 192],
];
const AMD_7: [string, number][] = [
    ["medium", 1], ["large", 2], ["xlarge", 4], ["2xlarge", 8], ["4xlarge", 16], ["8xlarge", 32],
    ["12xlarge", 48], ["16xlarge", 64], ["24xlarge", 96], ["32xlarge", 128], ["48xlarge", 192],
];
const GRAVITON_3: [string, number][] = [
    ["medium", 1], ["large", 2], ["xlarge", 4], ["2xlarge", 8], ["4xlarge", 16], ["8xlarge", 32],
    ["12xlarge", 48], ["16xlarge", 64],
];

export const INSTANCE_FAMILIES: Readonly<Record<string, InstanceFamily>> = {
    m7i: { family: "m7i", architecture: "x86_64", description: "general purpose, Intel Sapphire Rapids, 4 GiB/vCPU", sizes: ratioSizes(4, INTEL_7) },
    c7i: { family: "c7i", architecture: "x86_64", description: "compute optimized, Intel Sapphire Rapids, 2 GiB/vCPU", sizes: ratioSizes(2, INTEL_7) },
    r7i: { family: "r7i", architecture: "x86_64", description: "memory optimized, Intel Sapphire Rapids, 8 GiB/vCPU", sizes: ratioSizes(8, INTEL_7) },
    m7a: { family: "m7a", architecture: "x86_64", description: "general purpose, AMD Genoa, 4 GiB/vCPU", sizes: ratioSizes(4, AMD_7) },
    c7a: { family: "c7a", architecture: "x86_64", description: "compute optimized, AMD Genoa, 2 GiB/vCPU", sizes: ratioSizes(2, AMD_7) },
    r7a: { family: "r7a", architecture: "x86_64", description: "memory optimized, AMD Genoa, 8 GiB/vCPU", sizes: ratioSizes(8, AMD_7) },
    m7g: { family: "m7g", architecture: "arm64", description: "general purpose, Graviton3, 4 GiB/vCPU", sizes: ratioSizes(4, GRAVITON_3) },
    c7g: { family: "c7g", architecture: "arm64", description: "compute optimized, Graviton3, 2 GiB/vCPU", sizes: ratioSizes(2, GRAVITON_3) },
    r7g: { family: "r7g", architecture: "arm64", description: "memory optimized, Graviton3, 8 GiB/vCPU", sizes: ratioSizes(8, GRAVITON_3) },
    i4i: {
        family: "i4i",
        architecture: "x86_64",
        description: "storage optimized, Intel Ice Lake, 8 GiB/vCPU, local instance-store NVMe (lost on stop/replace)",
        sizes: [
            { name: "large", vcpu: 2, memoryGiB: 16, instanceStoreGB: 468, instanceStoreDisks: 1 },
            { name: "xlarge", vcpu: 4, memoryGiB: 32, instanceStoreGB: 937, instanceStoreDisks: 1 },
            { name: "2xlarge", vcpu: 8, memoryGiB: 64, instanceStoreGB: 1875, instanceStoreDisks: 1 },
            { name: "4xlarge", vcpu: 16, memoryGiB: 128, instanceStoreGB: 3750, instanceStoreDisks: 1 },
            // From 8xlarge up the local NVMe is several 3,750 GB disks. The bootstrap
            // mounts the first one only, so only its capacity is counted: the plan
            // never relies on space that no filesystem covers.
            { name: "8xlarge", vcpu: 32, memoryGiB: 256, instanceStoreGB: 3750, instanceStoreDisks: 2 },
            { name: "12xlarge", vcpu: 48, memoryGiB: 384, instanceStoreGB: 3750, instanceStoreDisks: 3 },
            { name: "16xlarge", vcpu: 64, memoryGiB: 512, instanceStoreGB: 3750, instanceStoreDisks: 4 },
            { name: "32xlarge", vcpu: 128, memoryGiB: 1024, instanceStoreGB: 3750, instanceStoreDisks: 8 },
        ],
    },
};

export const FAMILY_NAMES = Object.keys(INSTANCE_FAMILIES);

export interface InstanceChoice {
    readonly instanceType: string;
    readonly family: string;
    readonly architecture: Architecture;
    readonly vcpu: number;
    readonly memoryGiB: number;
    readonly instanceStoreGB: number;
}

function choice(f: InstanceFamily, s: InstanceSize): InstanceChoice {
    return {
        instanceType: `${f.family}.${s.name}`,
        family: f.family,
        architecture: f.architecture,
        vcpu: s.vcpu,
        memoryGiB: s.memoryGiB,
        instanceStoreGB: s.instanceStoreGB,
    };
}

/** Looks an instance type ("m7i.2xlarge") up in the catalogue; undefined when unknown. */
export function lookupInstanceType(instanceType: string): InstanceChoice | undefined {
    const dot = instanceType.indexOf(".");
    if (dot < 0) return undefined;
    const f = INSTANCE_FAMILIES[instanceType.slice(0, dot)];
    const s = f?.sizes.find((x) => x.name === instanceType.slice(dot + 1));
    return f && s ? choice(f, s) : undefined;
}

/**
 * The smallest size of `family` with at least `vcpu` vCPUs and `memoryGiB` GiB.
 * Throws when the family is unknown or even its largest size is too small, so
 * a plan never silently gets an undersized server.
 */
export function smallestFitting(family: string, vcpu: number, memoryGiB: number): InstanceChoice {
    const f = INSTANCE_FAMILIES[family];
    if (!f) throw new Error(`unknown instance family "${family}"; allowed: ${FAMILY_NAMES.join(", ")}`);
    const s = f.sizes.find((x) => x.vcpu >= vcpu && x.memoryGiB >= memoryGiB);
    if (!s) {
        const big = f.sizes[f.sizes.length - 1];
        throw new Error(
            `instance family "${family}" has no size with ${vcpu} vCPU and ${memoryGiB} GiB (largest: ${f.family}.${big.name}, ${big.vcpu} vCPU / ${big.memoryGiB} GiB)`,
        );
    }
    return choice(f, s);
}
