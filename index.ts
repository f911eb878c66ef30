// The Pulumi program: validate the stack config, compute the sizing plan,
// then build the components from it. Nothing here decides a number.
import * as pulumi from "@pulumi/pulumi";
import { Cluster } from "./components/cluster";
import { Namespaces } from "./components/namespaces";
import { ConfigError, parseStackConfig } from "./config";
import { computePlan, SizingError } from "./sizing";

// Validation happens before any resource is constructed: a bad config
// registers nothing and reports every problem in one error.
const raw = pulumi.runtime.allConfig();
const secretKeys = Object.keys(raw).filter((k) => isConfigSecret(k));
const cfg = parseStackConfig(raw, pulumi.getProject(), { secretKeys });
const sizingPlan = planOrConfigError();

function planOrConfigError() {
    try {
        return computePlan(cfg.sizing);
    } catch (e) {
        // Overrides that remove capacity are a config mistake like any other: same error, same exit code.
        if (e instanceof SizingError) throw new ConfigError(e.problems);
        throw e;
    }
}

const cluster = new Cluster("cluster", { config: cfg.cluster });
new Namespaces("namespaces", { provider: cluster.provider });

function isConfigSecret(key: string): boolean {
    // Exported by the SDK runtime but marked internal in its typings.
    const fn = (pulumi.runtime as unknown as { isConfigSecret?: (k: string) => boolean }).isConfigSecret;
    return fn ? fn(key) : false;
}

/** The whole sizing plan, so `pulumi preview` shows what will be built before anything is. */
export const plan = sizingPlan;
export const domain = cfg.domain;
/** The cluster's StorageClasses and, when the program knows it, its kubeconfig (always a secret). */
export const clusterInfo = {
    storageClasses: cluster.storageClasses,
    ...(cluster.kubeconfig ? { kubeconfig: cluster.kubeconfig } : {}),
};
