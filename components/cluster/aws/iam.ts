// IAM and KMS policy documents for the two instance roles, as pure data
// (tests read them as JSON). No AWS-managed policy is attached: each grant is
// written here, scoped to the resources it is for.
//
// - Control-plane servers read the cluster PKI (SSM SecureStrings encrypted
//   with a customer-managed KMS key whose key policy names only the
//   control-plane role as a user), keep the join token fresh (put on that one
//   parameter), and run the cloud controller (EC2 describe calls) and the EBS
//   CSI controller (volume calls scoped by the driver's tags).
// - Every other server reads only the join token. Ordinary pods cannot borrow
//   these rights: the metadata service answers one hop only (metadataHopLimit).
//
// There is no SSM agent in the Debian image, so no Session Manager rights.

export interface PolicyStatement {
    readonly Sid?: string;
    readonly Effect: "Allow" | "Deny";
    readonly Action: string | readonly string[];
    readonly Resource: string | readonly string[];
    readonly Principal?: Record<string, string | readonly string[]>;
    readonly Condition?: Record<string, Record<string, string | readonly string[] | boolean>>;
}

export interface PolicyDocument {
    readonly Version: "2012-10-17";
    readonly Statement: readonly PolicyStatement[];
}

const doc = (...Statement: PolicyStatement[]): PolicyDocument => ({ Version: "2012-10-17", Statement });

export function assumeRolePolicy(): string {
    return JSON.stringify({
        Version: "2012-10-17",
        Statement: [{ Effect: "Allow", Principal: { Service: "ec2.amazonaws.com" }, Action: "sts:AssumeRole" }],
    });
}

export function ssmParameterArn(region: string, accountId: string, name: string): string {
    return `arn:aws:ssm:${region}:${accountId}:parameter${name}`;
}

/** Control plane: read the PKI and the join token, decrypt with the PKI key, and replace the token when it rotates it. */
export function controlPlaneBootstrapPolicy(a: { region: string; pkiParameterArns: readonly string[]; joinTokenArn: string; pkiKeyArn: string }): PolicyDocument {
    return doc(
        { Sid: "ReadPkiAndToken", Effect: "Allow", Action: ["ssm:GetParameter"], Resource: [...a.pkiParameterArns, a.joinTokenArn] },
        { Sid: "RotateJoinToken", Effect: "Allow", Action: ["ssm:PutParameter"], Resource: [a.joinTokenArn] },
        { Sid: "DecryptPki", Effect: "Allow", Action: ["kms:Decrypt"], Resource: [a.pkiKeyArn], Condition: { StringEquals: { "kms:ViaService": `ssm.${a.region}.amazonaws.com` } } },
    );
}

/** Every other server: the join token and nothing else. */
export function workerBootstrapPolicy(a: { joinTokenArn: string }): PolicyDocument {
    return doc({ Sid: "ReadJoinToken", Effect: "Allow", Action: ["ssm:GetParameter"], Resource: [a.joinTokenArn] });
}

/**
 * Key policy of the PKI key. The account root keeps administration (without it
 * the key could become unmanageable) and, through IAM, the deployer's
 * encrypt/decrypt for writing and refreshing the parameters; no instance role
 * gets any right from IAM except the control-plane role (controlPlaneBootstrapPolicy),
 * which the key policy names explicitly.
 */
export function pkiKeyPolicy(a: { accountId: string; partition: string; controlPlaneRoleArn: string }): PolicyDocument {
    return doc(
        { Sid: "AccountAdministersTheKey", Effect: "Allow", Principal: { AWS: `arn:${a.partition}:iam::${a.accountId}:root` }, Action: "kms:*", Resource: "*" },
        { Sid: "ControlPlaneDecryptsThroughSsm", Effect: "Allow", Principal: { AWS: a.controlPlaneRoleArn }, Action: ["kms:Decrypt"], Resource: "*" },
    );
}

/** Node controllers of the cloud controller: describe calls only (they accept no resource scoping). */
export function cloudControllerPolicy(): PolicyDocument {
    return doc({
        Sid: "CloudControllerDescribe",
        Effect: "Allow",
        Action: [
            "ec2:DescribeInstances",
            "ec2:DescribeAvailabilityZones",
            "ec2:DescribeRegions",
            "ec2:DescribeSubnets",
            "ec2:DescribeVpcs",
            "ec2:DescribeSecurityGroups",
            "ec2:DescribeRouteTables",
        ],
        Resource: "*",
    });
}

/** The tag the EBS CSI driver puts on every volume it creates; its write rights are scoped to volumes carrying it. */
export const EBS_CSI_TAG = "ebs.csi.aws.com/cluster";

/**
 * The EBS CSI controller's rights, reduced from AWS's AmazonEBSCSIDriverPolicy
 * to what dynamically provisioned gp3 claims need: create volumes only with
 * the driver's tag in the cluster's region, attach/detach/modify/delete only
 * volumes carrying it (and attach to this cluster's instances), no snapshots
 * (the program uses none through the driver).
 */
export function ebsCsiPolicy(a: { region: string; clusterTagKey: string }): PolicyDocument {
    const volumes = `arn:aws:ec2:${a.region}:*:volume/*`;
    const instances = `arn:aws:ec2:${a.region}:*:instance/*`;
    return doc(
        {
            Sid: "Describe",
            Effect: "Allow",
            Action: ["ec2:DescribeAvailabilityZones", "ec2:DescribeInstances", "ec2:DescribeVolumes", "ec2:DescribeVolumesModifications", "ec2:DescribeTags"],
            Resource: "*",
        },
        { Sid: "CreateTaggedVolumes", Effect: "Allow", Action: ["ec2:CreateVolume"], Resource: [volumes], Condition: { StringLike: { [`aws:RequestTag/${EBS_CSI_TAG}`]: "true" } } },
        { Sid: "TagOnCreate", Effect: "Allow", Action: ["ec2:CreateTags"], Resource: [volumes], Condition: { StringEquals: { "ec2:CreateAction": "CreateVolume" } } },
        {
            Sid: "ManageOwnVolumes",
            Effect: "Allow",
            Action: ["ec2:AttachVolume", "ec2:DetachVolume", "ec2:ModifyVolume", "ec2:DeleteVolume"],
            Resource: [volumes],
            Condition: { StringLike: { [`ec2:ResourceTag/${EBS_CSI_TAG}`]: "true" } },
        },
        {
            Sid: "AttachToClusterInstances",
            Effect: "Allow",
            Action: ["ec2:AttachVolume", "ec2:DetachVolume"],
            Resource: [instances],
            Condition: { StringEquals: { [`ec2:ResourceTag/${a.clusterTagKey}`]: "owned" } },
        },
    );
}
