// Where the deployment runs: an existing Kubernetes cluster, or one built on
// AWS from the sizing plan's node pools (components/cluster/aws).
import { INSTANCE_FAMILIES, FAMILY_NAMES, lookupInstanceType } from "../../components/cluster/aws/catalogue";
import { MAX_VPC_PREFIX, parseIpv4Cidr } from "../../components/cluster/aws/cidr";
import { DEFAULT_AWS_OPTIONS, DEFAULT_FAMILIES } from "../../components/cluster/aws/options";
import { DEFAULT_STORAGE_CLASSES } from "../../components/contracts";
import { NODE_ROLES, type NodeRole } from "../../sizing/types";
import { boolean, cidr, enumOf, integer, list, object, optional, refine, secretString, string, variants } from "../schema";

const storageClass = (disk: "ssd" | "nvme" | "hdd") =>
    string({
        description: `StorageClass to use for ${disk} volumes.`,
        default: DEFAULT_STORAGE_CLASSES[disk],
        pattern: /^[a-z0-9]([-a-z0-9.]{0,251}[a-z0-9])?$/,
        patternText: "a Kubernetes object name (lowercase letters, digits, '-' and '.')",
    });

const family = (role: NodeRole) =>
    enumOf(FAMILY_NAMES, {
        description: `Instance family of ${role} servers; the smallest size meeting the plan is chosen (see components/cluster/aws/catalogue.ts).`,
        default: DEFAULT_FAMILIES[role],
    });

const instanceType = (role: NodeRole) =>
    optional(
        string({
            description: `Explicit instance type of ${role} servers instead of the smallest fitting size; must meet the plan's vCPU and memory.`,
            pattern: /^[a-z0-9]+\.[a-z0-9]+$/,
            patternText: `an instance type of the catalogue (families ${FAMILY_NAMES.join(", ")}), e.g. m7i.2xlarge`,
        }),
    );

const vpcRange = (what: string, dflt: string) => cidr({ description: `IPv4 range of the ${what}.`, default: dflt });

export const cluster = {
    cluster: refine(
        variants(
            "provider",
            {
                existing: {
                    kubeconfig: secretString({
                        description: "Kubeconfig of the target cluster (its contents, not a path).",
                        setHint: "pulumi config set --secret --path matrix:cluster.kubeconfig \"$(cat kubeconfig)\"",
                    }),
                    context: optional(string({ description: "Context in the local kubeconfig to deploy to (instead of kubeconfig)." })),
                    storageClasses: object(
                        { ssd: storageClass("ssd"), nvme: storageClass("nvme"), hdd: storageClass("hdd") },
                        { description: "Names of the cluster's StorageClasses per disk type." },
                    ),
                },
                aws: {
                    region: string({
                        description: "AWS region to build the cluster in.",
                        pattern: /^[a-z]{2}(-gov|-iso[a-z]?)?-[a-z]+-\d$/,
                        patternText: "an AWS region name such as eu-central-1",
                    }),
                    zones: integer({ description: "Availability zones to spread servers over (HA needs at least two).", min: 2, max: 6, default: 3 }),
                    availabilityZones: optional(
                        list(
                            string({ description: "An availability zone name.", pattern: /^[a-z]{2}(-gov|-iso[a-z]?)?-[a-z]+-\d[a-z]$/, patternText: "an availability zone name such as eu-central-1a" }),
                            { description: "Zone names, in order (default: the region's first `zones` availability zones as AWS lists them). A server's zone is its position in this list: never reorder it; pin it once the stack exists.", minItems: 2 },
                        ),
                    ),
                    adminCidrs: list(cidr({ description: "Network allowed to reach the Kubernetes API." }), {
                        description: "Networks allowed to reach the Kubernetes API: the machine running pulumi and the operators. With apiAccess public they reach it through an internet-facing NLB that admits only them.",
                        default: [],
                    }),
                    apiAccess: enumOf(["public", "private"] as const, {
                        description: "public: the Kubernetes API behind an internet-facing NLB admitting only adminCidrs (needs adminCidrs); private: only the internal NLB, reached over a VPN or VPC peering you provide (docs/cluster.md).",
                        default: DEFAULT_AWS_OPTIONS.apiAccess,
                    }),
                    sshCidrs: list(cidr({ description: "Network allowed to reach port 22 of the servers." }), {
                        description: "Networks allowed to SSH to the servers (private addresses: over a VPN or peering). Default none: port 22 closed and sshd off.",
                        default: [],
                    }),
                    sshPublicKeys: list(
                        string({
                            description: "An OpenSSH public key.",
                            pattern: /^(ssh-ed25519|ssh-rsa|ecdsa-sha2-nistp(256|384|521)|sk-ssh-ed25519@openssh\.com) [A-Za-z0-9+/=]+( [^\n]*)?$/,
                            patternText: "one OpenSSH public key line (ssh-ed25519 AAAA... comment)",
                        }),
                        { description: "Public keys allowed to log in as the image's default user (admin) when sshCidrs is set.", default: [] },
                    ),
                    natGateways: enumOf(["perZone", "single"] as const, {
                        description: "perZone: one NAT gateway (and Elastic IP) per zone, so a zone outage never cuts the others' egress; single: one for the stack (fewer Elastic IPs, one zone's outage cuts all egress).",
                        default: DEFAULT_AWS_OPTIONS.natGateways,
                    }),
                    liAdminCidrs: list(cidr({ description: "Network allowed to reach the LI server." }), {
                        description: "Networks allowed to reach the LI server's admin HTTPS; nobody else can.",
                        default: [],
                    }),
                    vpcCidr: vpcRange("VPC (a /20 private and public subnet per zone are carved from it)", DEFAULT_AWS_OPTIONS.vpcCidr),
                    podCidr: vpcRange("pods", DEFAULT_AWS_OPTIONS.podCidr),
                    serviceCidr: vpcRange("Kubernetes services", DEFAULT_AWS_OPTIONS.serviceCidr),
                    rootVolumeGiB: integer({ description: "OS disk of every server in GiB; the plan's disk is a separate data volume.", min: 20, max: 1000, default: DEFAULT_AWS_OPTIONS.rootVolumeGiB }),
                    families: object(
                        {
                            controlPlane: family("controlPlane"),
                            app: family("app"),
                            database: family("database"),
                            storage: family("storage"),
                            calls: family("calls"),
                            li: family("li"),
                            monitoring: family("monitoring"),
                        },
                        { description: "Instance family per server role." },
                    ),
                    instanceTypes: object(
                        {
                            controlPlane: instanceType("controlPlane"),
                            app: instanceType("app"),
                            database: instanceType("database"),
                            storage: instanceType("storage"),
                            calls: instanceType("calls"),
                            li: instanceType("li"),
                            monitoring: instanceType("monitoring"),
                        },
                        { description: "Explicit instance type per server role (each must meet the plan)." },
                    ),
                    databaseVolume: object(
                        {
                            type: enumOf(["io2", "gp3"] as const, { description: "EBS type of the database servers' \"NVMe\" disks (both attach over Nitro's NVMe interface).", default: DEFAULT_AWS_OPTIONS.databaseVolume.type }),
                            iops: integer({ description: "Provisioned IOPS of each database disk (capped by the volume size).", min: 3000, max: 256000, default: DEFAULT_AWS_OPTIONS.databaseVolume.iops }),
                            throughputMiBps: integer({ description: "Throughput of each database disk in MiB/s (gp3 only).", min: 125, max: 2000, default: DEFAULT_AWS_OPTIONS.databaseVolume.throughputMiBps }),
                        },
                        { description: "The database servers' data disks." },
                    ),
                    databaseInstanceStore: boolean({
                        description: "Put database data on the instance's local NVMe instead of EBS (needs a family with local NVMe such as i4i; the data is erased whenever a server stops).",
                        default: false,
                    }),
                    edgeHttp: boolean({ description: "Also open TCP 80 on the public edge (ACME HTTP-01, redirects). Off: HTTPS only.", default: false }),
                },
            },
            { description: "The Kubernetes cluster to deploy into." },
        ),
        (c, problem) => {
            // Deploying to "whatever the current context is" would make the target depend on the machine running pulumi.
            if (c.provider === "existing" && (c.kubeconfig === undefined) === (c.context === undefined)) {
                problem(undefined, "provider existing needs exactly one of kubeconfig or context (got " +
                    (c.kubeconfig ? "both" : "neither") + "); allowed: kubeconfig (a secret) or context");
            }
            if (c.provider === "aws") awsProblems(c, problem);
        },
    ),
} as const;

type AwsFields = {
    region: string;
    zones: number;
    availabilityZones?: string[];
    adminCidrs: string[];
    apiAccess: "public" | "private";
    sshCidrs: string[];
    sshPublicKeys: string[];
    liAdminCidrs: string[];
    vpcCidr: string;
    podCidr: string;
    serviceCidr: string;
    families: Record<NodeRole, string>;
    instanceTypes: Partial<Record<NodeRole, string>>;
    databaseVolume: { type: "io2" | "gp3"; iops: number; throughputMiBps: number };
    databaseInstanceStore: boolean;
};

/** Cross-field checks of the aws variant; each problem names the key, the value and what is allowed. */
function awsProblems(c: AwsFields, problem: (subkey: string | undefined, text: string) => void): void {
    if (c.availabilityZones) {
        const zones = c.availabilityZones;
        if (c.availabilityZones.length !== c.zones) {
            problem("zones", `is ${c.zones} but availabilityZones names ${c.availabilityZones.length} (got ${JSON.stringify(c.availabilityZones)}); allowed: zones equal to the number of availabilityZones`);
        }
        c.availabilityZones.forEach((z, i) => {
            if (!(z.startsWith(c.region) && /^[a-z]$/.test(z.slice(c.region.length)))) {
                problem(`availabilityZones[${i}]`, `not a zone of region ${c.region} (got ${JSON.stringify(z)}); allowed: ${c.region} followed by one letter`);
            }
        });
        if (new Set(zones).size !== zones.length) problem("availabilityZones", `names a zone twice (got ${JSON.stringify(zones)}); allowed: distinct zones`);
    }
    const ranges: [string, string, number][] = [["vpcCidr", c.vpcCidr, MAX_VPC_PREFIX], ["podCidr", c.podCidr, 20], ["serviceCidr", c.serviceCidr, 24]];
    const parsed = new Map<string, { base: number; prefix: number }>();
    for (const [key, value, maxPrefix] of ranges) {
        const p = parseIpv4Cidr(value);
        if (typeof p === "string") problem(key, `not an IPv4 range (got ${JSON.stringify(value)}); allowed: an IPv4 CIDR of at most /${maxPrefix}`);
        else if (p.prefix > maxPrefix) problem(key, `too small (got ${JSON.stringify(value)}); allowed: an IPv4 CIDR of at most /${maxPrefix}`);
        else parsed.set(key, p);
    }
    const size = (p: { prefix: number }) => 2 ** (32 - p.prefix);
    const pairs: [string, string][] = [["podCidr", "vpcCidr"], ["serviceCidr", "vpcCidr"], ["serviceCidr", "podCidr"]];
    for (const [a, b] of pairs) {
        const x = parsed.get(a);
        const y = parsed.get(b);
        if (x && y && x.base < y.base + size(y) && y.base < x.base + size(x)) {
            problem(a, `overlaps ${b} ${(c as Record<string, any>)[b]} (got ${JSON.stringify((c as Record<string, any>)[a])}); allowed: a range disjoint from ${b}`);
        }
    }
    if (c.apiAccess === "public" && c.adminCidrs.length === 0) {
        problem("adminCidrs", `is empty with apiAccess public, so nobody (not even pulumi) could reach the Kubernetes API (got []); allowed: the networks pulumi and the operators connect from, or apiAccess private with a VPN or peering into the VPC`);
    }
    if (c.sshCidrs.length > 0 && c.sshPublicKeys.length === 0) {
        problem("sshPublicKeys", `is empty but sshCidrs opens port 22 (got []); allowed: at least one OpenSSH public key, or no sshCidrs`);
    }
    for (const key of ["adminCidrs", "liAdminCidrs", "sshCidrs"] as const) {
        c[key].forEach((v, i) => {
            if (v.endsWith("/0")) problem(`${key}[${i}]`, `opens to the whole internet (got ${JSON.stringify(v)}); allowed: the networks administrators connect from`);
        });
    }
    for (const role of NODE_ROLES) {
        const t = c.instanceTypes[role];
        if (t !== undefined && !lookupInstanceType(t)) {
            problem(`instanceTypes.${role}`, `not in the instance catalogue (got ${JSON.stringify(t)}); allowed: a size of ${FAMILY_NAMES.join(", ")}, e.g. ${INSTANCE_FAMILIES.m7i.family}.2xlarge`);
        }
    }
    if (c.databaseInstanceStore) {
        const t = c.instanceTypes.database;
        const local = t ? (lookupInstanceType(t)?.instanceStoreGB ?? 0) : INSTANCE_FAMILIES[c.families.database].sizes[0].instanceStoreGB;
        if (local === 0) {
            problem("databaseInstanceStore", `needs database servers with local NVMe (got true with ${t ?? `family ${c.families.database}`}); allowed: families.database i4i, or false`);
        }
    }
    if (c.databaseVolume.type === "gp3" && c.databaseVolume.iops > 80000) {
        problem("databaseVolume.iops", `too high for gp3 (got ${c.databaseVolume.iops}); allowed: 3000 to 80000 for gp3`);
    }
}
