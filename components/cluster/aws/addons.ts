// Values of the cluster add-ons and the StorageClasses, as pure data: tests
// read them directly, the component hands them to helm.v3.Release.
import { DEFAULT_STORAGE_CLASSES } from "../../contracts";
import type { DiskType } from "../../../sizing/types";
import { CHARTS } from "./versions";

const CONTROL_PLANE_SELECTOR = { "node-role.kubernetes.io/control-plane": "" };
const CONTROL_PLANE_TOLERATIONS = [
    { key: "node-role.kubernetes.io/control-plane", operator: "Exists", effect: "NoSchedule" },
    // Kubelets with --cloud-provider=external start tainted until the cloud controller initialises them.
    { key: "node.cloudprovider.kubernetes.io/uninitialized", operator: "Exists", effect: "NoSchedule" },
];

export interface AddonInput {
    readonly clusterName: string;
    readonly region: string;
    readonly apiEndpoint: string;
    readonly podCidr: string;
}

/** Cilium enforces NetworkPolicy; VXLAN tunnelling so pod traffic between nodes needs only UDP 8472. */
export function ciliumValues(a: AddonInput): Record<string, unknown> {
    return {
        k8sServiceHost: a.apiEndpoint,
        k8sServicePort: 6443,
        routingMode: "tunnel",
        tunnelProtocol: "vxlan",
        ipam: { mode: "kubernetes" },
        policyEnforcementMode: "default",
        // NetworkPolicy ipBlock rules also select nodes: host-network LiveKit on the call servers reaches its Redis by address (components/calls).
        policyCIDRMatchMode: ["nodes"],
        operator: { replicas: 2 },
        // kube-proxy stays (kubeadm installs it); Cilium only adds policy and the overlay.
        kubeProxyReplacement: false,
    };
}

/**
 * The AWS cloud controller manager runs only the node controllers: the edge
 * load balancer is created by the program, so the service and route
 * controllers (and the IAM rights they would need) stay off.
 */
export function cloudControllerValues(a: AddonInput): Record<string, unknown> {
    return {
        image: { tag: CHARTS.awsCloudController.imageTag },
        args: ["--v=2", "--cloud-provider=aws", `--cluster-name=${a.clusterName}`, "--configure-cloud-routes=false", "--controllers=*,-service,-route"],
        nodeSelector: CONTROL_PLANE_SELECTOR,
        tolerations: CONTROL_PLANE_TOLERATIONS,
        hostNetworking: true,
    };
}

/** The CSI controller (which holds the EBS rights) runs on the control plane; the node plugin on every server, tainted or not. */
export function ebsCsiValues(a: AddonInput): Record<string, unknown> {
    return {
        controller: {
            region: a.region,
            replicaCount: 2,
            nodeSelector: CONTROL_PLANE_SELECTOR,
            tolerations: CONTROL_PLANE_TOLERATIONS,
        },
        node: { tolerateAllTaints: true },
        // StorageClasses are created by the program with the contract's names.
        storageClasses: [],
    };
}

/**
 * metrics-server verifies every kubelet's serving certificate against the
 * cluster CA (its service account's ca.crt): kubelets request serving
 * certificates (serverTLSBootstrap) and the control plane approves them after
 * checking the names against EC2 (matrix-label-nodes). The chart appends
 * `args` after `defaultArgs`, so the defaults are replaced whole: nothing can
 * slip in --kubelet-insecure-tls.
 */
export function metricsServerValues(): Record<string, unknown> {
    return {
        replicas: 2,
        defaultArgs: ["--cert-dir=/tmp", "--kubelet-preferred-address-types=InternalIP", "--kubelet-use-node-status-port", "--metric-resolution=15s"],
        args: [],
        tolerations: [{ key: "node.cloudprovider.kubernetes.io/uninitialized", operator: "Exists", effect: "NoSchedule" }],
    };
}

export interface StorageClassSpec {
    readonly name: string;
    readonly diskType: DiskType;
    readonly provisioner: string;
    readonly parameters?: Record<string, string>;
    readonly allowVolumeExpansion: boolean;
}

/** Kubernetes' marker for classes whose volumes are created by hand (local PersistentVolumes). */
export const NO_PROVISIONER = "kubernetes.io/no-provisioner";

/**
 * One class per disk type, named by the contract. ssd is dynamically
 * provisioned gp3 (Redis, monitoring...). nvme and hdd are the database and
 * storage servers' own disks, offered as local PersistentVolumes by the
 * program: no provisioner, and no expansion through the claim (the EBS volume
 * and its filesystem grow in place instead). All: Retain, so a deleted claim
 * never deletes data; WaitForFirstConsumer, so a claim binds where its pod
 * can run (in the right zone, or on the server that holds the local volume).
 */
export function storageClassSpecs(): StorageClassSpec[] {
    return [
        {
            name: DEFAULT_STORAGE_CLASSES.ssd,
            diskType: "ssd",
            provisioner: "ebs.csi.aws.com",
            parameters: { "csi.storage.k8s.io/fstype": "xfs", encrypted: "true", type: "gp3" },
            allowVolumeExpansion: true,
        },
        { name: DEFAULT_STORAGE_CLASSES.nvme, diskType: "nvme", provisioner: NO_PROVISIONER, allowVolumeExpansion: false },
        { name: DEFAULT_STORAGE_CLASSES.hdd, diskType: "hdd", provisioner: NO_PROVISIONER, allowVolumeExpansion: false },
    ];
}
