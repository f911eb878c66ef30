// Backups that are not PostgreSQL's (that one is the data layer's Barman Cloud
// plugin): the media mirror in matrix, the LI database and key_vault archives
// in matrix-li, their scripts, and the key that encrypts key_vault's archives.
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import * as random from "@pulumi/random";
import { NAMESPACES, type DataEndpoints, type LiBackupSources } from "../contracts";
import { JOB_NAMES, KEY_VAULT_KEY_SECRET, keyVaultJob, liDatabaseJob, mediaMirrorJob, scheduledBackupJobs, SCRIPTS_CONFIGMAP } from "./jobs";
import { keyVaultScript, liDumpScript, liUploadScript, mediaMirrorScript } from "./scripts";
import type { BackupSettings } from "./settings";

export interface BackupsArgs {
    readonly settings: BackupSettings;
    readonly media: DataEndpoints["media"];
    readonly mediaProvider: "Minio" | "AWS";
    readonly li: LiBackupSources;
}

export class Backups extends pulumi.ComponentResource {
    /** CronJob names by kind (empty without a target). */
    readonly jobs: string[] = [];

    constructor(name: string, args: BackupsArgs, opts?: pulumi.ComponentResourceOptions) {
        super("matrix:backup:Backups", name, {}, opts);
        const parent = this;
        const target = args.settings.target;
        if (!target) {
            pulumi.log.warn("Media, the LI database and key_vault have NO backups: set matrix:backup.target (an S3-compatible bucket off the cluster).", this);
            this.registerOutputs({ jobs: [] });
            return;
        }
        const s = { ...args.settings, target };
        const scripts = (ns: string, data: Record<string, string>) =>
            new k8s.core.v1.ConfigMap(`${ns}-${SCRIPTS_CONFIGMAP}`, { metadata: { name: SCRIPTS_CONFIGMAP, namespace: ns }, data }, { parent });

        const matrixScripts = scripts(NAMESPACES.matrix, { "media-mirror.sh": mediaMirrorScript() });
        const mirror = pulumi.output(args.media.endpointUrl).apply((endpointUrl) =>
            mediaMirrorJob(s, { endpointUrl, region: args.media.region, provider: args.mediaProvider, bucket: args.media.bucket, readOnlySecret: args.media.backupCredentialsSecret }),
        );
        new k8s.batch.v1.CronJob(JOB_NAMES.media, { metadata: mirror.metadata, spec: mirror.spec }, { parent, dependsOn: [matrixScripts] });

        const liScripts = scripts(NAMESPACES.li, { "li-dump.sh": liDumpScript(), "li-upload.sh": liUploadScript(), "key-vault.sh": keyVaultScript() });
        const liDb = liDatabaseJob(s, args.li);
        new k8s.batch.v1.CronJob(JOB_NAMES.liDatabase, liDb, { parent, dependsOn: [liScripts] });

        // The archive key: generated once, kept in state as a secret; losing it loses the archives (docs/backup.md).
        const password = new random.RandomPassword("key-vault-backup-password", { length: 48, special: false }, { parent });
        const salt = new random.RandomPassword("key-vault-backup-salt", { length: 48, special: false }, { parent });
        const key = new k8s.core.v1.Secret(
            KEY_VAULT_KEY_SECRET,
            { metadata: { name: KEY_VAULT_KEY_SECRET, namespace: NAMESPACES.li }, type: "Opaque", stringData: { password: password.result, salt: salt.result } },
            { parent },
        );
        new k8s.batch.v1.CronJob(JOB_NAMES.keyVault, keyVaultJob(s, args.li), { parent, dependsOn: [liScripts, key] });
        this.jobs = scheduledBackupJobs(s).map((j) => j.name);
        this.registerOutputs({ jobs: this.jobs });
    }
}
