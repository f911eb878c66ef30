// The Pulumi program: validate the stack config, compute the sizing plan,
// then build the components from it. Nothing here decides a number.
import * as pulumi from "@pulumi/pulumi";
import { Calls } from "./components/calls";
import { callsArgsFromConfig, callsProblems, PRIVATE_NETWORKS } from "./components/calls/from-config";
import { Cluster, clusterProblems } from "./components/cluster";
import { Controllers, controllersProblems } from "./components/controllers";
import { DataLayer } from "./components/data";
import { lawfulIntercept, liProblems } from "./components/li/wiring";
import { Monitoring } from "./components/monitoring";
import { Antivirus } from "./components/antivirus";
import { Backups } from "./components/backup";
import { pullImagesFrom } from "./components/images";
import { resolveBackup } from "./components/backup/settings";
import { scheduledBackupJobs } from "./components/backup/jobs";
import { LI_BACKUP_SOURCES } from "./components/contracts";
import { edgeProblems, matrixApps, synapseImageProblems } from "./components/matrix-apps";
import { SYNAPSE_POD_LABELS } from "./components/synapse/workloads";
import { Namespaces } from "./components/namespaces";
import { DefaultDeny } from "./components/network";
import { ConfigError, parseStackConfig, type StackConfig } from "./config";
import { computePlan, SizingError, type Plan } from "./sizing";

/** The program. Pulumi calls the default export and turns its result into stack outputs. */
export default function main(): Record<string, unknown> {
    // Validation happens before any resource is constructed: a bad config
    // registers nothing and reports every problem in one error.
    const cfg = readConfig();
    const plan = planOrConfigError(cfg);
    const backup = resolveBackup(cfg.backup, cfg.data);
    const clusterIssues = [
        ...clusterProblems(cfg.cluster, plan, cfg.data.storageFloorCcu),
        ...edgeProblems(cfg),
        ...controllersProblems(cfg.controllers),
        ...callsProblems(cfg, plan),
        ...liProblems(cfg),
        ...synapseImageProblems(cfg),
        ...backup.problems,
    ];
    if (clusterIssues.length > 0) throw new ConfigError(clusterIssues);

    // Air-gapped: every image and chart of every resource below comes from the internal registry.
    if (cfg.images.registry !== undefined) pullImagesFrom(cfg.images.registry);

    const cluster = new Cluster("cluster", { config: cfg.cluster, plan, storageFloorCcu: cfg.data.storageFloorCcu });
    const namespaces = new Namespaces("namespaces", { provider: cluster.provider });
    // No pod accepts a connection its component does not allow explicitly.
    new DefaultDeny("network", {}, { provider: cluster.provider, dependsOn: [namespaces] });
    // The base layer: every cluster-wide controller (and so every CRD) before anything that uses one.
    const controllers = new Controllers("controllers", { config: cfg.controllers }, { provider: cluster.provider });
    const data = new DataLayer(
        "data",
        {
            plan,
            config: cfg.data,
            storageClasses: cluster.storageClasses,
            // Always true: the controllers layer installs monitoring.coreos.com unless the stack declares it preinstalled.
            monitoringCrds: controllers.serves("monitoring.coreos.com"),
            restarterImage: cfg.synapse.image,
            ...(backup.settings.target ? { postgresBackup: { ...backup.settings.target, ...backup.settings.postgres } } : {}),
        },
        { provider: cluster.provider, dependsOn: [namespaces, controllers] },
    );
    // LiveKit, coturn and lk-jwt-service on the call servers, sharing the TURN secret with Synapse.
    const calls = new Calls(
        "calls",
        callsArgsFromConfig(cfg, plan, { callAddresses: cluster.aws?.callAddresses }, data.livekitRedis),
        { provider: cluster.provider, dependsOn: [namespaces, controllers, data] },
    );
    // clamd, which Synapse's scanner module streams every stored file to.
    const av = cfg.antivirus;
    if (av.enabled && !av.signatureMirror) {
        // clamd cannot start without signatures, and the cluster reaches no public mirror.
        pulumi.log.warn("Uploads are NOT scanned for viruses: set matrix:antivirus.signatureMirror (an internal ClamAV signature mirror), or matrix:antivirus.enabled false to silence this.");
    }
    const antivirus =
        av.enabled && av.signatureMirror
            ? new Antivirus(
                  "antivirus",
                  { plan, image: av.image, mirror: av.signatureMirror, checksPerDay: av.checksPerDay, timeoutSeconds: av.timeoutSeconds, clientPodLabels: SYNAPSE_POD_LABELS },
                  { provider: cluster.provider, dependsOn: [namespaces] },
              )
            : undefined;
    // Synapse, its router, Element Web and the edge, on the data layer's endpoints.
    const apps = matrixApps(
        cfg,
        plan,
        data.endpoints,
        { provider: cluster.provider, dependsOn: [namespaces, controllers, data, ...(antivirus ? [antivirus] : [])] },
        calls,
        antivirus ? { host: antivirus.host, port: antivirus.port, timeoutSeconds: av.timeoutSeconds, onError: av.onError } : undefined,
    );
    new Monitoring(
        "monitoring",
        {
            plan,
            topology: apps.synapse.topology,
            storageClass: cluster.storageClasses.ssd,
            alertmanager: cfg.monitoring.alertmanager,
            ...(backup.settings.target ? { backupSchedule: backup.settings.postgres.schedule } : {}),
            backupJobs: scheduledBackupJobs(backup.settings),
            // MinIO's cluster metrics (the data layer makes its Prometheus user and token Secret); none with AWS S3.
            scrapeContracts: cfg.data.objectStore.backend === "aws-s3" ? [] : ["minio"],
            // The API server calls the operator's admission webhook from the control plane's address: the VPC with
            // provider aws; on an existing cluster, private networks (RFC 1918), where managed control planes live.
            apiServerCidrs: cfg.cluster.provider === "aws" ? [cfg.cluster.vpcCidr] : [...PRIVATE_NETWORKS],
        },
        // The controllers layer installs the Prometheus operator's CRDs (or the stack declares them preinstalled).
        { provider: cluster.provider, dependsOn: [namespaces, controllers] },
    );
    // The lawful-intercept instance, alone on the LI server, reading the data layer's read-only endpoints.
    const li = lawfulIntercept(cfg, plan, data.endpoints, cluster.storageClasses, { provider: cluster.provider, dependsOn: [namespaces, controllers, data] });
    // Media mirror and LI backups to the backup target (PostgreSQL's are the data layer's).
    const backups = new Backups(
        "backups",
        { settings: backup.settings, media: data.endpoints.media, mediaProvider: cfg.data.objectStore.backend === "aws-s3" ? "AWS" : "Minio", li: LI_BACKUP_SOURCES },
        { provider: cluster.provider, dependsOn: [namespaces, data] },
    );

    return {
        /** The whole sizing plan, so `pulumi preview` shows what will be built before anything is. */
        plan,
        domain: cfg.domain,
        /** Every Synapse process pool: kind, pods or autoscaling bounds, and why it exists. */
        synapse: apps.synapse.summary,
        storageClasses: cluster.storageClasses,
        /** Which release installs each CRD group this stack uses ("preinstalled": the cluster already has it). */
        crdInstallers: controllers.crdInstallers,
        /** Which call server runs which LiveKit and coturn instance; the TURN host's DNS lists the coturn servers' addresses. */
        callServers: calls.placement,
        dataEndpoints: data.endpoints,
        /** Record in matrix:data.objectStore.pools before changing tier (pools are append-only). */
        objectStorePools: data.objectStorePools,
        ...(li ? { li: { hosts: li.hosts, syncMetrics: li.metricsEndpoint } } : {}),
        /** Backup CronJobs besides PostgreSQL's ScheduledBackup (empty without matrix:backup.target). */
        backupJobs: backups.jobs,
        // Only when the program knows it; always a secret.
        ...(cluster.kubeconfig ? { kubeconfig: cluster.kubeconfig } : {}),
        // Where to point the domain's DNS, the call servers' stable addresses, and the account
        // quotas the stack needs (shown by `pulumi preview` before anything is created) (provider aws).
        ...(cluster.aws
            ? { edgeHostname: cluster.aws.edgeHostname, apiEndpoint: cluster.aws.apiEndpoint, callAddresses: cluster.aws.callAddresses, awsQuotas: cluster.aws.quotas }
            : {}),
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
