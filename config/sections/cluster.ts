// Where the deployment runs: an existing Kubernetes cluster, or one built on
// AWS. The aws variant is kept minimal here; the node-pools work extends it.
import { DEFAULT_STORAGE_CLASSES } from "../../components/contracts";
import { cidr, integer, list, object, optional, refine, secretString, string, variants } from "../schema";

const storageClass = (disk: "ssd" | "nvme" | "hdd") =>
    string({
        description: `StorageClass to use for ${disk} volumes.`,
        default: DEFAULT_STORAGE_CLASSES[disk],
        pattern: /^[a-z0-9]([-a-z0-9.]{0,251}[a-z0-9])?$/,
        patternText: "a Kubernetes object name (lowercase letters, digits, '-' and '.')",
    });

export const cluster = {
    cluster: refine(
        variants(
            "provider",
            {
                existing: {
                    kubeconfig: secretString({
                        description: "Kubeconfig of the target cluster (its contents, not a path).",
                        setHint: "pulumi config set --secret --path matrix:cluster.kubeconfig \"$(cat kubeconfig)\"",
                    }),
                    context: optional(string({ description: "Context in the local kubeconfig to deploy to (instead of kubeconfig)." })),
                    storageClasses: object(
                        { ssd: storageClass("ssd"), nvme: storageClass("nvme"), hdd: storageClass("hdd") },
                        { description: "Names of the cluster's StorageClasses per disk type." },
                    ),
                },
                aws: {
                    region: string({
                        description: "AWS region to build the cluster in.",
                        pattern: /^[a-z]{2}(-gov|-iso[a-z]?)?-[a-z]+-\d$/,
                        patternText: "an AWS region name such as eu-central-1",
                    }),
                    zones: integer({ description: "Availability zones to spread servers over (HA needs at least two).", min: 2, max: 6, default: 3 }),
                    adminCidrs: list(cidr({ description: "Network allowed to reach the Kubernetes API." }), {
                        description: "Networks allowed to reach the Kubernetes API and SSH.",
                        default: [],
                    }),
                },
            },
            { description: "The Kubernetes cluster to deploy into." },
        ),
        (c, problem) => {
            // Deploying to "whatever the current context is" would make the target depend on the machine running pulumi.
            if (c.provider === "existing" && (c.kubeconfig === undefined) === (c.context === undefined)) {
                problem(undefined, "provider existing needs exactly one of kubeconfig or context (got " +
                    (c.kubeconfig ? "both" : "neither") + "); allowed: kubeconfig (a secret) or context");
            }
        },
    ),
} as const;
