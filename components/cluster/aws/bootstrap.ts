// Cloud-init user data for every server, produced by pure functions. The user
// data holds no secrets: the scripts read the cluster PKI and the bootstrap
// token from SSM Parameter Store (SecureString) at boot, using the instance
// role. It depends only on the server's role and index and on cluster-wide
// values (endpoint, versions, CIDRs), never on the tier, so a tier change
// never touches a server's user data.
import { createHash } from "crypto";
import * as fs from "fs";
import * as path from "path";
import { stringify } from "yaml";
import { ROLE_LABEL, ROLE_VALUES, SERVER_LABEL, TAINTED_ROLES } from "../../contracts";
import type { NodeRole } from "../../../sizing/types";
import { CONTAINERD_APT_VERSION, KUBERNETES_APT_VERSION, KUBERNETES_MINOR, KUBERNETES_VERSION } from "./versions";

const SCRIPT_DIR = path.join(__dirname, "scripts");

/** The shell scripts shipped in user data, by install path. Static files, checked with shellcheck. */
export const SCRIPTS = {
    prepare: { path: "/usr/local/sbin/matrix-prepare-node", file: "prepare-node.sh" },
    join: { path: "/usr/local/sbin/matrix-join-node", file: "join-node.sh" },
    grow: { path: "/usr/local/sbin/matrix-grow-data", file: "grow-data.sh" },
} as const;

export function scriptSource(name: keyof typeof SCRIPTS): string {
    return fs.readFileSync(path.join(SCRIPT_DIR, SCRIPTS[name].file), "utf8");
}

export const NODE_ENV_PATH = "/etc/matrix-scale/node.env";

export interface BootstrapInput {
    readonly clusterName: string;
    readonly role: NodeRole;
    readonly index: number;
    /** Stable server name, e.g. database-0. */
    readonly serverName: string;
    readonly region: string;
    /** DNS name of the internal API load balancer. */
    readonly apiEndpoint: string;
    /** SSM parameter path prefix holding pki/* and join-token. */
    readonly ssmPrefix: string;
    /** "sha256:<hex>" of the cluster CA's public key, for token discovery. */
    readonly caCertHash: string;
    readonly podCidr: string;
    readonly serviceCidr: string;
    /** The data disks: EBS volume ids in disk order (k = 0..n-1), "instance-store", or undefined for none. */
    readonly dataDisks?: { readonly ebsVolumeIds: readonly string[] } | "instance-store";
}

/** Parent of the data disks' mount points on every server but the control plane. */
export const DATA_ROOT = "/var/lib/matrix-scale/data";

/**
 * Where data disk k of a role is mounted: etcd's data on control-plane
 * servers (one disk), `${DATA_ROOT}/disk-<k>` elsewhere. The local
 * PersistentVolumes of database and storage servers point at these paths.
 */
export function dataMountPath(role: NodeRole, k: number): string {
    if (!Number.isInteger(k) || k < 0) throw new Error(`disk index must be a non-negative integer, got ${k}`);
    if (role === "controlPlane") {
        if (k !== 0) throw new Error("control-plane servers have one data disk (etcd)");
        return "/var/lib/etcd";
    }
    return `${DATA_ROOT}/disk-${k}`;
}

/**
 * The device path pattern of each data disk, in disk order. On Nitro, EBS
 * volumes are NVMe devices whose serial is the volume id without its dash;
 * udev links them by id, so disk k is found whatever name the kernel gave it.
 */
export function dataDevicePatterns(disks: BootstrapInput["dataDisks"]): string[] {
    if (disks === undefined) return [];
    if (disks === "instance-store") return ["/dev/disk/by-id/nvme-Amazon_EC2_NVMe_Instance_Storage_*"];
    return disks.ebsVolumeIds.map((id) => {
        // DATA_DISKS splits on spaces and '='; an EBS id ("vol-0abc...") has neither.
        if (!/^[A-Za-z0-9-]+$/.test(id)) throw new Error(`not an EBS volume id: "${id}"`);
        return `/dev/disk/by-id/nvme-Amazon_Elastic_Block_Store_${id.replace("-", "")}`;
    });
}

/**
 * DATA_DISKS for node.env: space-separated `<device pattern>=<mount point>`,
 * disk k at position k. Neither part can hold a space or '=' (volume ids and
 * the fixed paths above), which the scripts rely on to split them.
 */
export function dataDisksEnv(role: NodeRole, disks: BootstrapInput["dataDisks"]): string {
    return dataDevicePatterns(disks)
        .map((pattern, k) => `${pattern}=${dataMountPath(role, k)}`)
        .join(" ");
}

/** Single-quotes a value for a POSIX shell. */
export function shellQuote(value: string): string {
    return `'${value.replace(/'/g, `'\\''`)}'`;
}

/** Seconds a control-plane server waits before joining, so etcd members are added one at a time. */
export const JOIN_STAGGER_SECONDS_PER_INDEX = 120;

export function nodeEnv(input: BootstrapInput): string {
    const vars: [string, string][] = [
        ["CLUSTER_NAME", input.clusterName],
        ["ROLE_LABEL", ROLE_LABEL],
        ["ROLE_VALUE", ROLE_VALUES[input.role]],
        ["SERVER_LABEL", SERVER_LABEL],
        ["SERVER_NAME", input.serverName],
        ["TAINTED", String(TAINTED_ROLES.includes(input.role))],
        ["INIT_ALLOWED", String(input.role === "controlPlane" && input.index === 0)],
        ["JOIN_STAGGER_SECONDS", String(input.role === "controlPlane" ? input.index * JOIN_STAGGER_SECONDS_PER_INDEX : 0)],
        ["AWS_REGION", input.region],
        ["API_ENDPOINT", input.apiEndpoint],
        ["SSM_PREFIX", input.ssmPrefix],
        ["CA_CERT_HASH", input.caCertHash],
        ["POD_CIDR", input.podCidr],
        ["SERVICE_CIDR", input.serviceCidr],
        ["KUBERNETES_VERSION", KUBERNETES_VERSION],
        ["KUBERNETES_MINOR", KUBERNETES_MINOR],
        ["KUBERNETES_APT_VERSION", KUBERNETES_APT_VERSION],
        ["CONTAINERD_APT_VERSION", CONTAINERD_APT_VERSION],
        ["DATA_DISKS", dataDisksEnv(input.role, input.dataDisks)],
    ];
    return ["# Written by matrix-scale at first boot; no secrets.", ...vars.map(([k, v]) => `export ${k}=${shellQuote(v)}`)].join("\n") + "\n";
}

const GROW_SERVICE = `[Unit]
Description=Grow the matrix-scale data filesystems after their volumes were enlarged

[Service]
Type=oneshot
ExecStart=${SCRIPTS.grow.path}
`;

const GROW_TIMER = `[Unit]
Description=Check every 10 minutes whether a data volume grew

[Timer]
OnBootSec=5min
OnUnitActiveSec=10min

[Install]
WantedBy=timers.target
`;

/** The cloud-config document (without the #cloud-config header) as an object. */
export function cloudConfig(input: BootstrapInput): Record<string, unknown> {
    const exec = (name: keyof typeof SCRIPTS) => ({
        path: SCRIPTS[name].path,
        permissions: "0755",
        owner: "root:root",
        content: scriptSource(name),
    });
    return {
        // Administration is through SSM Session Manager: no SSH keys, no passwords.
        ssh_pwauth: false,
        disable_root: true,
        package_update: true,
        packages: ["apt-transport-https", "ca-certificates", "curl", "gpg", "awscli", "xfsprogs"],
        write_files: [
            { path: NODE_ENV_PATH, permissions: "0644", owner: "root:root", content: nodeEnv(input) },
            exec("prepare"),
            exec("join"),
            exec("grow"),
            {
                path: "/etc/systemd/system/matrix-data-grow.service",
                permissions: "0644",
                owner: "root:root",
                content: GROW_SERVICE,
            },
            { path: "/etc/systemd/system/matrix-data-grow.timer", permissions: "0644", owner: "root:root", content: GROW_TIMER },
        ],
        runcmd: [
            ["systemctl", "disable", "--now", "ssh.service"],
            [SCRIPTS.prepare.path],
            [SCRIPTS.join.path],
        ],
    };
}

/** EC2 rejects user data above 16 KB (before base64 encoding). */
export const USER_DATA_LIMIT_BYTES = 16384;

export function userData(input: BootstrapInput): string {
    const doc = `#cloud-config\n${stringify(cloudConfig(input), { lineWidth: 0 })}`;
    const size = Buffer.byteLength(doc, "utf8");
    if (size > USER_DATA_LIMIT_BYTES) {
        throw new Error(`user data for ${input.serverName} is ${size} bytes; EC2 accepts at most ${USER_DATA_LIMIT_BYTES} (move content into a fetched script)`);
    }
    return doc;
}

/**
 * "sha256:<hex>" of a PEM public key's SubjectPublicKeyInfo, the value kubeadm
 * expects in discovery.bootstrapToken.caCertHashes. A "PUBLIC KEY" PEM body is
 * exactly the SPKI DER, so hashing the decoded body is enough (the test
 * compares with openssl for a real key).
 */
export function caCertHashFromPublicKeyPem(publicKeyPem: string): string {
    const m = /-----BEGIN PUBLIC KEY-----([A-Za-z0-9+/=\s]+)-----END PUBLIC KEY-----/.exec(publicKeyPem ?? "");
    if (!m) throw new Error("the cluster CA's public key is not a PEM \"PUBLIC KEY\" block");
    const der = Buffer.from(m[1].replace(/\s+/g, ""), "base64");
    return `sha256:${createHash("sha256").update(der).digest("hex")}`;
}
