// Media object storage behind an S3-generic face: MinIO on the storage servers
// (the guide's choice) or an AWS S3 bucket. Synapse gets read-write
// credentials, the LI instance and the backup mirror read-only ones; backups go
// to their own target (matrix:backup), never to this store.
import * as aws from "@pulumi/aws";
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import * as random from "@pulumi/random";
import type { ObjectStoreBackend, PoolLedgerEntry } from "../../config/sections/data";
import type { Plan } from "../../sizing/types";
import type { DataEndpoints } from "../contracts";
import { allowFromNamespaces } from "./network";
import { restrictedContainer, restrictedPod } from "./security";
import { dedicatedPod } from "../../sizing/plan";
import { SCRAPE_CONTRACTS } from "../contracts";
import {
    METRICS_KEY_ENV, METRICS_KEY_SECRET, METRICS_POLICY, METRICS_USER, metricsNetworkPolicy, metricsPolicy, prometheusBearerToken,
} from "./objectstore/minio";
import { API_SERVICE, BOOTSTRAP_RESOURCES, bootstrapScript, consumerSecret, HEADLESS, MINIO_IMAGE, MINIO_PORT, MINIO_APP, poolClaims, poolRestartNotice, poolsChecksum, poolStatefulSet, restartArgs, restartJobName, ROOT_SECRET } from "./objectstore/minio";
import { RESTART_TIMEOUTS, restarterAccess, restarterJob } from "../restarts";
import { accessKeyId, bucketPolicy, policyName, type Consumer } from "./objectstore/policies";
import { ledgerOf, poolLayout } from "./objectstore/pools";

export interface ObjectStoreArgs {
    readonly plan: Plan;
    readonly backend: ObjectStoreBackend;
    readonly bucket: string;
    readonly region: string;
    readonly ledger?: readonly PoolLedgerEntry[];
    readonly storageNamespace: string;
    readonly storageClass: string;
    /** Where each consumer's credentials Secret goes. */
    readonly consumerNamespaces: Readonly<Record<Consumer, string>>;
    /** An image with Python for the restart Job (the Synapse image). */
    readonly restarterImage: string;
}

export const CREDENTIAL_SECRETS: Readonly<Record<Consumer, string>> = { synapse: "synapse-media-s3", li: "li-media-s3", backup: "backup-media-s3" };
/** Everyone with media-store credentials of their own (read-write for Synapse, read-only for LI and the mirror). */
export const CONSUMERS: readonly Consumer[] = ["synapse", "li", "backup"];

function credentialSecret(c: Consumer, namespace: string, keyId: pulumi.Input<string>, secret: pulumi.Output<string>, parent: pulumi.Resource) {
    return new k8s.core.v1.Secret(
        `${namespace}-${CREDENTIAL_SECRETS[c]}`,
        { metadata: { name: CREDENTIAL_SECRETS[c], namespace }, stringData: { AWS_ACCESS_KEY_ID: keyId, AWS_SECRET_ACCESS_KEY: secret } },
        { parent },
    );
}

export class MediaObjectStore extends pulumi.ComponentResource {
    readonly endpoint: DataEndpoints["media"];
    /** Pools as deployed: record them in matrix:data.objectStore.pools before changing tier. */
    readonly poolLedger: PoolLedgerEntry[];

    constructor(name: string, args: ObjectStoreArgs, opts?: pulumi.ComponentResourceOptions) {
        super("matrix:data:ObjectStore", name, {}, opts);
        if (args.backend === "aws-s3") {
            this.poolLedger = [];
            this.endpoint = this.s3(args);
        } else {
            const layout = poolLayout(args.plan, args.ledger);
            if (layout.errors.length > 0) throw new Error(layout.errors.join("\n"));
            this.poolLedger = ledgerOf(layout);
            const notice = poolRestartNotice(args.ledger?.length ?? 0, layout.pools, args.storageNamespace);
            if (notice) pulumi.log.warn(notice, this);
            this.endpoint = this.minio(args, layout);
        }
        this.registerOutputs({ endpointUrl: this.endpoint.endpointUrl, bucket: this.endpoint.bucket, pools: this.poolLedger });
    }

    private minio(args: ObjectStoreArgs, layout: ReturnType<typeof poolLayout>): DataEndpoints["media"] {
        const parent = this;
        const ns = args.storageNamespace;
        const rootPassword = new random.RandomPassword("minio-root", { length: 40, special: false }, { parent });
        const root = new k8s.core.v1.Secret(
            "minio-root",
            { metadata: { name: ROOT_SECRET, namespace: ns }, stringData: { user: "minio-root", password: rootPassword.result } },
            { parent },
        );
        new k8s.core.v1.Service(
            "minio-nodes",
            {
                metadata: { name: HEADLESS, namespace: ns },
                spec: { clusterIP: "None", publishNotReadyAddresses: true, selector: { "app.kubernetes.io/name": "minio" }, ports: [{ name: "s3", port: MINIO_PORT }] },
            },
            { parent },
        );
        new k8s.core.v1.Service(
            "minio",
            { metadata: { name: API_SERVICE, namespace: ns }, spec: { selector: { "app.kubernetes.io/name": "minio" }, ports: [{ name: "s3", port: MINIO_PORT }] } },
            { parent },
        );
        const sets: pulumi.Resource[] = [];
        for (const p of layout.pools) {
            const claims = poolClaims(p, ns, args.storageClass).map((c) => new k8s.core.v1.PersistentVolumeClaim(c.metadata.name, c, { parent, retainOnDelete: true }));
            sets.push(
                new k8s.apps.v1.StatefulSet(p.name, poolStatefulSet(p, layout.pools, ns, args.storageClass, args.plan.objectStore.parity, dedicatedPod(args.plan.nodePools.storage)), {
                    parent,
                    dependsOn: [root, ...claims],
                }),
            );
        }

        // A new pool changes every server's arguments: once its servers exist, all servers restart together.
        const checksum = poolsChecksum(layout.pools, ns);
        new k8s.batch.v1.Job(
            "minio-restart",
            restarterJob(restartJobName(checksum), ns, MINIO_APP, args.restarterImage, restartArgs(ns, checksum)),
            { parent, dependsOn: [...sets, ...restarterAccess(ns, MINIO_APP, this)], ...RESTART_TIMEOUTS },
        );

        // One server down at a time across all pools (a drain never takes two erasure-set members at once).
        new k8s.policy.v1.PodDisruptionBudget(
            "minio",
            { metadata: { name: "minio", namespace: ns }, spec: { maxUnavailable: 1, selector: { matchLabels: { "app.kubernetes.io/name": "minio" } } } },
            { parent },
        );
        // S3 clients: Synapse, the LI instance, the bootstrap Job and MinIO's own servers (inter-node traffic).
        new k8s.networking.v1.NetworkPolicy(
            "minio-ingress",
            allowFromNamespaces("minio-ingress", ns, { "app.kubernetes.io/name": "minio" }, [MINIO_PORT], [...new Set([ns, ...Object.values(args.consumerNamespaces)])]),
            { parent },
        );
        const policies = new k8s.core.v1.ConfigMap(
            "minio-policies",
            {
                metadata: { name: "minio-policies", namespace: ns },
                data: {
                    ...Object.fromEntries(CONSUMERS.map((c) => [`${policyName(c)}.json`, JSON.stringify(bucketPolicy(args.bucket, c), null, 2)])),
                    [`${METRICS_POLICY}.json`]: JSON.stringify(metricsPolicy(), null, 2),
                },
            },
            { parent },
        );
        const script = new k8s.core.v1.ConfigMap(
            "minio-bootstrap",
            { metadata: { name: "minio-bootstrap", namespace: ns }, data: { "bootstrap.sh": bootstrapScript(args.bucket, CONSUMERS, true) } },
            { parent },
        );
        const env: k8s.types.input.core.v1.EnvVar[] = [
            { name: "MINIO_ROOT_USER", valueFrom: { secretKeyRef: { name: ROOT_SECRET, key: "user" } } },
            { name: "MINIO_ROOT_PASSWORD", valueFrom: { secretKeyRef: { name: ROOT_SECRET, key: "password" } } },
        ];
        const deps: pulumi.Resource[] = [root, policies, script, ...sets];
        for (const c of CONSUMERS) {
            const secret = new random.RandomPassword(`media-${c}`, { length: 40, special: false }, { parent });
            // One copy for the consumer, one for the bootstrap Job that registers the user.
            credentialSecret(c, args.consumerNamespaces[c], accessKeyId(c), secret.result, parent);
            deps.push(
                new k8s.core.v1.Secret(
                    consumerSecret(c),
                    { metadata: { name: consumerSecret(c), namespace: ns }, stringData: { secretKey: secret.result } },
                    { parent },
                ),
            );
            env.push({ name: `${c.toUpperCase()}_SECRET_KEY`, valueFrom: { secretKeyRef: { name: consumerSecret(c), key: "secretKey" } } });
        }
        // Prometheus' MinIO user (admin:Prometheus only): its key for the bootstrap Job, and the token the
        // PodMonitor sends (SCRAPE_CONTRACTS.minio.bearerToken), both only in Secrets of this namespace.
        const metricsKey = new random.RandomPassword("minio-metrics-key", { length: 40, special: false }, { parent });
        deps.push(
            new k8s.core.v1.Secret(METRICS_KEY_SECRET, { metadata: { name: METRICS_KEY_SECRET, namespace: ns }, stringData: { secretKey: metricsKey.result } }, { parent }),
        );
        env.push({ name: METRICS_KEY_ENV, valueFrom: { secretKeyRef: { name: METRICS_KEY_SECRET, key: "secretKey" } } });
        const token = SCRAPE_CONTRACTS.minio.bearerToken;
        new k8s.core.v1.Secret(
            token.name,
            {
                metadata: { name: token.name, namespace: ns },
                stringData: { [token.key]: pulumi.secret(metricsKey.result.apply((key) => prometheusBearerToken(METRICS_USER, key))) },
            },
            { parent },
        );
        new k8s.networking.v1.NetworkPolicy("minio-metrics", metricsNetworkPolicy(ns), { parent });
        new k8s.batch.v1.Job(
            "minio-bootstrap",
            {
                metadata: { name: "minio-bootstrap", namespace: ns },
                spec: {
                    backoffLimit: 10,
                    template: {
                        spec: {
                            restartPolicy: "OnFailure",
                            automountServiceAccountToken: false,
                            securityContext: restrictedPod(1000),
                            containers: [
                                {
                                    name: "bootstrap",
                                    securityContext: restrictedContainer,
                                    image: MINIO_IMAGE,
                                    command: ["sh", "/scripts/bootstrap.sh"],
                                    resources: BOOTSTRAP_RESOURCES,
                                    env,
                                    volumeMounts: [
                                        { name: "scripts", mountPath: "/scripts" },
                                        { name: "policies", mountPath: "/policies" },
                                    ],
                                },
                            ],
                            volumes: [
                                { name: "scripts", configMap: { name: "minio-bootstrap" } },
                                { name: "policies", configMap: { name: "minio-policies" } },
                            ],
                        },
                    },
                },
            },
            { parent, dependsOn: deps },
        );
        return {
            endpointUrl: `http://${API_SERVICE}.${ns}.svc.cluster.local:${MINIO_PORT}`,
            bucket: args.bucket,
            region: args.region,
            credentialsSecret: CREDENTIAL_SECRETS.synapse,
            inCluster: { namespace: ns, podLabels: { "app.kubernetes.io/name": "minio" }, port: MINIO_PORT },
            backupCredentialsSecret: CREDENTIAL_SECRETS.backup,
        };
    }

    private s3(args: ObjectStoreArgs): DataEndpoints["media"] {
        const parent = this;
        const bucket = new aws.s3.Bucket("media", { bucket: args.bucket, forceDestroy: false }, { parent, protect: true });
        new aws.s3.BucketVersioning("media", { bucket: bucket.id, versioningConfiguration: { status: "Enabled" } }, { parent });
        new aws.s3.BucketServerSideEncryptionConfiguration(
            "media",
            { bucket: bucket.id, rules: [{ applyServerSideEncryptionByDefault: { sseAlgorithm: "AES256" }, bucketKeyEnabled: true }] },
            { parent },
        );
        new aws.s3.BucketPublicAccessBlock(
            "media",
            { bucket: bucket.id, blockPublicAcls: true, blockPublicPolicy: true, ignorePublicAcls: true, restrictPublicBuckets: true },
            { parent },
        );
        for (const c of CONSUMERS) {
            const user = new aws.iam.User(`media-${c}`, { name: `matrix-${accessKeyId(c)}` }, { parent });
            new aws.iam.UserPolicy(`media-${c}`, { user: user.name, policy: JSON.stringify(bucketPolicy(args.bucket, c)) }, { parent });
            const key = new aws.iam.AccessKey(`media-${c}`, { user: user.name }, { parent });
            credentialSecret(c, args.consumerNamespaces[c], key.id, key.secret, parent);
        }
        return {
            endpointUrl: `https://s3.${args.region}.amazonaws.com`,
            bucket: args.bucket,
            region: args.region,
            credentialsSecret: CREDENTIAL_SECRETS.synapse,
            backupCredentialsSecret: CREDENTIAL_SECRETS.backup,
        };
    }
}
