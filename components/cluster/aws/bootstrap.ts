// Cloud-init user data for every server, produced by pure functions. The user
// data holds no secrets: the scripts read the cluster PKI and the bootstrap
// token from SSM Parameter Store (SecureString) at boot, using the instance
// role. It depends only on the server's role and index and on cluster-wide
// values (endpoint, versions, CIDRs), never on the tier, so a tier change
// never touches a server's user data.
import { createHash } from "crypto";
import { gunzipSync, gzipSync } from "zlib";
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
    label: { path: "/usr/local/sbin/matrix-label-nodes", file: "label-nodes.sh" },
    rotateToken: { path: "/usr/local/sbin/matrix-rotate-token", file: "rotate-token.sh" },
} as const;

/** Scripts every server carries; control-plane servers add the cluster-wide duties (labels, serving certificates, token). */
export const NODE_SCRIPTS = ["prepare", "join", "grow"] as const;
export const CONTROL_PLANE_SCRIPTS = ["label", "rotateToken"] as const;

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
    /** DNS name of the internal API load balancer (kubeadm's controlPlaneEndpoint). */
    readonly apiEndpoint: string;
    /** Further names the API server certificate must carry (the public admin endpoint). */
    readonly extraApiSans?: readonly string[];
    /** Authorised keys for the default user; without them sshd is disabled. */
    readonly sshPublicKeys?: readonly string[];
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

/**
 * Hours a bootstrap token is valid. The token in SSM is replaced well before
 * that by the control plane (matrix-rotate-token, every JOIN_TOKEN_ROTATE_HOURS),
 * so a server joining at any time finds a valid one, and a leaked token
 * stops working within a day.
 */
export const JOIN_TOKEN_TTL_HOURS = 24;
export const JOIN_TOKEN_ROTATE_HOURS = 6;

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
        ["JOIN_TOKEN_TTL", `${JOIN_TOKEN_TTL_HOURS}h0m0s`],
        ["API_SANS", [input.apiEndpoint, ...(input.extraApiSans ?? [])].join(",")],
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

/** A oneshot service and its timer running `script` every `every` (systemd time span). */
function timerUnits(unit: string, description: string, script: string, every: string): { path: string; content: string }[] {
    return [
        { path: `/etc/systemd/system/${unit}.service`, content: `[Unit]\nDescription=${description}\n\n[Service]\nType=oneshot\nExecStart=${script}\n` },
        {
            path: `/etc/systemd/system/${unit}.timer`,
            content: `[Unit]\nDescription=${description} (every ${every})\n\n[Timer]\nOnBootSec=1min\nOnUnitActiveSec=${every}\n\n[Install]\nWantedBy=timers.target\n`,
        },
    ];
}

/** Timers only control-plane servers run: node labels and serving certificates every minute, the join token every few hours. */
export const CONTROL_PLANE_TIMERS = ["matrix-label-nodes.timer", "matrix-rotate-token.timer"] as const;

/** The cloud-config document (without the #cloud-config header) as an object. */
export function cloudConfig(input: BootstrapInput): Record<string, unknown> {
    // Compressed: the scripts would otherwise take the control plane's user data past EC2's 16 KB.
    const exec = (name: keyof typeof SCRIPTS) => ({
        path: SCRIPTS[name].path,
        permissions: "0755",
        owner: "root:root",
        encoding: "gz+b64",
        content: gzipSync(Buffer.from(scriptSource(name), "utf8"), { level: 9 }).toString("base64"),
    });
    const unit = (f: { path: string; content: string }) => ({ ...f, permissions: "0644", owner: "root:root" });
    const controlPlane = input.role === "controlPlane";
    const keys = input.sshPublicKeys ?? [];
    return {
        // No passwords, no root login. SSH only when keys are configured (and
        // the security group opens 22 to matrix:cluster.sshCidrs); otherwise
        // sshd is off: the Debian image ships no SSM agent.
        ssh_pwauth: false,
        disable_root: true,
        ...(keys.length > 0 ? { ssh_authorized_keys: [...keys] } : {}),
        package_update: true,
        packages: ["apt-transport-https", "ca-certificates", "curl", "gpg", "awscli", "xfsprogs"],
        write_files: [
            { path: NODE_ENV_PATH, permissions: "0644", owner: "root:root", content: nodeEnv(input) },
            ...NODE_SCRIPTS.map(exec),
            unit({ path: "/etc/systemd/system/matrix-data-grow.service", content: GROW_SERVICE }),
            unit({ path: "/etc/systemd/system/matrix-data-grow.timer", content: GROW_TIMER }),
            ...(controlPlane
                ? [
                      ...CONTROL_PLANE_SCRIPTS.map(exec),
                      ...timerUnits("matrix-label-nodes", "Label nodes and approve serving certificates from EC2's facts", SCRIPTS.label.path, "1min").map(unit),
                      ...timerUnits("matrix-rotate-token", "Rotate the kubeadm bootstrap token", SCRIPTS.rotateToken.path, `${JOIN_TOKEN_ROTATE_HOURS}h`).map(unit),
                  ]
                : []),
        ],
        runcmd: [
            ...(keys.length > 0 ? [] : [["systemctl", "disable", "--now", "ssh.service"]]),
            [SCRIPTS.prepare.path],
            [SCRIPTS.join.path],
            ...(controlPlane ? [["systemctl", "enable", "--now", ...CONTROL_PLANE_TIMERS]] : []),
        ],
    };
}

/** A write_files entry's content as the server will write it (cloud-init decodes gz+b64). */
export function writtenContent(file: { content: string; encoding?: string }): string {
    return file.encoding === "gz+b64" ? gunzipSync(Buffer.from(file.content, "base64")).toString("utf8") : file.content;
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
