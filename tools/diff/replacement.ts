// Which input changes make a provider REPLACE a resource (delete and create),
// for the resources that hold data or identity. Sources: the AWS provider
// schema's ForceNew fields, pulumi-kubernetes' forceNew table, and the random
// and tls providers (every input of theirs forces a new value).

/** Input paths (dot-separated, relative to the resource's inputs) that force replacement, by resource type. */
export const REPLACING_INPUTS: Readonly<Record<string, readonly string[]>> = {
    "aws:ec2/instance:Instance": [
        "ami", "availabilityZone", "subnetId", "associatePublicIpAddress", "privateIp", "keyName", "placementGroup", "tenancy",
        "userDataReplaceOnChange", "rootBlockDevice.encrypted", "rootBlockDevice.kmsKeyId", "ebsBlockDevices", "networkInterfaces", "hostId",
    ],
    "aws:ebs/volume:Volume": ["availabilityZone", "encrypted", "kmsKeyId", "snapshotId", "outpostArn"],
    "aws:ec2/volumeAttachment:VolumeAttachment": ["deviceName", "instanceId", "volumeId"],
    "aws:ec2/eip:Eip": ["domain", "publicIpv4Pool", "address"],
    "kubernetes:apps/v1:StatefulSet": [
        "spec.volumeClaimTemplates", "spec.selector", "spec.serviceName", "spec.podManagementPolicy",
    ],
    "kubernetes:core/v1:PersistentVolumeClaim": ["spec.accessModes", "spec.selector", "spec.storageClassName", "spec.volumeName"],
    "kubernetes:core/v1:PersistentVolume": ["spec.local", "spec.storageClassName", "spec.nodeAffinity"],
    "kubernetes:postgresql.cnpg.io/v1:Cluster": ["spec.storage.storageClass", "spec.bootstrap"],
};

/** Providers whose every input change makes a new value (a new password, a new CA key). */
export const ALL_INPUTS_REPLACE_PREFIXES = ["random:", "tls:"] as const;

/** Resource types whose removal or replacement loses data or identity. */
export function isStateful(type: string): boolean {
    return (
        type in REPLACING_INPUTS ||
        ALL_INPUTS_REPLACE_PREFIXES.some((p) => type.startsWith(p)) ||
        type === "kubernetes:core/v1:Namespace" ||
        type === "aws:ssm/parameter:Parameter"
    );
}

/** Storage sizes that may grow but never shrink: the input path of the size, in GB or a Kubernetes quantity. */
export const SIZE_PATHS: Readonly<Record<string, string>> = {
    "aws:ebs/volume:Volume": "size",
    "kubernetes:core/v1:PersistentVolumeClaim": "spec.resources.requests.storage",
    "kubernetes:core/v1:PersistentVolume": "spec.capacity.storage",
    "kubernetes:postgresql.cnpg.io/v1:Cluster": "spec.storage.size",
};

export function at(obj: unknown, path: string): unknown {
    return path.split(".").reduce<any>((o, k) => (o === undefined || o === null ? undefined : o[k]), obj);
}

/** A size in bytes from a Kubernetes quantity ("500Gi", "1T") or a plain number of GB (EBS). */
export function sizeBytes(v: unknown): number | undefined {
    if (typeof v === "number") return v * 1e9;
    if (typeof v !== "string") return undefined;
    const m = /^([0-9.]+)([KMGTPE]i?)?$/.exec(v.trim());
    if (!m) return undefined;
    const units: Record<string, number> = {
        "": 1, K: 1e3, M: 1e6, G: 1e9, T: 1e12, P: 1e15, E: 1e18,
        Ki: 2 ** 10, Mi: 2 ** 20, Gi: 2 ** 30, Ti: 2 ** 40, Pi: 2 ** 50, Ei: 2 ** 60,
    };
    return Number(m[1]) * units[m[2] ?? ""]!;
}
