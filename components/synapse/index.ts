// Synapse: the main process and every worker pool of the topology, their
// config, secrets, Services, autoscalers, disruption budgets and network policy.
// All decisions live in the pure modules next to this file; this only turns
// them into resources.
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import * as random from "@pulumi/random";
import type { Plan } from "../../sizing/types";
import type { CallEndpoints } from "../calls/matrix";
import { NAMESPACES, ROLLING_MAX_SURGE, type DataEndpoints } from "../contracts";
import { configChecksum, SECRET_FILES, synapseConfigFiles, type SynapseSettings } from "./homeserver";
import { CLEANUP_CONFIG_MAP, cleanupFiles, mediaCachePlan } from "./media-cache";
import { RESTART_TIMEOUTS, restarterAccess, restarterJob } from "../restarts";
import { configChecksums, reshardArgs, reshardJobName, rollArgs, rollJobName, SYNAPSE_APP, type Checksums } from "./restart";
import { HTTP_PORT, METRICS_PORT, REPLICATION_PORT } from "./ports";
import { buildTopology, topologySummary, type Topology } from "./topology";
import {
    CONFIG_MAP,
    HPA_BEHAVIOR,
    HPA_CPU_UTILIZATION,
    mainProcess,
    poolProcess,
    SECRETS,
    SERVICE_ACCOUNT,
    selectorLabels,
    SIGNING_KEY_SECRET,
    type ProcessSpec,
    type WorkloadInputs,
} from "./workloads";

export { buildTopology } from "./topology";

export interface SynapseArgs {
    readonly plan: Plan;
    /** server_name (matrix:domain). */
    readonly serverName: string;
    readonly publicBaseUrl: string;
    readonly data: DataEndpoints;
    /** Must contain synapse-s3-storage-provider (the official image does not). */
    readonly image: string;
    /** Labels of the router pods: the only ones that reach Synapse's HTTP listeners from outside the pool. */
    readonly routerPodLabels: Readonly<Record<string, string>>;
    readonly extraWellKnownClient?: Readonly<Record<string, unknown>>;
    /** TURN and MatrixRTC (components/calls): endpoints, and the TURN secret coturn shares. */
    readonly calls?: { readonly endpoints: CallEndpoints; readonly turnSecret: pulumi.Input<string> };
    /** clamd's Service and the scanner's behaviour; absent: uploads are not scanned. */
    readonly antivirus?: { readonly host: pulumi.Input<string>; readonly port: number; readonly timeoutSeconds: number; readonly onError: "reject" | "allow" };
    readonly namespace?: string;
}

export class Synapse extends pulumi.ComponentResource {
    public readonly topology: Topology;
    /** Checksum of every Synapse file, as annotated on every pod template. */
    public readonly configChecksum: pulumi.Output<string>;
    public readonly configMap: k8s.core.v1.ConfigMap;
    /** One line per process pool, for the stack outputs. */
    public readonly summary: Record<string, string>;

    constructor(name: string, args: SynapseArgs, opts?: pulumi.ComponentResourceOptions) {
        super("matrix:synapse:Synapse", name, {}, opts);
        const ns = args.namespace ?? NAMESPACES.matrix;
        const topo = buildTopology(args.plan, ns);
        this.topology = topo;
        this.summary = topologySummary(topo);
        const child = { parent: this };

        // Secrets Synapse reads from files; generated once and kept in state as secrets.
        const secretValues: Record<string, pulumi.Output<string>> = {};
        for (const [id, file] of Object.entries(SECRET_FILES)) {
            if (file === SECRET_FILES.turn) continue;
            secretValues[file] = new random.RandomPassword(`synapse-${id}-secret`, { length: 64, special: false }, child).result;
        }
        // One TURN secret, two consumers: the value coturn's Secret holds, never a second one.
        if (args.calls) secretValues[SECRET_FILES.turn] = pulumi.secret(pulumi.output(args.calls.turnSecret));
        new k8s.core.v1.Secret(
            SECRETS,
            { metadata: { name: SECRETS, namespace: ns }, type: "Opaque", stringData: secretValues },
            child,
        );
        // Synapse's signing key format: "ed25519 <key id> <unpadded base64 of a 32-byte seed>".
        const seed = new random.RandomBytes("synapse-signing-seed", { length: 32 }, child);
        const keyId = new random.RandomString("synapse-signing-key-id", { length: 6, special: false, upper: false }, child);
        new k8s.core.v1.Secret(
            SIGNING_KEY_SECRET,
            {
                metadata: { name: SIGNING_KEY_SECRET, namespace: ns },
                type: "Opaque",
                stringData: { "signing.key": pulumi.secret(pulumi.interpolate`ed25519 a_${keyId.result} ${seed.base64.apply((b) => b.replace(/=+$/, ""))}\n`) },
            },
            child,
        );

        const settings: pulumi.Output<SynapseSettings> = pulumi
            .all([args.data.postgres.host, args.data.redis.host, args.data.media.endpointUrl, args.antivirus?.host ?? ""])
            .apply(([pgHost, redisHost, s3, clamdHost]) => ({
                serverName: args.serverName,
                publicBaseUrl: args.publicBaseUrl,
                database: { host: pgHost, port: args.data.postgres.port, database: args.data.postgres.database, user: args.data.postgres.user },
                redis: { host: redisHost, port: args.data.redis.port },
                media: { endpointUrl: s3, bucket: args.data.media.bucket, region: args.data.media.region },
                ...(args.extraWellKnownClient ? { extraWellKnownClient: args.extraWellKnownClient } : {}),
                ...(args.calls ? { calls: args.calls.endpoints } : {}),
                ...(args.antivirus
                    ? { antivirus: { host: clamdHost, port: args.antivirus.port, timeoutSeconds: args.antivirus.timeoutSeconds, onError: args.antivirus.onError } }
                    : {}),
            }));
        const files = settings.apply((s) => synapseConfigFiles(args.plan, topo, s));
        this.configChecksum = files.apply(configChecksum);
        const checksums = files.apply(configChecksums);
        this.configMap = new k8s.core.v1.ConfigMap(
            CONFIG_MAP,
            { metadata: { name: CONFIG_MAP, namespace: ns, labels: { "app.kubernetes.io/name": "synapse" } }, data: files },
            child,
        );

        if (topo.pools.some((p) => p.def.type === "mediaRepository")) {
            new k8s.core.v1.ConfigMap(
                CLEANUP_CONFIG_MAP,
                { metadata: { name: CLEANUP_CONFIG_MAP, namespace: ns, labels: { "app.kubernetes.io/name": "synapse" } }, data: settings.apply(cleanupFiles) },
                child,
            );
        }

        new k8s.core.v1.ServiceAccount(
            SERVICE_ACCOUNT,
            { metadata: { name: SERVICE_ACCOUNT, namespace: ns }, automountServiceAccountToken: false },
            child,
        );

        const w: WorkloadInputs = {
            image: args.image,
            checksum: checksums.rolling,
            shardingChecksum: checksums.sharding,
            postgresPassword: args.data.postgres.password,
            redisPassword: args.data.redis.password,
            mediaCredentialsSecret: args.data.media.credentialsSecret,
            mediaCacheGiB: mediaCachePlan(args.plan).sizeLimitGiB,
        };
        const processes = [mainProcess(args.plan.synapse.main, w), ...topo.pools.map((p) => poolProcess(p, w))];
        const workloads = processes.map((p) => this.process(p, ns));
        this.coordinatedRestarts(ns, args.image, checksums, [this.configMap, ...workloads]);

        this.networkPolicy(ns, args.routerPodLabels);
        this.registerOutputs({ configChecksum: this.configChecksum });
    }

    /**
     * The two restart Jobs of restart.ts, after every workload is updated: all-at-once when the sharding
     * checksum changed (a new Job name), then one-at-a-time for StatefulSet pods behind their template.
     */
    private coordinatedRestarts(ns: string, image: string, checksums: pulumi.Output<Checksums>, after: pulumi.Resource[]): void {
        const child = { parent: this };
        const ready = [...after, ...restarterAccess(ns, SYNAPSE_APP, this)];
        const reshard = new k8s.batch.v1.Job(
            "synapse-reshard",
            restarterJob<pulumi.Input<string>>(checksums.apply(reshardJobName), ns, SYNAPSE_APP, image, reshardArgs(ns, checksums.sharding)),
            { ...child, dependsOn: ready, ...RESTART_TIMEOUTS },
        );
        new k8s.batch.v1.Job(
            "synapse-roll",
            restarterJob<pulumi.Input<string>>(checksums.apply(rollJobName), ns, SYNAPSE_APP, image, rollArgs(ns)),
            { ...child, dependsOn: [...ready, reshard], ...RESTART_TIMEOUTS },
        );
    }

    private process(p: ProcessSpec, ns: string): pulumi.Resource {
        const child = { parent: this };
        const selector = selectorLabels(p.name);
        // Headless: every pod gets a DNS record (StatefulSet pods a stable one) for instance_map and the router.
        new k8s.core.v1.Service(
            p.name,
            {
                metadata: { name: p.name, namespace: ns, labels: selector },
                spec: {
                    clusterIP: "None",
                    // Named processes must resolve while starting: workers reach main before it is "ready".
                    publishNotReadyAddresses: p.kind === "StatefulSet",
                    selector,
                    ports: [
                        { name: "http", port: HTTP_PORT, targetPort: "http" },
                        { name: "replication", port: REPLICATION_PORT, targetPort: REPLICATION_PORT },
                        { name: "metrics", port: METRICS_PORT, targetPort: "metrics" },
                    ],
                },
            },
            child,
        );
        const template = { metadata: p.pod.metadata, spec: p.pod.spec };
        let workload: pulumi.Resource;
        if (p.kind === "StatefulSet") {
            workload = new k8s.apps.v1.StatefulSet(
                p.name,
                {
                    // The restart Job scales replicas down and back: take the field back on the next update.
                    metadata: { name: p.name, namespace: ns, labels: selector, annotations: { "pulumi.com/patchForce": "true" } },
                    spec: {
                        serviceName: p.name,
                        replicas: p.replicas,
                        // Names are fixed by config, not by start order: start them together.
                        podManagementPolicy: "Parallel",
                        // Never rolled by the controller: the restart Jobs decide between all-at-once and one-by-one.
                        updateStrategy: { type: "OnDelete" },
                        selector: { matchLabels: selector },
                        template,
                    },
                },
                child,
            );
        } else {
            workload = new k8s.apps.v1.Deployment(
                p.name,
                {
                    metadata: { name: p.name, namespace: ns, labels: selector },
                    spec: {
                        // replicas is left to the HPA (min = the plan's count); setting it here would fight the autoscaler on every update.
                        selector: { matchLabels: selector },
                        strategy: { type: "RollingUpdate", rollingUpdate: { maxUnavailable: 0, maxSurge: ROLLING_MAX_SURGE } },
                        template,
                    },
                },
                child,
            );
            new k8s.autoscaling.v2.HorizontalPodAutoscaler(
                p.name,
                {
                    metadata: { name: p.name, namespace: ns, labels: selector },
                    spec: {
                        scaleTargetRef: { apiVersion: "apps/v1", kind: "Deployment", name: p.name },
                        minReplicas: p.hpa!.min,
                        maxReplicas: p.hpa!.max,
                        metrics: [{ type: "Resource", resource: { name: "cpu", target: { type: "Utilization", averageUtilization: HPA_CPU_UTILIZATION } } }],
                        behavior: HPA_BEHAVIOR,
                    },
                },
                child,
            );
        }
        new k8s.policy.v1.PodDisruptionBudget(
            p.name,
            { metadata: { name: p.name, namespace: ns, labels: selector }, spec: { maxUnavailable: 1, selector: { matchLabels: selector } } },
            child,
        );        return workload;
    }

    /** HTTP only from the router and other Synapse processes; replication only between Synapse processes; metrics only from monitoring. */
    private networkPolicy(ns: string, routerPodLabels: Readonly<Record<string, string>>): void {
        const synapsePods = { podSelector: { matchLabels: { "app.kubernetes.io/name": "synapse" } } };
        new k8s.networking.v1.NetworkPolicy(
            "synapse",
            {
                metadata: { name: "synapse", namespace: ns },
                spec: {
                    podSelector: { matchLabels: { "app.kubernetes.io/name": "synapse" } },
                    policyTypes: ["Ingress"],
                    ingress: [
                        { from: [{ podSelector: { matchLabels: { ...routerPodLabels } } }, synapsePods], ports: [{ port: HTTP_PORT }] },
                        { from: [synapsePods], ports: [{ port: REPLICATION_PORT }] },
                        {
                            from: [{ namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": NAMESPACES.monitoring } } }],
                            ports: [{ port: METRICS_PORT }],
                        },
                    ],
                },
            },
            { parent: this },
        );
    }
}
