// Which inputs make the provider replace a resource when they change (the AWS
// provider schema's ForceNew; pulumi-kubernetes' forceNew table), for the
// resources that carry a server's identity and data.

export const INSTANCE = "aws:ec2/instance:Instance";
export const VOLUME = "aws:ebs/volume:Volume";
export const ATTACHMENT = "aws:ec2/volumeAttachment:VolumeAttachment";
export const PERSISTENT_VOLUME = "kubernetes:core/v1:PersistentVolume";

export const REPLACING_INPUTS: Record<string, string[]> = {
    [INSTANCE]: [
        "ami", "availabilityZone", "subnetId", "associatePublicIpAddress", "privateIp", "keyName", "placementGroup", "tenancy",
        "userData", "userDataReplaceOnChange", "rootBlockDevice.encrypted", "rootBlockDevice.kmsKeyId", "ebsBlockDevices", "networkInterfaces", "hostId",
    ],
    [VOLUME]: ["availabilityZone", "encrypted", "kmsKeyId", "snapshotId", "outpostArn"],
    [ATTACHMENT]: ["deviceName", "instanceId", "volumeId"],
    // pulumi-kubernetes replaces a PersistentVolume when its name or volume source changes.
    [PERSISTENT_VOLUME]: ["metadata.name", "spec.local"],
};

export function at(obj: Record<string, any>, path: string): unknown {
    return path.split(".").reduce<any>((o, k) => (o === undefined || o === null ? undefined : o[k]), obj);
}
