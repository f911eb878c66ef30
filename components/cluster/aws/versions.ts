// Pinned versions of everything the servers and the add-ons run. One place,
// so an upgrade is one reviewed diff. Changing the node versions changes only
// what new servers install: existing servers keep theirs (user data runs once,
// the AMI is ignored after creation); upgrade them with kubeadm upgrade.

/** Kubernetes release installed from pkgs.k8s.io (apt version `${KUBERNETES_VERSION}-1.1`). */
export const KUBERNETES_VERSION = "1.34.2";
export const KUBERNETES_APT_VERSION = `${KUBERNETES_VERSION}-1.1`;
/** The pkgs.k8s.io repository is per minor release. */
export const KUBERNETES_MINOR = KUBERNETES_VERSION.split(".").slice(0, 2).join(".");
/** containerd.io from Docker's Debian repository (Debian 12 ships 1.6, too old for Kubernetes 1.34's defaults). */
export const CONTAINERD_APT_VERSION = "1.7.28-1";

/** Debian 12 (bookworm) AMIs, published by the Debian cloud team's AWS account. */
export const DEBIAN_AMI_OWNER = "136693071363";
export const DEBIAN_AMI_NAME = { x86_64: "debian-12-amd64-*", arm64: "debian-12-arm64-*" } as const;

/** Helm charts of the cluster add-ons. */
export const CHARTS = {
    cilium: { repo: "https://helm.cilium.io", chart: "cilium", version: "1.18.4" },
    awsCloudController: {
        repo: "https://kubernetes.github.io/cloud-provider-aws",
        chart: "aws-cloud-controller-manager",
        version: "0.0.10",
        // The chart's default image tag lags; pin the CCM release matching the Kubernetes minor.
        imageTag: "v1.34.0",
    },
    ebsCsi: { repo: "https://kubernetes-sigs.github.io/aws-ebs-csi-driver", chart: "aws-ebs-csi-driver", version: "2.53.0" },
    metricsServer: { repo: "https://kubernetes-sigs.github.io/metrics-server/", chart: "metrics-server", version: "3.13.0" },
} as const;
