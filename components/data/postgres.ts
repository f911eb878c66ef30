// Synapse's PostgreSQL: the Cluster, its backups, monitoring and roles. The
// CloudNativePG operator and the Barman Cloud plugin are cluster-wide
// controllers (components/controllers), installed before this layer.
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import * as random from "@pulumi/random";
import type { Plan } from "../../sizing/types";
import { NAMESPACES, type DataEndpoints } from "../contracts";
import { CNPG_NAMESPACE } from "../controllers/catalogue";
import {
    APP_ROLE, APP_SECRET, clusterSpec, CLUSTER_NAME, DATABASE, INSTANCE_POD_LABELS, LI_SYNC_CONNECTION_LIMIT, LI_SYNC_ROLE, LI_SYNC_SECRET,
    objectStoreSpec, podMonitorSpec, postgresNetworkPolicy, POSTGRES_PORT, PRIMARY_SERVICE, REPLICA_SERVICE, scheduledBackupSpec, type PostgresInputs,
} from "./postgres/manifests";

export interface PostgresArgs extends PostgresInputs {
    readonly plan: Plan;
    /** Namespace of the lawful-intercept instance, which receives the read-only role's credentials. */
    readonly liNamespace: string;
    /** Create the PodMonitor: only when the cluster serves monitoring.coreos.com (a release installs it or the stack says it is there). */
    readonly podMonitor: boolean;
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
    /** The LI sync's source: replicas only, read-only role (media credentials are added by the data layer). */
    readonly liEndpoint: Omit<DataEndpoints["li"], "mediaCredentialsSecret">;

    constructor(name: string, args: PostgresArgs, opts?: pulumi.ComponentResourceOptions) {
        super("matrix:data:Postgres", name, {}, opts);
        const parent = this;
        const ns = args.namespace;

        const appPassword = new random.RandomPassword("synapse-db-app", { length: 32, special: false }, { parent });
        const liPassword = new random.RandomPassword("synapse-db-li-sync", { length: 32, special: false }, { parent });
        const appSecret = basicAuth(APP_SECRET, ns, APP_ROLE, appPassword.result, parent);
        const liSecret = basicAuth(LI_SYNC_SECRET, ns, LI_SYNC_ROLE, liPassword.result, parent);
        basicAuth(LI_SYNC_SECRET, args.liNamespace, LI_SYNC_ROLE, liPassword.result, parent);

        const backup = args.backup;
        const backupDeps: pulumi.Resource[] = [];
        if (backup) {
            backupDeps.push(new k8s.apiextensions.CustomResource("synapse-db-backup-store", objectStoreSpec({ ...args, backup }), { parent }));
        } else {
            pulumi.log.warn("PostgreSQL has NO backups: set matrix:backup.target (an S3-compatible bucket off the cluster, other than the media store).", this);
        }

        const cluster = new k8s.apiextensions.CustomResource("synapse-db", clusterSpec(args.plan, args), {
            parent,
            dependsOn: [appSecret, liSecret, ...backupDeps],
        });
        if (backup) {
            new k8s.apiextensions.CustomResource("synapse-db-daily", scheduledBackupSpec({ ...args, backup }), { parent, dependsOn: [cluster] });
        }
        if (args.podMonitor) {
            new k8s.apiextensions.CustomResource("synapse-db-monitor", podMonitorSpec(ns), { parent, dependsOn: [cluster] });
        }

        new k8s.networking.v1.NetworkPolicy(
            "synapse-db",
            postgresNetworkPolicy({
                namespace: ns,
                liNamespace: args.liNamespace,
                operatorNamespace: CNPG_NAMESPACE,
                monitoringNamespace: NAMESPACES.monitoring,
                // Every Synapse process carries this label (components/synapse/workloads.ts).
                clientPodLabels: { "app.kubernetes.io/name": "synapse" },
            }),
            { parent },
        );

        this.endpoint = {
            host: `${PRIMARY_SERVICE}.${ns}.svc.cluster.local`,
            port: POSTGRES_PORT,
            database: DATABASE,
            user: APP_ROLE,
            password: { name: APP_SECRET, key: "password" },
        };
        this.liEndpoint = {
            replicaHost: `${REPLICA_SERVICE}.${ns}.svc.cluster.local`,
            port: POSTGRES_PORT,
            database: DATABASE,
            syncUser: LI_SYNC_ROLE,
            // The copy of the basic-auth Secret made in the LI namespace above.
            syncPassword: { name: LI_SYNC_SECRET, key: "password" },
            postgresPodLabels: INSTANCE_POD_LABELS,
            syncConnectionLimit: LI_SYNC_CONNECTION_LIMIT,
        };
        this.registerOutputs({ cluster: CLUSTER_NAME, host: this.endpoint.host });
    }
}
