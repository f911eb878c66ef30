// The Pulumi program: validate the stack config, compute the sizing plan,
// then build the components from it. Nothing here decides a number.
import * as pulumi from "@pulumi/pulumi";
import { Cluster, clusterProblems } from "./components/cluster";
import { DataLayer } from "./components/data";
import { Antivirus } from "./components/antivirus";
import { Backups } from "./components/backup";
import { resolveBackup } from "./components/backup/settings";
import { LI_BACKUP_SOURCES } from "./components/contracts";
import { edgeProblems, matrixApps, synapseImageProblems } from "./components/matrix-apps";
import { SYNAPSE_POD_LABELS } from "./components/synapse/workloads";
import { Namespaces } from "./components/namespaces";
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
        ...clusterProblems(cfg.cluster, plan),
        ...edgeProblems(cfg),
        ...synapseImageProblems(cfg),
        ...backup.problems,
    ];
    if (clusterIssues.length > 0) throw new ConfigError(clusterIssues);

    const cluster = new Cluster("cluster", { config: cfg.cluster, plan });
    const namespaces = new Namespaces("namespaces", { provider: cluster.provider });
    const data = new DataLayer(
        "data",
        {
            plan,
            config: cfg.data,
            storageClasses: cluster.storageClasses,
            ...(backup.settings.target ? { postgresBackup: { ...backup.settings.target, ...backup.settings.postgres } } : {}),
        },
        { provider: cluster.provider, dependsOn: [namespaces] },
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
        { provider: cluster.provider, dependsOn: [namespaces, data, ...(antivirus ? [antivirus] : [])] },
        antivirus ? { host: antivirus.host, port: antivirus.port, timeoutSeconds: av.timeoutSeconds, onError: av.onError } : undefined,
    );
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
        dataEndpoints: data.endpoints,
        /** Record in matrix:data.objectStore.pools before changing tier (pools are append-only). */
        objectStorePools: data.objectStorePools,
        /** Backup CronJobs besides PostgreSQL's ScheduledBackup (empty without matrix:backup.target). */
        backupJobs: backups.jobs,
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
