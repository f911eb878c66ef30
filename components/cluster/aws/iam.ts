// IAM policy documents for the two instance roles, as pure data. Control-plane
// servers run the cloud controller (node controllers only: EC2 describe calls)
// and the EBS CSI controller (AWS's managed policy, which scopes deletes to
// volumes the driver tagged); all servers may read only their own bootstrap
// parameters. Nothing else: ordinary pods cannot borrow these rights because
// the instance metadata service answers only one network hop outside the
// control plane (see metadataHopLimit).

export const SSM_CORE_POLICY_ARN = "arn:aws:iam::aws:policy/AmazonSSMManagedInstanceCore";
export const EBS_CSI_POLICY_ARN = "arn:aws:iam::aws:policy/service-role/AmazonEBSCSIDriverPolicy";

export function assumeRolePolicy(): string {
    return JSON.stringify({
        Version: "2012-10-17",
        Statement: [{ Effect: "Allow", Principal: { Service: "ec2.amazonaws.com" }, Action: "sts:AssumeRole" }],
    });
}

export function ssmParameterArn(region: string, accountId: string, name: string): string {
    return `arn:aws:ssm:${region}:${accountId}:parameter${name}`;
}

/** Read access to bootstrap parameters: control plane reads the whole prefix (PKI + token), workers only the join token. */
export function bootstrapReadPolicy(parameterArns: readonly string[]): string {
    return JSON.stringify({
        Version: "2012-10-17",
        Statement: [{ Effect: "Allow", Action: ["ssm:GetParameter"], Resource: [...parameterArns] }],
    });
}

export function cloudControllerPolicy(): string {
    return JSON.stringify({
        Version: "2012-10-17",
        Statement: [
            {
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
            },
        ],
    });
}
