// What the AWS cluster is built from: the options (validated by
// config/sections/cluster.ts, where every key is documented), their defaults,
// and the conversion from the parsed config.
import type { NodeRole } from "../../../sizing/types";

export type DatabaseVolumeType = "io2" | "gp3";
export type ApiAccess = "public" | "private";
export type NatGateways = "perZone" | "single";

export interface DatabaseVolumeOptions {
    /** EBS type for the guide's "NVMe" database disks; both attach over the Nitro NVMe interface. */
    readonly type: DatabaseVolumeType;
    readonly iops: number;
    /** gp3 only, MiB/s. */
    readonly throughputMiBps: number;
}

export interface AwsClusterOptions {
    readonly region: string;
    /** How many zones servers are spread over. */
    readonly zoneCount: number;
    /**
     * Zone names in order, when given explicitly. Without them the component
     * asks AWS (aws.getAvailabilityZones) for the region's zones: letters are
     * not contiguous everywhere (some accounts have no "a" in a region).
     */
    readonly availabilityZones?: readonly string[];
    readonly vpcCidr: string;
    readonly podCidr: string;
    readonly serviceCidr: string;
    /** Who may reach the Kubernetes API (through the admin API load balancer), besides the nodes. */
    readonly adminCidrs: readonly string[];
    /**
     * How the program (and the operator) reach the Kubernetes API. public: an
     * internet-facing NLB admitting only adminCidrs; private: only the internal
     * NLB, reached over a VPN or VPC peering the operator provides.
     */
    readonly apiAccess: ApiAccess;
    /** Networks allowed to reach port 22 of every server; empty: port 22 stays closed and sshd off. */
    readonly sshCidrs: readonly string[];
    /** Public keys authorised for the image's default user (admin on Debian). */
    readonly sshPublicKeys: readonly string[];
    /** One NAT gateway per zone (a zone outage never cuts the others' egress) or one for the stack (fewer Elastic IPs). */
    readonly natGateways: NatGateways;
    /** Who may reach the LI server's HTTPS port. Empty: nobody from outside the cluster. */
    readonly liAdminCidrs: readonly string[];
    /** OS disk of every server; the plan's disk is a separate data volume. */
    readonly rootVolumeGiB: number;
    readonly families: Readonly<Record<NodeRole, string>>;
    /** Explicit instance types; each must meet the plan. */
    readonly instanceTypes: Readonly<Partial<Record<NodeRole, string>>>;
    readonly databaseVolume: DatabaseVolumeOptions;
    /** Opt-in: database data on the instance's local NVMe instead of EBS (lost when the instance stops). */
    readonly databaseInstanceStore: boolean;
    /** Also open TCP 80 on the public edge (ACME HTTP-01, redirects). Off: HTTPS only. */
    readonly edgeHttp: boolean;
}

/**
 * Default family per role, chosen by the GiB-per-vCPU ratio the guide's
 * tables ask of that role at every tier (so the smallest fitting size wastes
 * little): 2 GiB/vCPU -> c7i, 4 GiB/vCPU -> m7i. Control plane 4/8 and 8/16,
 * storage and call servers 2:1 at every tier; app nodes go 2:1 -> 4:1 with the
 * tier, m7i fits all of them. Fixed per role, not per tier, so a tier change
 * resizes within one family.
 */
export const DEFAULT_FAMILIES: Readonly<Record<NodeRole, string>> = {
    controlPlane: "c7i",
    app: "m7i",
    database: "m7i",
    storage: "c7i",
    calls: "c7i",
    li: "m7i",
    monitoring: "m7i",
};

export const DEFAULT_AWS_OPTIONS: Omit<AwsClusterOptions, "region" | "availabilityZones" | "zoneCount"> = {
    vpcCidr: "10.40.0.0/16",
    podCidr: "172.20.0.0/16",
    serviceCidr: "172.21.0.0/16",
    adminCidrs: [],
    apiAccess: "public",
    sshCidrs: [],
    sshPublicKeys: [],
    natGateways: "perZone",
    liAdminCidrs: [],
    rootVolumeGiB: 40,
    families: DEFAULT_FAMILIES,
    instanceTypes: {},
    databaseVolume: { type: "io2", iops: 12000, throughputMiBps: 500 },
    databaseInstanceStore: false,
    edgeHttp: false,
};


/** The validated `matrix:cluster` block with provider aws, as config/sections/cluster.ts parses it. */
export interface AwsClusterConfig {
    readonly region: string;
    readonly zones: number;
    readonly availabilityZones?: readonly string[];
    readonly adminCidrs: readonly string[];
    readonly apiAccess: ApiAccess;
    readonly sshCidrs: readonly string[];
    readonly sshPublicKeys: readonly string[];
    readonly natGateways: NatGateways;
    readonly liAdminCidrs: readonly string[];
    readonly vpcCidr: string;
    readonly podCidr: string;
    readonly serviceCidr: string;
    readonly rootVolumeGiB: number;
    readonly families: Readonly<Record<NodeRole, string>>;
    readonly instanceTypes: Readonly<Partial<Record<NodeRole, string | undefined>>>;
    readonly databaseVolume: DatabaseVolumeOptions;
    readonly databaseInstanceStore: boolean;
    readonly edgeHttp: boolean;
}

export function awsOptionsFromConfig(c: AwsClusterConfig): AwsClusterOptions {
    const instanceTypes: Partial<Record<NodeRole, string>> = {};
    for (const [role, t] of Object.entries(c.instanceTypes)) if (t !== undefined) instanceTypes[role as NodeRole] = t;
    return {
        region: c.region,
        zoneCount: c.zones,
        ...(c.availabilityZones && c.availabilityZones.length > 0 ? { availabilityZones: [...c.availabilityZones] } : {}),
        vpcCidr: c.vpcCidr,
        podCidr: c.podCidr,
        serviceCidr: c.serviceCidr,
        adminCidrs: c.adminCidrs,
        apiAccess: c.apiAccess,
        sshCidrs: c.sshCidrs,
        sshPublicKeys: c.sshPublicKeys,
        natGateways: c.natGateways,
        liAdminCidrs: c.liAdminCidrs,
        rootVolumeGiB: c.rootVolumeGiB,
        families: { ...DEFAULT_FAMILIES, ...c.families },
        instanceTypes,
        databaseVolume: c.databaseVolume,
        databaseInstanceStore: c.databaseInstanceStore,
        edgeHttp: c.edgeHttp,
    };
}

/** NAT gateways (each with an Elastic IP) the options create. */
export function natGatewayCount(opts: Pick<AwsClusterOptions, "natGateways" | "zoneCount">): number {
    return opts.natGateways === "single" ? 1 : opts.zoneCount;
}
