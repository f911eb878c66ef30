// Synapse's PostgreSQL: the CloudNativePG operator and Barman Cloud plugin
// (pinned Helm releases), the Cluster, its backups, monitoring and roles.
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import * as random from "@pulumi/random";
import type { Plan } from "../../sizing/types";
import type { DataEndpoints } from "../contracts";
import {
    APP_ROLE, APP_SECRET, clusterSpec, CLUSTER_NAME, DATABASE, LI_SYNC_ROLE, LI_SYNC_SECRET, objectStoreSpec,
    podMonitorSpec, POSTGRES_PORT, PRIMARY_SERVICE, scheduledBackupSpec, type PostgresInputs,
} from "./postgres/manifests";

export const CNPG_CHART = { chart: "cloudnative-pg", version: "0.27.1", repo: "https://cloudnative-pg.github.io/charts" } as const;
export const BARMAN_CHART = { chart: "plugin-barman-cloud", version: "0.4.0", repo: "https://cloudnative-pg.github.io/charts" } as const;
export const OPERATOR_NAMESPACE = "cnpg-system";

export interface PostgresArgs extends PostgresInputs {
    readonly plan: Plan;
    /** Namespace of the lawful-intercept instance, which receives the read-only role's credentials. */
    readonly liNamespace: string;
}

function basicAuth(name: string, namespace: string, username: string, password: pulumi.Output<string>, parent: pulumi.Resource) {
    return new k8s.core.v1.Secret(
        `${namespace}-${name}`,
        { metadata: { name, namespace }, type: "kubernetes.io/basic-auth", stringData: { username, password } },
        { parent },
    );
}

export class PostgresCluster extends pulumi.ComponentResource {
    readonly endpoint: DataEndpoints["postgres"];

    constructor(name: string, args: PostgresArgs, opts?: pulumi.ComponentResourceOptions) {
        super("matrix:data:Postgres", name, {}, opts);
        const parent = this;
        const ns = args.namespace;

        const operator = new k8s.helm.v3.Release(
            "cnpg-operator",
            {
                name: "cnpg",
                chart: CNPG_CHART.chart,
                version: CNPG_CHART.version,
                repositoryOpts: { repo: CNPG_CHART.repo },
                namespace: OPERATOR_NAMESPACE,
                createNamespace: true,
                values: { monitoring: { podMonitorEnabled: false } },
            },
            { parent },
        );
        const appPassword = new random.RandomPassword("synapse-db-app", { length: 32, special: false }, { parent });
        const liPassword = new random.RandomPassword("synapse-db-li-sync", { length: 32, special: false }, { parent });
        const appSecret = basicAuth(APP_SECRET, ns, APP_ROLE, appPassword.result, parent);
        const liSecret = basicAuth(LI_SYNC_SECRET, ns, LI_SYNC_ROLE, liPassword.result, parent);
        basicAuth(LI_SYNC_SECRET, args.liNamespace, LI_SYNC_ROLE, liPassword.result, parent);

        const backup = args.backup;
        const backupDeps: pulumi.Resource[] = [];
        if (backup) {
            const barman = new k8s.helm.v3.Release(
                "cnpg-barman-cloud",
                {
                    name: "barman-cloud",
                    chart: BARMAN_CHART.chart,
                    version: BARMAN_CHART.version,
                    repositoryOpts: { repo: BARMAN_CHART.repo },
                    namespace: OPERATOR_NAMESPACE,
                },
                { parent, dependsOn: [operator] },
            );
            const objectStore = new k8s.apiextensions.CustomResource("synapse-db-backup-store", objectStoreSpec({ ...args, backup }), {
                parent,
                dependsOn: [barman],
            });
            backupDeps.push(barman, objectStore);
        } else {
            pulumi.log.warn("PostgreSQL has NO backups: set matrix:backup.target (an S3-compatible bucket off the cluster, other than the media store).", this);
        }

        const cluster = new k8s.apiextensions.CustomResource("synapse-db", clusterSpec(args.plan, args), {
            parent,
            dependsOn: [operator, appSecret, liSecret, ...backupDeps],
        });
        if (backup) {
            new k8s.apiextensions.CustomResource("synapse-db-daily", scheduledBackupSpec({ ...args, backup }), { parent, dependsOn: [cluster] });
        }
        new k8s.apiextensions.CustomResource("synapse-db-monitor", podMonitorSpec(ns), { parent, dependsOn: [cluster] });

        this.endpoint = {
            host: `${PRIMARY_SERVICE}.${ns}.svc.cluster.local`,
            port: POSTGRES_PORT,
            database: DATABASE,
            user: APP_ROLE,
            password: { name: APP_SECRET, key: "password" },
        };
        this.registerOutputs({ cluster: CLUSTER_NAME, host: this.endpoint.host });
    }
}
