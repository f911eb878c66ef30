// The base layer: every cluster-wide controller as a pinned Helm release, in
// the catalogue's order (each waits for the previous one). Data layer, apps and
// edge depend on this component, so no custom resource is created before the
// release that installs its CRD.
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import type { ControllersConfig } from "../../config/sections/controllers";
import { controllerLayout, type ControllerLayout } from "./catalogue";

export { apiGroup, BUILTIN_GROUPS, controllerCatalogue, controllerLayout, EDGE_PROXY_NAMESPACE } from "./catalogue";

export function controllersProblems(config: ControllersConfig): string[] {
    return [...controllerLayout(versions(config), config.preinstalledCrds).problems];
}

const versions = (c: ControllersConfig) => ({ envoyGateway: c.envoyGatewayVersion, certManager: c.certManagerVersion });

export class Controllers extends pulumi.ComponentResource {
    /** API group -> release id installing it, or "preinstalled". */
    readonly crdInstallers: ControllerLayout["crdInstallers"];

    constructor(name: string, args: { config: ControllersConfig }, opts?: pulumi.ComponentResourceOptions) {
        super("matrix:controllers:Controllers", name, {}, opts);
        const layout = controllerLayout(versions(args.config), args.config.preinstalledCrds);
        if (layout.problems.length > 0) throw new Error(layout.problems.join("\n"));
        let previous: pulumi.Resource | undefined;
        for (const r of layout.releases) {
            previous = new k8s.helm.v3.Release(
                r.id,
                {
                    name: r.id,
                    chart: r.chart,
                    version: r.version,
                    ...(r.repo ? { repositoryOpts: { repo: r.repo } } : {}),
                    namespace: r.namespace,
                    createNamespace: true,
                    ...(r.values ? { values: r.values } : {}),
                },
                { parent: this, ...(previous ? { dependsOn: [previous] } : {}) },
            );
        }
        this.crdInstallers = layout.crdInstallers;
        this.registerOutputs({ crdInstallers: this.crdInstallers });
    }

    /** Whether custom resources of this API group can be created in this stack. */
    serves(group: string): boolean {
        return this.crdInstallers[group] !== undefined;
    }
}
