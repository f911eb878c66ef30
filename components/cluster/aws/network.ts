// The VPC: one private and one public subnet per zone, a NAT gateway per zone
// (losing a zone never cuts the other zones' egress) or one for the stack
// (natGateways: single, fewer Elastic IPs), and one security group per
// rule-model group with exactly the model's rules.
import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { subnetLayout } from "./cidr";
import { natGatewayCount, type AwsClusterOptions } from "./options";
import { GROUPS, ingressRules, type GroupName } from "./security";

export interface Network {
    readonly vpc: aws.ec2.Vpc;
    readonly privateSubnets: aws.ec2.Subnet[];
    readonly publicSubnets: aws.ec2.Subnet[];
    readonly groups: Record<GroupName, aws.ec2.SecurityGroup>;
}

export function clusterTag(clusterName: string): Record<string, string> {
    // The cloud controller finds the cluster's resources by this tag.
    return { [`kubernetes.io/cluster/${clusterName}`]: "owned" };
}

export function createNetwork(
    name: string,
    clusterName: string,
    opts: AwsClusterOptions,
    /** Zone name by position: from config, or from aws.getAvailabilityZones. */
    zoneName: (z: number) => pulumi.Input<string>,
    ro: pulumi.CustomResourceOptions,
): Network {
    const tags = (n: pulumi.Input<string>, extra: Record<string, string> = {}) => ({ Name: pulumi.interpolate`${clusterName}-${n}`, ...clusterTag(clusterName), ...extra });
    const layout = subnetLayout(opts.vpcCidr, opts.zoneCount);
    const vpc = new aws.ec2.Vpc(`${name}-vpc`, { cidrBlock: opts.vpcCidr, enableDnsHostnames: true, enableDnsSupport: true, tags: tags("vpc") }, ro);
    const igw = new aws.ec2.InternetGateway(`${name}-igw`, { vpcId: vpc.id, tags: tags("igw") }, ro);
    const publicRoutes = new aws.ec2.RouteTable(`${name}-public`, { vpcId: vpc.id, routes: [{ cidrBlock: "0.0.0.0/0", gatewayId: igw.id }], tags: tags("public") }, ro);

    const privateSubnets: aws.ec2.Subnet[] = [];
    const publicSubnets: aws.ec2.Subnet[] = [];
    const nats: aws.ec2.NatGateway[] = [];
    for (let z = 0; z < opts.zoneCount; z++) {
        const zone = zoneName(z);
        const pub = new aws.ec2.Subnet(
            `${name}-public-${z}`,
            { vpcId: vpc.id, availabilityZone: zone, cidrBlock: layout.public[z], mapPublicIpOnLaunch: false, tags: tags(pulumi.interpolate`public-${zone}`, { "kubernetes.io/role/elb": "1" }) },
            ro,
        );
        new aws.ec2.RouteTableAssociation(`${name}-public-${z}`, { subnetId: pub.id, routeTableId: publicRoutes.id }, ro);
        if (z < natGatewayCount(opts)) {
            const eip = new aws.ec2.Eip(`${name}-nat-${z}`, { domain: "vpc", tags: tags(pulumi.interpolate`nat-${zone}`) }, ro);
            nats.push(new aws.ec2.NatGateway(`${name}-nat-${z}`, { allocationId: eip.id, subnetId: pub.id, tags: tags(pulumi.interpolate`nat-${zone}`) }, ro));
        }
        const nat = nats[Math.min(z, nats.length - 1)];
        const priv = new aws.ec2.Subnet(
            `${name}-private-${z}`,
            { vpcId: vpc.id, availabilityZone: zone, cidrBlock: layout.private[z], tags: tags(pulumi.interpolate`private-${zone}`, { "kubernetes.io/role/internal-elb": "1" }) },
            ro,
        );
        const routes = new aws.ec2.RouteTable(`${name}-private-${z}`, { vpcId: vpc.id, routes: [{ cidrBlock: "0.0.0.0/0", natGatewayId: nat.id }], tags: tags(pulumi.interpolate`private-${zone}`) }, ro);
        new aws.ec2.RouteTableAssociation(`${name}-private-${z}`, { subnetId: priv.id, routeTableId: routes.id }, ro);
        publicSubnets.push(pub);
        privateSubnets.push(priv);
    }

    const groups = {} as Record<GroupName, aws.ec2.SecurityGroup>;
    for (const g of GROUPS) {
        groups[g] = new aws.ec2.SecurityGroup(
            `${name}-sg-${g}`,
            { vpcId: vpc.id, description: `matrix-scale ${clusterName} ${g}`, tags: tags(`sg-${g}`) },
            ro,
        );
        // Egress stays open: servers install packages, pull images and call AWS APIs.
        new aws.vpc.SecurityGroupEgressRule(
            `${name}-sg-${g}-egress`,
            { securityGroupId: groups[g].id, ipProtocol: "-1", cidrIpv4: "0.0.0.0/0", description: "all egress" },
            ro,
        );
    }
    ingressRules(opts).forEach((r) => {
        const source =
            "group" in r.source
                ? { referencedSecurityGroupId: groups[r.source.group].id }
                : r.source.cidr.includes(":")
                  ? { cidrIpv6: r.source.cidr }
                  : { cidrIpv4: r.source.cidr };
        const ruleName = `${name}-sg-${r.group}-${r.protocol}-${r.fromPort}-${r.toPort}-${"group" in r.source ? r.source.group : r.source.cidr.replace(/[:/.]/g, "_")}`;
        new aws.vpc.SecurityGroupIngressRule(
            ruleName,
            { securityGroupId: groups[r.group].id, ipProtocol: r.protocol, fromPort: r.fromPort, toPort: r.toPort, description: r.description, ...source },
            ro,
        );
    });
    return { vpc, privateSubnets, publicSubnets, groups };
}
