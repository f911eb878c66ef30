// provider: aws — the guide's seven server roles on EC2 with an HA kubeadm
// control plane behind an internal NLB (plus an internet-facing admin NLB
// restricted to the admin networks), the cluster add-ons, and a k8s provider
// for every other component that waits for the API to be ready. Everything
// decided here comes from the pure modules next to it; this file only turns
// their output into resources.
import * as aws from "@pulumi/aws";
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { DEFAULT_STORAGE_CLASSES, EDGE_NODE_PORTS, ROLE_LABEL, ROLE_VALUES, SERVER_LABEL } from "../../contracts";
import type { DiskType, NodeRole, Plan } from "../../../sizing/types";
import { ciliumValues, cloudControllerValues, ebsCsiValues, metricsServerValues, storageClassSpecs } from "./addons";
import { ApiReady } from "./api-ready";
import { caCertHashFromPublicKeyPem, userData } from "./bootstrap";
import { assumeRolePolicy, cloudControllerPolicy, controlPlaneBootstrapPolicy, ebsCsiPolicy, pkiKeyPolicy, workerBootstrapPolicy, type PolicyDocument } from "./iam";
import { buildInventory, STATEFUL_ROLES, withStatefulFloor, type Inventory, type InventoryPlan, type ServerSpec } from "./inventory";
import { localVolumeSpecs, persistentVolumeBody } from "./local-volumes";
import { adminKubeconfig } from "./kubeconfig";
import { clusterTag, createNetwork } from "./network";
import type { AwsClusterOptions } from "./options";
import { createPki } from "./pki";
import { quotaNeeds, type QuotaNeeds } from "./quotas";
import { groupsOf } from "./security";
import { plannedStatefulVolumes, shrinkProblems, STATEFUL_TAG, type ExistingVolume } from "./stateful-volumes";
import { CHARTS, DEBIAN_AMI_NAME, DEBIAN_AMI_OWNER } from "./versions";

export { STATEFUL_ROLES } from "./inventory";

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

/**
 * Instance inputs a `pulumi up` never changes on an existing server: a newer
 * Debian AMI or an edited bootstrap (scripts, pinned versions, endpoints)
 * would otherwise stop/start or replace every server for nothing, since
 * cloud-init runs once. New servers get the new values; existing ones are
 * rolled by hand (docs/cluster.md, "Rolling a bootstrap change").
 */
export const INSTANCE_IGNORE_CHANGES = ["ami", "userData"] as const;

export interface AwsClusterArgs {
    readonly plan: Plan;
    /** The floor tier's plan (matrix:data.storageFloorCcu), when above the current one: stateful servers and volumes keep its size. */
    readonly floorPlan?: InventoryPlan;
    readonly options: AwsClusterOptions;
    readonly clusterName: string;
}

const API_PORT = 6443;

export class AwsCluster extends pulumi.ComponentResource {
    readonly inventory: Inventory;
    readonly kubeconfig: pulumi.Output<string>;
    readonly provider: k8s.Provider;
    readonly storageClasses: Readonly<Record<DiskType, string>>;
    /** Where the program and the operators reach the API: the admin NLB (apiAccess public) or the internal one. */
    readonly apiEndpoint: pulumi.Output<string>;
    /** The internal NLB the nodes use (kubeadm's controlPlaneEndpoint). */
    readonly internalApiEndpoint: pulumi.Output<string>;
    readonly edgeHostname: pulumi.Output<string>;
    /** Public addresses of the call servers, by server name (stable across instance replacement). */
    readonly callAddresses: Record<string, pulumi.Output<string>>;
    /** What the AWS account must allow (Elastic IPs, on-demand vCPUs, EBS per type). */
    readonly quotas: QuotaNeeds;

    constructor(name: string, args: AwsClusterArgs, opts?: pulumi.ComponentResourceOptions) {
        // Built before anything is registered: an impossible inventory fails here.
        const sized = withStatefulFloor(args.plan, args.floorPlan);
        const inventory = buildInventory(sized, args.options);
        super("matrix:cluster:AwsCluster", name, {}, opts);
        this.inventory = inventory;
        for (const w of inventory.warnings) pulumi.log.warn(w, this);

        const o = args.options;
        this.quotas = quotaNeeds(inventory, o);
        const clusterName = args.clusterName;
        const awsProvider = new aws.Provider(`${name}-aws`, { region: o.region as aws.Region, defaultTags: { tags: { "matrix-scale.io/cluster": clusterName } } }, { parent: this });
        const ro: pulumi.CustomResourceOptions = { parent: this, provider: awsProvider };
        const io: pulumi.InvokeOptions = { parent: this, provider: awsProvider };
        const ssmPrefix = `/matrix-scale/${clusterName}`;

        // Zone names: from config, or the region's zones as AWS lists them (letters are not contiguous everywhere).
        const explicitZones = o.availabilityZones;
        const lookedUp = explicitZones
            ? undefined
            : aws.getAvailabilityZonesOutput({ filters: [{ name: "zone-type", values: ["availability-zone"] }, { name: "opt-in-status", values: ["opt-in-not-required"] }] }, io).names.apply((names) => {
                  if (names.length < o.zoneCount) throw new Error(`matrix:cluster.zones: region ${o.region} has ${names.length} availability zones (${names.join(", ")}), not ${o.zoneCount}`);
                  return names.slice(0, o.zoneCount);
              });
        const zoneName = (z: number): pulumi.Input<string> => (explicitZones ? explicitZones[z] : (lookedUp as pulumi.Output<string[]>).apply((n) => n[z]));

        const net = createNetwork(name, clusterName, o, zoneName, ro);
        const identity = aws.getCallerIdentityOutput({}, io);
        const partition = aws.getPartitionOutput({}, io);

        // Instance roles first: the PKI key's policy names the control-plane role.
        const cpRole = new aws.iam.Role(`${name}-controlPlane`, { assumeRolePolicy: assumeRolePolicy(), description: `matrix-scale ${clusterName} control-plane servers` }, ro);
        const nodeRole = new aws.iam.Role(`${name}-node`, { assumeRolePolicy: assumeRolePolicy(), description: `matrix-scale ${clusterName} servers other than the control plane` }, ro);
        const pkiKey = new aws.kms.Key(
            `${name}-pki`,
            {
                description: `matrix-scale ${clusterName}: cluster CA and etcd CA keys in SSM; only the control-plane role may decrypt`,
                enableKeyRotation: true,
                deletionWindowInDays: 30,
                policy: pulumi.all([identity.accountId, partition.partition, cpRole.arn]).apply(([accountId, part, roleArn]) => json(pkiKeyPolicy({ accountId, partition: part, controlPlaneRoleArn: roleArn }))),
            },
            ro,
        );
        const pki = createPki(name, ssmPrefix, pkiKey.arn, ro);
        const policy = (role: aws.iam.Role, id: string, document: pulumi.Input<string>) => new aws.iam.RolePolicy(`${name}-${id}`, { role: role.id, policy: document }, ro);
        policy(
            cpRole,
            "controlPlane-bootstrap",
            pulumi.all([pulumi.all(pki.pkiParameters.map((p) => p.arn)), pki.joinTokenParameter.arn, pkiKey.arn]).apply(([pkiParameterArns, joinTokenArn, pkiKeyArn]) =>
                json(controlPlaneBootstrapPolicy({ region: o.region, pkiParameterArns, joinTokenArn, pkiKeyArn })),
            ),
        );
        policy(cpRole, "controlPlane-cloud-controller", json(cloudControllerPolicy()));
        policy(cpRole, "controlPlane-ebs-csi", json(ebsCsiPolicy({ region: o.region, clusterTagKey: Object.keys(clusterTag(clusterName))[0] })));
        policy(nodeRole, "node-bootstrap", pki.joinTokenParameter.arn.apply((joinTokenArn) => json(workerBootstrapPolicy({ joinTokenArn }))));
        const profiles = {
            controlPlane: new aws.iam.InstanceProfile(`${name}-controlPlane`, { role: cpRole.name }, ro),
            node: new aws.iam.InstanceProfile(`${name}-node`, { role: nodeRole.name }, ro),
        };

        // Internal NLB: the nodes' way to the API (kubeadm's controlPlaneEndpoint). Client IP
        // preservation off: a control-plane server reaching the API through the NLB may land on itself.
        const apiTarget = (id: string, internal: boolean, group: aws.ec2.SecurityGroup) => {
            const lb = new aws.lb.LoadBalancer(
                `${name}-${id}`,
                {
                    internal,
                    loadBalancerType: "network",
                    subnets: (internal ? net.privateSubnets : net.publicSubnets).map((s) => s.id),
                    securityGroups: [group.id],
                    enableCrossZoneLoadBalancing: true,
                },
                ro,
            );
            // /readyz over HTTPS: a server whose API process listens but is not ready (etcd lost, still starting) gets no traffic.
            const tg = new aws.lb.TargetGroup(
                `${name}-${id}`,
                {
                    port: API_PORT,
                    protocol: "TCP",
                    vpcId: net.vpc.id,
                    targetType: "instance",
                    preserveClientIp: "false",
                    healthCheck: { protocol: "HTTPS", port: String(API_PORT), path: "/readyz", matcher: "200", interval: 10, healthyThreshold: 3, unhealthyThreshold: 3 },
                },
                ro,
            );
            const listener = new aws.lb.Listener(`${name}-${id}`, { loadBalancerArn: lb.arn, port: API_PORT, protocol: "TCP", defaultActions: [{ type: "forward", targetGroupArn: tg.arn }] }, ro);
            return { lb, tg, listener };
        };
        const internalApi = apiTarget("api", true, net.groups.apiLb);
        // apiAccess public: an internet-facing NLB whose security group admits only matrix:cluster.adminCidrs.
        const adminApi = o.apiAccess === "public" ? apiTarget("api-admin", false, net.groups.adminApiLb) : undefined;
        const apiTargets = [internalApi, ...(adminApi ? [adminApi] : [])];
        this.internalApiEndpoint = internalApi.lb.dnsName;
        this.apiEndpoint = (adminApi ?? internalApi).lb.dnsName;

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

        const amis: Partial<Record<string, pulumi.Output<string>>> = {};
        const amiFor = (arch: "x86_64" | "arm64") =>
            (amis[arch] ??= aws.ec2
                .getAmiOutput({ owners: [DEBIAN_AMI_OWNER], mostRecent: true, filters: [{ name: "name", values: [DEBIAN_AMI_NAME[arch]] }, { name: "architecture", values: [arch] }] }, io)
                .apply((a) => a.id));

        // EBS volumes cannot shrink: read the stateful volumes' sizes back from AWS and refuse a
        // smaller plan before any of them is touched (their sizes wait for this check).
        const planned = plannedStatefulVolumes(inventory, clusterName);
        const statefulChecked = aws.ebs
            .getEbsVolumesOutput({ filters: [{ name: `tag:${STATEFUL_TAG}`, values: ["true"] }, { name: "tag:matrix-scale.io/cluster", values: [clusterName] }] }, io)
            .ids.apply(async (ids) => {
                const existing: ExistingVolume[] = await Promise.all(
                    ids.map(async (id) => {
                        const v = await aws.ebs.getVolume({ filters: [{ name: "volume-id", values: [id] }] }, io);
                        return { name: v.tags?.Name ?? id, sizeGiB: v.size };
                    }),
                );
                const problems = shrinkProblems(existing, planned, args.plan.ccu);
                if (problems.length > 0) throw new Error(`invalid stack config:\n  - ${problems.join("\n  - ")}`);
                return true;
            });

        const caCertHash = pki.caPublicKeyPem.apply(caCertHashFromPublicKeyPem);
        this.callAddresses = {};
        const previousOfRole: Partial<Record<NodeRole, pulumi.Resource>> = {};
        const controlPlaneReady: pulumi.Resource[] = [];
        for (const server of inventory.servers) {
            const stateful = STATEFUL_ROLES.includes(server.role);
            // Volume k of a server is named by (server, k) only, so a tier change never renames or moves it.
            const volumes = server.dataVolumes.map(
                (v) =>
                    new aws.ebs.Volume(
                        `${name}-${server.name}-data-${v.index}`,
                        {
                            availabilityZone: zoneName(server.zoneIndex),
                            size: stateful ? statefulChecked.apply(() => v.sizeGiB) : v.sizeGiB,
                            type: v.type,
                            iops: v.iops,
                            throughput: v.throughputMiBps,
                            encrypted: true,
                            finalSnapshot: stateful,
                            tags: {
                                Name: `${clusterName}-${server.name}-data-${v.index}`,
                                [SERVER_LABEL]: server.name,
                                ...(stateful ? { [STATEFUL_TAG]: "true" } : {}),
                                ...clusterTag(clusterName),
                            },
                        },
                        // A stateful volume is never deleted by a `pulumi up`: shrinking a role fails loudly instead.
                        { ...ro, protect: stateful },
                    ),
            );
            const subnets = server.subnet === "public" ? net.publicSubnets : net.privateSubnets;
            const ud = pulumi
                .all([internalApi.lb.dnsName, adminApi ? adminApi.lb.dnsName : "", caCertHash, pulumi.all(volumes.map((v) => v.id))])
                .apply(([apiEndpoint, adminEndpoint, hash, volumeIds]) =>
                    userData({
                        clusterName,
                        role: server.role,
                        index: server.index,
                        serverName: server.name,
                        region: o.region,
                        apiEndpoint,
                        extraApiSans: adminEndpoint ? [adminEndpoint] : [],
                        sshPublicKeys: o.sshCidrs.length > 0 ? o.sshPublicKeys : [],
                        ssmPrefix,
                        caCertHash: hash,
                        podCidr: o.podCidr,
                        serviceCidr: o.serviceCidr,
                        dataDisks: server.instanceStoreData ? "instance-store" : volumeIds.length > 0 ? { ebsVolumeIds: volumeIds } : undefined,
                    }),
                );
            const previous = previousOfRole[server.role];
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
                    ignoreChanges: [...INSTANCE_IGNORE_CHANGES],
                    // Servers of a role change one at a time: each waits for the previous one's
                    // update (a resize is a stop/start), so a tier change never stops a whole role
                    // (etcd quorum, every app server) at once.
                    dependsOn: previous ? [previous] : [],
                },
            );
            previousOfRole[server.role] = instance;
            volumes.forEach((volume, k) => {
                new aws.ec2.VolumeAttachment(
                    `${name}-${server.name}-data-${k}`,
                    { deviceName: dataDeviceName(k), volumeId: volume.id, instanceId: instance.id, stopInstanceBeforeDetaching: true },
                    ro,
                );
            });
            const targets = this.attachTargets(name, server, instance, apiTargets, edgeTgs, ro);
            if (server.role === "controlPlane") controlPlaneReady.push(instance, ...targets);
            if (server.role === "calls") {
                const eip = new aws.ec2.Eip(`${name}-${server.name}`, { domain: "vpc", tags: { Name: `${clusterName}-${server.name}` } }, ro);
                new aws.ec2.EipAssociation(`${name}-${server.name}`, { allocationId: eip.id, instanceId: instance.id }, ro);
                this.callAddresses[server.name] = eip.publicIp;
            }
        }

        // The provider is built from the readiness check's own output: nothing reaches the API
        // before /readyz answered through exactly this endpoint, with the cluster CA verified.
        const apiReady = new ApiReady(
            `${name}-api-ready`,
            { url: pulumi.interpolate`https://${this.apiEndpoint}:${API_PORT}`, caCertPem: pki.caCertPem },
            { parent: this, dependsOn: [...controlPlaneReady, ...apiTargets.map((t) => t.listener)] },
        );
        this.kubeconfig = pulumi.secret(
            pulumi
                .all([apiReady.url, pki.caCertPem, pki.adminCertPem, pki.adminKeyPem])
                .apply(([server, ca, cert, key]) => adminKubeconfig({ clusterName, server, caCertPem: ca, clientCertPem: cert, clientKeyPem: key, user: "matrix-scale-admin" })),
        );
        this.provider = new k8s.Provider(`${name}-k8s`, { kubeconfig: this.kubeconfig, enableServerSideApply: true }, { parent: this, dependsOn: [apiReady] });
        this.storageClasses = DEFAULT_STORAGE_CLASSES;
        const classes = this.addons(name, { clusterName, region: o.region, apiEndpoint: internalApi.lb.dnsName, podCidr: o.podCidr });
        this.localVolumes(name, sized, classes);

        this.registerOutputs({ kubeconfig: this.kubeconfig, apiEndpoint: this.apiEndpoint, edgeHostname: this.edgeHostname, servers: inventory.servers.length, quotas: this.quotas });
    }

    private attachTargets(
        name: string,
        server: ServerSpec,
        instance: aws.ec2.Instance,
        apiTargets: { lb: aws.lb.LoadBalancer; tg: aws.lb.TargetGroup }[],
        edgeTgs: { port: string; tg: aws.lb.TargetGroup; nodePort: number }[],
        ro: pulumi.CustomResourceOptions,
    ): pulumi.Resource[] {
        const made: pulumi.Resource[] = [];
        if (server.role === "controlPlane") {
            apiTargets.forEach((t, i) => {
                // The internal target keeps its original name, so existing stacks keep their attachments.
                const id = i === 0 ? `${name}-api-${server.name}` : `${name}-api-admin-${server.name}`;
                made.push(new aws.lb.TargetGroupAttachment(id, { targetGroupArn: t.tg.arn, targetId: instance.id, port: API_PORT }, ro));
            });
        }
        if (server.role === "app") {
            for (const e of edgeTgs) {
                made.push(new aws.lb.TargetGroupAttachment(`${name}-edge-${e.port}-${server.name}`, { targetGroupArn: e.tg.arn, targetId: instance.id, port: e.nodePort }, ro));
            }
        }
        return made;
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
    private localVolumes(name: string, plan: InventoryPlan, classes: k8s.storage.v1.StorageClass[]): void {
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

function json(document: PolicyDocument): string {
    return JSON.stringify(document);
}

