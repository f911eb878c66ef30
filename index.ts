// The Pulumi program: validate the stack config, compute the sizing plan,
// then build the components from it. Nothing here decides a number.
import * as pulumi from "@pulumi/pulumi";
import { Cluster, clusterProblems } from "./components/cluster";
import { DataLayer } from "./components/data";
import { lawfulIntercept, liProblems } from "./components/li/wiring";
import { edgeProblems, matrixApps } from "./components/matrix-apps";
import { Namespaces } from "./components/namespaces";
import { ConfigError, parseStackConfig, type StackConfig } from "./config";
import { computePlan, SizingError, type Plan } from "./sizing";

/** The program. Pulumi calls the default export and turns its result into stack outputs. */
export default function main(): Record<string, unknown> {
    // Validation happens before any resource is constructed: a bad config
    // registers nothing and reports every problem in one error.
    const cfg = readConfig();
    const plan = planOrConfigError(cfg);
    const clusterIssues = [...clusterProblems(cfg.cluster, plan), ...edgeProblems(cfg), ...liProblems(cfg)];
    if (clusterIssues.length > 0) throw new ConfigError(clusterIssues);

    const cluster = new Cluster("cluster", { config: cfg.cluster, plan });
    const namespaces = new Namespaces("namespaces", { provider: cluster.provider });
    const data = new DataLayer(
        "data",
        { plan, config: cfg.data, storageClasses: cluster.storageClasses },
        { provider: cluster.provider, dependsOn: [namespaces] },
    );
    // Synapse, its router, Element Web and the edge, on the data layer's endpoints.
    const apps = matrixApps(cfg, plan, data.endpoints, { provider: cluster.provider, dependsOn: [namespaces, data] });
    // The lawful-intercept instance, alone on the LI server, reading the data layer's read-only endpoints.
    const li = lawfulIntercept(cfg, plan, data.endpoints, cluster.storageClasses, { provider: cluster.provider, dependsOn: [namespaces, data] });

    return {
        /** The whole sizing plan, so `pulumi preview` shows what will be built before anything is. */
        plan,
        domain: cfg.domain,
        /** Every Synapse process pool: kind, pods or autoscaling bounds, and why it exists. */
        synapse: apps.synapse.summary,
        storageClasses: cluster.storageClasses,
        dataEndpoints: data.endpoints,
        /** Record in matrix:data.objectStore.pools before changing tier (pools are append-only). */
        objectStorePools: data.objectStorePools,
        ...(li ? { li: { hosts: li.hosts, syncMetrics: li.metricsEndpoint } } : {}),
        // Only when the program knows it; always a secret.
        ...(cluster.kubeconfig ? { kubeconfig: cluster.kubeconfig } : {}),
        // Where to point the domain's DNS, and the call servers' stable addresses (provider aws).
        ...(cluster.aws ? { edgeHostname: cluster.aws.edgeHostname, apiEndpoint: cluster.aws.apiEndpoint, callAddresses: cluster.aws.callAddresses } : {}),
    };
}

function readConfig(): StackConfig {
    const raw = pulumi.runtime.allConfig();
    // isConfigSecret is exported by the SDK runtime but marked internal in its typings.
    const isSecret = (pulumi.runtime as unknown as { isConfigSecret?: (k: string) => boolean }).isConfigSecret ?? (() => false);
    return parseStackConfig(raw, pulumi.getProject(), { secretKeys: Object.keys(raw).filter((k) => isSecret(k)) });
}

function planOrConfigError(cfg: StackConfig): Plan {
    try {
        return computePlan(cfg.sizing);
    } catch (e) {
        // Overrides that remove capacity are a config mistake like any other: same error, same exit code.
        if (e instanceof SizingError) throw new ConfigError(e.problems);
        throw e;
    }
}
