// provider: aws — the guide's seven server roles on EC2 with an HA kubeadm
// control plane behind an internal NLB, the cluster add-ons, and a k8s
// provider for every other component. Everything decided here comes from the
// pure modules next to it; this file only turns their output into resources.
import * as aws from "@pulumi/aws";
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { DEFAULT_STORAGE_CLASSES, EDGE_NODE_PORTS, ROLE_LABEL, ROLE_VALUES, SERVER_LABEL } from "../../contracts";
import type { DiskType, NodeRole, Plan } from "../../../sizing/types";
import { ciliumValues, cloudControllerValues, ebsCsiValues, metricsServerValues, storageClassSpecs } from "./addons";
import { caCertHashFromPublicKeyPem, userData } from "./bootstrap";
import { assumeRolePolicy, bootstrapReadPolicy, cloudControllerPolicy, EBS_CSI_POLICY_ARN, SSM_CORE_POLICY_ARN } from "./iam";
import { buildInventory, type Inventory, type ServerSpec } from "./inventory";
import { localVolumeSpecs, persistentVolumeBody } from "./local-volumes";
import { adminKubeconfig } from "./kubeconfig";
import { clusterTag, createNetwork } from "./network";
import type { AwsClusterOptions } from "./options";
import { createPki } from "./pki";
import { groupsOf } from "./security";
import { CHARTS, DEBIAN_AMI_NAME, DEBIAN_AMI_OWNER } from "./versions";

/**
 * IMDSv2 hop limit. 1 keeps the instance role away from ordinary pods (one
 * extra hop through the pod network); control-plane servers allow 2 because
 * the EBS CSI controller, which needs the role, is a pod there. Only system
 * pods tolerate the control-plane taint, so no workload gets those rights.
 */
export function metadataHopLimit(role: NodeRole): number {
    return role === "controlPlane" ? 2 : 1;
}

/** Attachment device of data disk k: /dev/sdf, /dev/sdg, ... (the bootstrap finds disks by volume id, not by this name). */
export function dataDeviceName(k: number): string {
    if (!Number.isInteger(k) || k < 0 || k > 10) throw new Error(`data disk index ${k} outside /dev/sdf../dev/sdp`);
    return `/dev/sd${String.fromCharCode("f".charCodeAt(0) + k)}`;
}

/** Roles whose servers and volumes hold data that a replacement would lose. */
export const STATEFUL_ROLES: readonly NodeRole[] = ["database", "storage"];

export interface AwsClusterArgs {
    readonly plan: Plan;
    readonly options: AwsClusterOptions;
    readonly clusterName: string;
}

export class AwsCluster extends pulumi.ComponentResource {
    readonly inventory: Inventory;
    readonly kubeconfig: pulumi.Output<string>;
    readonly provider: k8s.Provider;
    readonly storageClasses: Readonly<Record<DiskType, string>>;
    readonly apiEndpoint: pulumi.Output<string>;
    readonly edgeHostname: pulumi.Output<string>;
    /** Public addresses of the call servers, by server name (stable across instance replacement). */
    readonly callAddresses: Record<string, pulumi.Output<string>>;

    constructor(name: string, args: AwsClusterArgs, opts?: pulumi.ComponentResourceOptions) {
        // Built before anything is registered: an impossible inventory fails here.
        const inventory = buildInventory(args.plan, args.options);
        super("matrix:cluster:AwsCluster", name, {}, opts);
        this.inventory = inventory;
        for (const w of inventory.warnings) pulumi.log.warn(w, this);

        const o = args.options;
        const clusterName = args.clusterName;
        const awsProvider = new aws.Provider(`${name}-aws`, { region: o.region as aws.Region, defaultTags: { tags: { "matrix-scale.io/cluster": clusterName } } }, { parent: this });
        const ro: pulumi.CustomResourceOptions = { parent: this, provider: awsProvider };
        const ssmPrefix = `/matrix-scale/${clusterName}`;

        const net = createNetwork(name, clusterName, o, ro);
        const pki = createPki(name, ssmPrefix, ro);

        // Internal NLB in front of the API servers. Client IP preservation off:
        // a control-plane server reaching the API through the NLB may land on itself.
        const apiLb = new aws.lb.LoadBalancer(
            `${name}-api`,
            { internal: true, loadBalancerType: "network", subnets: net.privateSubnets.map((s) => s.id), securityGroups: [net.groups.apiLb.id], enableCrossZoneLoadBalancing: true },
            ro,
        );
        const apiTg = new aws.lb.TargetGroup(
            `${name}-api`,
            { port: 6443, protocol: "TCP", vpcId: net.vpc.id, targetType: "instance", preserveClientIp: "false", healthCheck: { protocol: "TCP", port: "6443", interval: 10 } },
            ro,
        );
        new aws.lb.Listener(`${name}-api`, { loadBalancerArn: apiLb.arn, port: 6443, protocol: "TCP", defaultActions: [{ type: "forward", targetGroupArn: apiTg.arn }] }, ro);
        this.apiEndpoint = apiLb.dnsName;

        // Public edge: 443 (+80 when enabled) to the gateway's NodePorts on app servers. Federation
        // arrives on 443 too (.well-known/matrix/server delegation), so 8448 is never opened.
        const edgeLb = new aws.lb.LoadBalancer(
            `${name}-edge`,
            { internal: false, loadBalancerType: "network", subnets: net.publicSubnets.map((s) => s.id), securityGroups: [net.groups.edgeLb.id], enableCrossZoneLoadBalancing: true },
            ro,
        );
        const edgePorts: [string, number, number][] = [["https", 443, EDGE_NODE_PORTS.https]];
        if (o.edgeHttp) edgePorts.push(["http", 80, EDGE_NODE_PORTS.http]);
        const edgeTgs = edgePorts.map(([port, listen, nodePort]) => {
            const tg = new aws.lb.TargetGroup(`${name}-edge-${port}`, { port: nodePort, protocol: "TCP", vpcId: net.vpc.id, targetType: "instance", healthCheck: { protocol: "TCP" } }, ro);
            new aws.lb.Listener(`${name}-edge-${port}`, { loadBalancerArn: edgeLb.arn, port: listen, protocol: "TCP", defaultActions: [{ type: "forward", targetGroupArn: tg.arn }] }, ro);
            return { port, tg, nodePort };
        });
        this.edgeHostname = edgeLb.dnsName;

        const profiles = this.instanceProfiles(name, clusterName, pki.controlPlaneParameters, pki.joinTokenParameter, ro);

        const amis: Partial<Record<string, pulumi.Output<string>>> = {};
        const amiFor = (arch: "x86_64" | "arm64") =>
            (amis[arch] ??= aws.ec2
                .getAmiOutput(
                    { owners: [DEBIAN_AMI_OWNER], mostRecent: true, filters: [{ name: "name", values: [DEBIAN_AMI_NAME[arch]] }, { name: "architecture", values: [arch] }] },
                    { parent: this, provider: awsProvider },
                )
                .apply((a) => a.id));

        const caCertHash = pki.caPublicKeyPem.apply(caCertHashFromPublicKeyPem);
        this.callAddresses = {};
        const previousOfRole: Partial<Record<NodeRole, pulumi.Resource>> = {};
        for (const server of inventory.servers) {
            const stateful = STATEFUL_ROLES.includes(server.role);
            // Volume k of a server is named by (server, k) only, so a tier change never renames or moves it.
            const volumes = server.dataVolumes.map(
                (v) =>
                    new aws.ebs.Volume(
                        `${name}-${server.name}-data-${v.index}`,
                        {
                            availabilityZone: server.zone,
                            size: v.sizeGiB,
                            type: v.type,
                            iops: v.iops,
                            throughput: v.throughputMiBps,
                            encrypted: true,
                            finalSnapshot: stateful,
                            tags: { Name: `${clusterName}-${server.name}-data-${v.index}`, [SERVER_LABEL]: server.name, ...clusterTag(clusterName) },
                        },
                        // A stateful volume is never deleted by a `pulumi up`: shrinking a role fails loudly instead.
                        { ...ro, protect: stateful },
                    ),
            );
            const subnets = server.subnet === "public" ? net.publicSubnets : net.privateSubnets;
            const ud = pulumi
                .all([apiLb.dnsName, caCertHash, pulumi.all(volumes.map((v) => v.id))])
                .apply(([apiEndpoint, hash, volumeIds]) =>
                    userData({
                        clusterName,
                        role: server.role,
                        index: server.index,
                        serverName: server.name,
                        region: o.region,
                        apiEndpoint,
                        ssmPrefix,
                        caCertHash: hash,
                        podCidr: o.podCidr,
                        serviceCidr: o.serviceCidr,
                        dataDisks: server.instanceStoreData ? "instance-store" : volumeIds.length > 0 ? { ebsVolumeIds: volumeIds } : undefined,
                    }),
                );
            const instance = new aws.ec2.Instance(
                `${name}-${server.name}`,
                {
                    ami: amiFor(server.instance.architecture),
                    instanceType: server.instance.instanceType,
                    subnetId: subnets[server.zoneIndex].id,
                    vpcSecurityGroupIds: groupsOf(server.role).map((g) => net.groups[g].id),
                    iamInstanceProfile: server.role === "controlPlane" ? profiles.controlPlane.name : profiles.node.name,
                    userData: ud,
                    userDataReplaceOnChange: false,
                    associatePublicIpAddress: server.subnet === "public",
                    ebsOptimized: true,
                    disableApiTermination: stateful,
                    metadataOptions: { httpEndpoint: "enabled", httpTokens: "required", httpPutResponseHopLimit: metadataHopLimit(server.role) },
                    rootBlockDevice: { volumeType: "gp3", volumeSize: o.rootVolumeGiB, encrypted: true, deleteOnTermination: true },
                    tags: { Name: `${clusterName}-${server.name}`, [ROLE_LABEL]: ROLE_VALUES[server.role], [SERVER_LABEL]: server.name, ...clusterTag(clusterName) },
                },
                {
                    ...ro,
                    protect: stateful,
                    // A newer Debian AMI must not replace running servers; they are patched in place.
                    ignoreChanges: ["ami"],
                    // Stateful servers are resized one at a time: each waits for the previous one's update.
                    dependsOn: stateful && previousOfRole[server.role] ? [previousOfRole[server.role] as pulumi.Resource] : [],
                },
            );
            if (stateful) previousOfRole[server.role] = instance;
            volumes.forEach((volume, k) => {
                new aws.ec2.VolumeAttachment(
                    `${name}-${server.name}-data-${k}`,
                    { deviceName: dataDeviceName(k), volumeId: volume.id, instanceId: instance.id, stopInstanceBeforeDetaching: true },
                    ro,
                );
            });
            this.attachTargets(name, server, instance, apiTg, edgeTgs, ro);
            if (server.role === "calls") {
                const eip = new aws.ec2.Eip(`${name}-${server.name}`, { domain: "vpc", tags: { Name: `${clusterName}-${server.name}` } }, ro);
                new aws.ec2.EipAssociation(`${name}-${server.name}`, { allocationId: eip.id, instanceId: instance.id }, ro);
                this.callAddresses[server.name] = eip.publicIp;
            }
        }

        this.kubeconfig = pulumi.secret(
            pulumi
                .all([apiLb.dnsName, pki.caCertPem, pki.adminCertPem, pki.adminKeyPem])
                .apply(([host, ca, cert, key]) =>
                    adminKubeconfig({ clusterName, server: `https://${host}:6443`, caCertPem: ca, clientCertPem: cert, clientKeyPem: key, user: "matrix-scale-admin" }),
                ),
        );
        this.provider = new k8s.Provider(`${name}-k8s`, { kubeconfig: this.kubeconfig, enableServerSideApply: true }, { parent: this });
        this.storageClasses = DEFAULT_STORAGE_CLASSES;
        const classes = this.addons(name, { clusterName, region: o.region, apiEndpoint: apiLb.dnsName, podCidr: o.podCidr });
        this.localVolumes(name, args.plan, classes);

        this.registerOutputs({ kubeconfig: this.kubeconfig, apiEndpoint: this.apiEndpoint, edgeHostname: this.edgeHostname, servers: inventory.servers.length });
    }

    private instanceProfiles(
        name: string,
        clusterName: string,
        cpParams: aws.ssm.Parameter[],
        tokenParam: aws.ssm.Parameter,
        ro: pulumi.CustomResourceOptions,
    ): Record<"controlPlane" | "node", aws.iam.InstanceProfile> {
        const make = (kind: "controlPlane" | "node", readable: aws.ssm.Parameter[], managed: string[], inline: Record<string, pulumi.Input<string>>) => {
            const role = new aws.iam.Role(`${name}-${kind}`, { assumeRolePolicy: assumeRolePolicy(), description: `matrix-scale ${clusterName} ${kind} servers` }, ro);
            managed.forEach((arn, i) => new aws.iam.RolePolicyAttachment(`${name}-${kind}-managed-${i}`, { role: role.name, policyArn: arn }, ro));
            new aws.iam.RolePolicy(`${name}-${kind}-bootstrap`, { role: role.id, policy: pulumi.all(readable.map((p) => p.arn)).apply(bootstrapReadPolicy) }, ro);
            for (const [n, doc] of Object.entries(inline)) new aws.iam.RolePolicy(`${name}-${kind}-${n}`, { role: role.id, policy: doc }, ro);
            return new aws.iam.InstanceProfile(`${name}-${kind}`, { role: role.name }, ro);
        };
        return {
            controlPlane: make("controlPlane", cpParams, [SSM_CORE_POLICY_ARN, EBS_CSI_POLICY_ARN], { "cloud-controller": cloudControllerPolicy() }),
            node: make("node", [tokenParam], [SSM_CORE_POLICY_ARN], {}),
        };
    }

    private attachTargets(
        name: string,
        server: ServerSpec,
        instance: aws.ec2.Instance,
        apiTg: aws.lb.TargetGroup,
        edgeTgs: { port: string; tg: aws.lb.TargetGroup; nodePort: number }[],
        ro: pulumi.CustomResourceOptions,
    ): void {
        if (server.role === "controlPlane") {
            new aws.lb.TargetGroupAttachment(`${name}-api-${server.name}`, { targetGroupArn: apiTg.arn, targetId: instance.id, port: 6443 }, ro);
        }
        if (server.role === "app") {
            for (const e of edgeTgs) {
                new aws.lb.TargetGroupAttachment(`${name}-edge-${e.port}-${server.name}`, { targetGroupArn: e.tg.arn, targetId: instance.id, port: e.nodePort }, ro);
            }
        }
    }

    private addons(name: string, input: { clusterName: string; region: string; apiEndpoint: pulumi.Output<string>; podCidr: string }): k8s.storage.v1.StorageClass[] {
        const ko: pulumi.CustomResourceOptions = { parent: this, provider: this.provider };
        const release = (id: string, chart: { repo: string; chart: string; version: string }, values: pulumi.Input<Record<string, unknown>>, deps: pulumi.Resource[] = []) =>
            new k8s.helm.v3.Release(
                `${name}-${id}`,
                { name: id, chart: chart.chart, version: chart.version, repositoryOpts: { repo: chart.repo }, namespace: "kube-system", values, atomic: true, timeout: 900 },
                { ...ko, dependsOn: deps },
            );
        const cilium = release("cilium", CHARTS.cilium, input.apiEndpoint.apply((apiEndpoint) => ciliumValues({ ...input, apiEndpoint })));
        const ccm = release("aws-cloud-controller-manager", CHARTS.awsCloudController, cloudControllerValues({ ...input, apiEndpoint: "" }), [cilium]);
        const csi = release("aws-ebs-csi-driver", CHARTS.ebsCsi, ebsCsiValues({ ...input, apiEndpoint: "" }), [ccm]);
        release("metrics-server", CHARTS.metricsServer, metricsServerValues(), [ccm]);
        return storageClassSpecs().map(
            (sc) =>
                new k8s.storage.v1.StorageClass(
                    `${name}-sc-${sc.diskType}`,
                    {
                        metadata: { name: sc.name },
                        provisioner: sc.provisioner,
                        parameters: sc.parameters,
                        reclaimPolicy: "Retain",
                        volumeBindingMode: "WaitForFirstConsumer",
                        allowVolumeExpansion: sc.allowVolumeExpansion,
                    },
                    { ...ko, dependsOn: [csi] },
                ),
        );
    }

    /**
     * One local PersistentVolume per data disk of the database and storage
     * servers. retainOnDelete: a role shrinking (or a stack being destroyed)
     * never deletes a volume object that may still be bound to a claim.
     */
    private localVolumes(name: string, plan: Plan, classes: k8s.storage.v1.StorageClass[]): void {
        for (const pv of localVolumeSpecs(this.inventory, plan)) {
            new k8s.core.v1.PersistentVolume(`${name}-pv-${pv.name}`, persistentVolumeBody(pv), {
                parent: this,
                provider: this.provider,
                retainOnDelete: true,
                dependsOn: classes,
            });
        }
    }
}
