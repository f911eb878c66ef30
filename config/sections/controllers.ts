// Stack config for the cluster-wide controllers (components/controllers): their
// chart versions, and which CRD groups the cluster already serves (their
// releases are then skipped, and custom resources of those groups are allowed
// without an installer in this stack).
import { list, object, string, type Infer } from "../schema";

const version = (what: string, dflt: string) =>
    string({ description: `${what} Helm chart version.`, default: dflt, pattern: /^v\d+\.\d+\.\d+$/, patternText: `a version like ${dflt}` });

export const controllers = {
    controllers: object(
        {
            envoyGatewayVersion: version("Envoy Gateway", "v1.10.0"),
            certManagerVersion: version("cert-manager", "v1.17.2"),
            preinstalledCrds: list(
                string({
                    description: "A CRD API group, e.g. monitoring.coreos.com.",
                    pattern: /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)+$/,
                    patternText: "an API group like monitoring.coreos.com",
                }),
                {
                    description:
                        "CRD API groups the cluster already serves (its own cert-manager, Envoy Gateway, Prometheus operator...). The release that would install them is skipped; a release's groups are all listed or none.",
                    default: [],
                },
            ),
        },
        { description: "Cluster-wide controllers installed before everything else: Envoy Gateway, cert-manager, CloudNativePG, the Barman Cloud plugin." },
    ),
} as const;

export type ControllersConfig = Infer<(typeof controllers)["controllers"]>;
