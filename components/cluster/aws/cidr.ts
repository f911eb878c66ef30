// CIDR parsing and the VPC's subnet layout. Pure, so a typo in a CIDR is a
// config error with the key named, not a failed AWS API call mid-deployment.

export interface Ipv4Cidr {
    readonly base: number; // network address as an unsigned 32-bit integer
    readonly prefix: number;
}

const IPV4_CIDR = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})\/(\d{1,2})$/;

/** Parses "a.b.c.d/n"; returns an error message instead of throwing so validation can collect all errors. */
export function parseIpv4Cidr(text: string): Ipv4Cidr | string {
    const m = IPV4_CIDR.exec(text);
    if (!m) return `"${text}" is not an IPv4 CIDR (a.b.c.d/n)`;
    const octets = m.slice(1, 5).map(Number);
    const prefix = Number(m[5]);
    if (octets.some((o) => o > 255)) return `"${text}" has an octet above 255`;
    if (prefix > 32) return `"${text}" has a prefix length above 32`;
    const addr = ((octets[0] << 24) | (octets[1] << 16) | (octets[2] << 8) | octets[3]) >>> 0;
    const mask = prefix === 0 ? 0 : (0xffffffff << (32 - prefix)) >>> 0;
    if ((addr & mask) >>> 0 !== addr) return `"${text}" has host bits set (network address is ${formatIpv4((addr & mask) >>> 0)}/${prefix})`;
    return { base: addr, prefix };
}

/** Parses an IPv6 CIDR loosely enough to validate it: hextets, one "::", prefix 0..128. */
export function parseIpv6Cidr(text: string): { prefix: number } | string {
    const slash = text.lastIndexOf("/");
    if (slash < 0) return `"${text}" is not a CIDR (missing /prefix)`;
    const addr = text.slice(0, slash);
    const prefixText = text.slice(slash + 1);
    if (!/^\d{1,3}$/.test(prefixText) || Number(prefixText) > 128) return `"${text}" has an invalid IPv6 prefix length`;
    const halves = addr.split("::");
    if (halves.length > 2) return `"${text}" has more than one "::"`;
    const groups = halves.flatMap((h) => (h === "" ? [] : h.split(":")));
    if (groups.some((g) => !/^[0-9a-fA-F]{1,4}$/.test(g))) return `"${text}" is not an IPv6 CIDR`;
    if (halves.length === 1 ? groups.length !== 8 : groups.length > 7) return `"${text}" has the wrong number of IPv6 groups`;
    return { prefix: Number(prefixText) };
}

/** Either family; the error names the value. */
export function parseCidr(text: string): { family: 4 | 6; prefix: number } | string {
    if (typeof text !== "string") return `${JSON.stringify(text)} is not a string`;
    if (text.includes(":")) {
        const r = parseIpv6Cidr(text);
        return typeof r === "string" ? r : { family: 6, prefix: r.prefix };
    }
    const r = parseIpv4Cidr(text);
    return typeof r === "string" ? r : { family: 4, prefix: r.prefix };
}

export function formatIpv4(addr: number): string {
    return [24, 16, 8, 0].map((s) => (addr >>> s) & 255).join(".");
}

/** The `index`-th subnet of `bits` more prefix bits inside `cidr`. */
export function subnetOf(cidr: Ipv4Cidr, bits: number, index: number): string {
    const prefix = cidr.prefix + bits;
    if (prefix > 32 || index >= 2 ** bits) throw new Error(`cannot carve subnet ${index} of /${prefix} from /${cidr.prefix}`);
    const base = (cidr.base + index * 2 ** (32 - prefix)) >>> 0;
    return `${formatIpv4(base)}/${prefix}`;
}

/** Up to eight zones: sixteen equal blocks, private subnets first, public ones from block 8. */
export const SUBNET_BITS = 4;
export const MAX_ZONES = 8;
/** The VPC must leave room for /24 subnets at least. */
export const MAX_VPC_PREFIX = 24 - SUBNET_BITS;

export interface SubnetLayout {
    readonly private: string[];
    readonly public: string[];
}

/** Subnet CIDRs by zone position; a zone keeps its blocks as long as its position in the zone list does. */
export function subnetLayout(vpcCidr: string, zoneCount: number): SubnetLayout {
    const vpc = parseIpv4Cidr(vpcCidr);
    if (typeof vpc === "string") throw new Error(vpc);
    const zones = Array.from({ length: zoneCount }, (_, z) => z);
    return {
        private: zones.map((z) => subnetOf(vpc, SUBNET_BITS, z)),
        public: zones.map((z) => subnetOf(vpc, SUBNET_BITS, MAX_ZONES + z)),
    };
}
