// The admin kubeconfig, built from the program-generated CA and admin client
// certificate: available without logging into any server.
import { stringify } from "yaml";

export interface KubeconfigInput {
    readonly clusterName: string;
    readonly server: string;
    readonly caCertPem: string;
    readonly clientCertPem: string;
    readonly clientKeyPem: string;
    readonly user: string;
}

const b64 = (s: string) => Buffer.from(s, "utf8").toString("base64");

export function adminKubeconfig(k: KubeconfigInput): string {
    const context = `${k.user}@${k.clusterName}`;
    return stringify({
        apiVersion: "v1",
        kind: "Config",
        clusters: [{ name: k.clusterName, cluster: { server: k.server, "certificate-authority-data": b64(k.caCertPem) } }],
        users: [{ name: k.user, user: { "client-certificate-data": b64(k.clientCertPem), "client-key-data": b64(k.clientKeyPem) } }],
        contexts: [{ name: context, context: { cluster: k.clusterName, user: k.user } }],
        "current-context": context,
    });
}
