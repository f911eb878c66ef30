// The `aws` part of `matrix:cluster`: its shape, its defaults and its
// validation. Pure: every error is collected (key, value, what is allowed)
// before any resource is registered.
import { NODE_ROLES, type NodeRole } from "../../../sizing/types";
import { FAMILY_NAMES, INSTANCE_FAMILIES, lookupInstanceType } from "./catalogue";
import { MAX_VPC_PREFIX, MAX_ZONES, parseCidr, parseIpv4Cidr } from "./cidr";

export type DatabaseVolumeType = "io2" | "gp3";

export interface DatabaseVolumeOptions {
    /** EBS type for the guide's "NVMe" database disks; both attach over the Nitro NVMe interface. */
    readonly type: DatabaseVolumeType;
    readonly iops: number;
    /** gp3 only, MiB/s. */
    readonly throughputMiBps: number;
}

export interface AwsClusterOptions {
    readonly region: string;
    readonly availabilityZones: readonly string[];
    readonly vpcCidr: string;
    readonly podCidr: string;
    readonly serviceCidr: string;
    /** Who may reach the Kubernetes API (through the internal load balancer), besides the nodes. */
    readonly adminCidrs: readonly string[];
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

export const DEFAULT_AWS_OPTIONS: Omit<AwsClusterOptions, "region" | "availabilityZones"> = {
    vpcCidr: "10.40.0.0/16",
    podCidr: "172.20.0.0/16",
    serviceCidr: "172.21.0.0/16",
    adminCidrs: [],
    liAdminCidrs: [],
    rootVolumeGiB: 40,
    families: DEFAULT_FAMILIES,
    instanceTypes: {},
    databaseVolume: { type: "io2", iops: 12000, throughputMiBps: 500 },
    databaseInstanceStore: false,
    edgeHttp: false,
};

const KEYS = [
    "region", "availabilityZones", "vpcCidr", "podCidr", "serviceCidr", "adminCidrs", "liAdminCidrs",
    "rootVolumeGiB", "families", "instanceTypes", "databaseVolume", "databaseInstanceStore", "edgeHttp",
] as const;

const REGION = /^[a-z]{2}(-gov|-iso[a-z]?)?-[a-z]+-\d$/;

function isObject(v: unknown): v is Record<string, unknown> {
    return typeof v === "object" && v !== null && !Array.isArray(v);
}

function rangesOverlap(a: string, b: string): boolean {
    const x = parseIpv4Cidr(a);
    const y = parseIpv4Cidr(b);
    if (typeof x === "string" || typeof y === "string") return false;
    const size = (c: { prefix: number }) => 2 ** (32 - c.prefix);
    return x.base < y.base + size(y) && y.base < x.base + size(x);
}

/**
 * Validates the raw `aws` object found at `path` (e.g. "matrix:cluster.aws").
 * Returns the options with defaults filled in, or every error found.
 */
export function parseAwsOptions(raw: unknown, path: string): { value?: AwsClusterOptions; errors: string[] } {
    const errors: string[] = [];
    const err = (key: string, value: unknown, allowed: string) =>
        errors.push(`${path}.${key}: ${JSON.stringify(value)} is not allowed; ${allowed}`);
    if (!isObject(raw)) {
        errors.push(`${path}: ${JSON.stringify(raw)} is not allowed; expected an object with at least region and availabilityZones`);
        return { errors };
    }
    for (const k of Object.keys(raw)) {
        if (!(KEYS as readonly string[]).includes(k)) err(k, raw[k], `unknown key; allowed keys: ${KEYS.join(", ")}`);
    }

    const region = raw.region;
    if (typeof region !== "string" || !REGION.test(region)) err("region", region, "expected an AWS region name such as eu-central-1");

    const zones = raw.availabilityZones;
    if (!Array.isArray(zones) || zones.length < 2 || zones.length > MAX_ZONES) {
        err("availabilityZones", zones, `expected a list of 2 to ${MAX_ZONES} availability zone names (HA needs at least 2; 3 recommended)`);
    } else {
        zones.forEach((z, i) => {
            if (typeof z !== "string" || (typeof region === "string" && !(z.startsWith(region) && /^[a-z]$/.test(z.slice(region.length))))) {
                err(`availabilityZones[${i}]`, z, `expected a zone of region ${JSON.stringify(region)}, e.g. ${region}a`);
            }
        });
        if (new Set(zones).size !== zones.length) err("availabilityZones", zones, "zones must be distinct");
    }

    const cidrKey = (key: "vpcCidr" | "podCidr" | "serviceCidr", maxPrefix: number): string => {
        const v = raw[key] ?? DEFAULT_AWS_OPTIONS[key];
        const p = typeof v === "string" ? parseIpv4Cidr(v) : `${JSON.stringify(v)} is not a string`;
        if (typeof p === "string") err(key, v, `expected an IPv4 CIDR (${p})`);
        else if (p.prefix > maxPrefix) err(key, v, `prefix length must be at most /${maxPrefix}`);
        return v as string;
    };
    const vpcCidr = cidrKey("vpcCidr", MAX_VPC_PREFIX);
    const podCidr = cidrKey("podCidr", 20);
    const serviceCidr = cidrKey("serviceCidr", 24);
    const pairs: [string, string, string, string][] = [
        ["podCidr", podCidr, "vpcCidr", vpcCidr],
        ["serviceCidr", serviceCidr, "vpcCidr", vpcCidr],
        ["serviceCidr", serviceCidr, "podCidr", podCidr],
    ];
    for (const [ka, a, kb, b] of pairs) {
        if (rangesOverlap(a, b)) err(ka, a, `must not overlap ${kb} ${b}`);
    }

    const cidrList = (key: "adminCidrs" | "liAdminCidrs"): string[] => {
        const v = raw[key] ?? [];
        if (!Array.isArray(v)) {
            err(key, v, "expected a list of CIDRs");
            return [];
        }
        v.forEach((c, i) => {
            const p = parseCidr(c);
            if (typeof p === "string") err(`${key}[${i}]`, c, `expected an IPv4 or IPv6 CIDR (${p})`);
            else if (p.prefix === 0) err(`${key}[${i}]`, c, "must not be the whole internet; name the networks administrators connect from");
        });
        return v as string[];
    };
    const adminCidrs = cidrList("adminCidrs");
    const liAdminCidrs = cidrList("liAdminCidrs");

    const rootVolumeGiB = raw.rootVolumeGiB ?? DEFAULT_AWS_OPTIONS.rootVolumeGiB;
    if (!Number.isInteger(rootVolumeGiB) || (rootVolumeGiB as number) < 20 || (rootVolumeGiB as number) > 1000) {
        err("rootVolumeGiB", rootVolumeGiB, "expected an integer from 20 to 1000");
    }

    const families: Record<NodeRole, string> = { ...DEFAULT_FAMILIES };
    const rawFamilies = raw.families ?? {};
    if (!isObject(rawFamilies)) err("families", rawFamilies, "expected an object role -> instance family");
    else {
        for (const [role, fam] of Object.entries(rawFamilies)) {
            if (!(NODE_ROLES as readonly string[]).includes(role)) err(`families.${role}`, fam, `unknown role; roles: ${NODE_ROLES.join(", ")}`);
            else if (typeof fam !== "string" || !INSTANCE_FAMILIES[fam]) err(`families.${role}`, fam, `unknown instance family; allowed: ${FAMILY_NAMES.join(", ")}`);
            else families[role as NodeRole] = fam;
        }
    }

    const instanceTypes: Partial<Record<NodeRole, string>> = {};
    const rawTypes = raw.instanceTypes ?? {};
    if (!isObject(rawTypes)) err("instanceTypes", rawTypes, "expected an object role -> instance type");
    else {
        for (const [role, t] of Object.entries(rawTypes)) {
            if (!(NODE_ROLES as readonly string[]).includes(role)) err(`instanceTypes.${role}`, t, `unknown role; roles: ${NODE_ROLES.join(", ")}`);
            else if (typeof t !== "string" || !lookupInstanceType(t)) {
                err(`instanceTypes.${role}`, t, `not in the instance catalogue; families: ${FAMILY_NAMES.join(", ")} (e.g. m7i.2xlarge)`);
            } else instanceTypes[role as NodeRole] = t;
        }
    }

    const dbRaw = raw.databaseVolume ?? {};
    let databaseVolume = DEFAULT_AWS_OPTIONS.databaseVolume;
    if (!isObject(dbRaw)) err("databaseVolume", dbRaw, "expected an object {type, iops, throughputMiBps}");
    else {
        for (const k of Object.keys(dbRaw)) {
            if (!["type", "iops", "throughputMiBps"].includes(k)) err(`databaseVolume.${k}`, dbRaw[k], "unknown key; allowed keys: type, iops, throughputMiBps");
        }
        const type = dbRaw.type ?? databaseVolume.type;
        if (type !== "io2" && type !== "gp3") err("databaseVolume.type", type, 'expected "io2" or "gp3"');
        const iopsDefault = type === "gp3" ? 16000 : databaseVolume.iops;
        const iops = dbRaw.iops ?? iopsDefault;
        const maxIops = type === "gp3" ? 80000 : 256000;
        if (!Number.isInteger(iops) || (iops as number) < 3000 || (iops as number) > maxIops) {
            err("databaseVolume.iops", iops, `expected an integer from 3000 to ${maxIops} for ${String(type)}`);
        }
        const throughputMiBps = dbRaw.throughputMiBps ?? databaseVolume.throughputMiBps;
        if (!Number.isInteger(throughputMiBps) || (throughputMiBps as number) < 125 || (throughputMiBps as number) > 2000) {
            err("databaseVolume.throughputMiBps", throughputMiBps, "expected an integer from 125 to 2000 (gp3 only)");
        }
        databaseVolume = { type: type as DatabaseVolumeType, iops: iops as number, throughputMiBps: throughputMiBps as number };
    }

    const bool = (key: "databaseInstanceStore" | "edgeHttp"): boolean => {
        const v = raw[key] ?? DEFAULT_AWS_OPTIONS[key];
        if (typeof v !== "boolean") err(key, v, "expected true or false");
        return v === true;
    };
    const databaseInstanceStore = bool("databaseInstanceStore");
    const edgeHttp = bool("edgeHttp");
    if (databaseInstanceStore && INSTANCE_FAMILIES[families.database]?.sizes[0].instanceStoreGB === 0 && !instanceTypes.database) {
        err("databaseInstanceStore", true, `needs a database family with local NVMe (e.g. families.database: i4i); "${families.database}" has none`);
    }

    if (errors.length > 0) return { errors };
    return {
        errors,
        value: {
            region: region as string,
            availabilityZones: zones as string[],
            vpcCidr, podCidr, serviceCidr, adminCidrs, liAdminCidrs,
            rootVolumeGiB: rootVolumeGiB as number,
            families, instanceTypes, databaseVolume, databaseInstanceStore, edgeHttp,
        },
    };
}
