// The data layer Synapse stands on: PostgreSQL, the two Redis groups and the
// media object store, exposing the endpoints Synapse consumes (contracts.ts).
import * as pulumi from "@pulumi/pulumi";
import type { DataConfig } from "../../config/sections/data";
import { floorPlanOf } from "../../sizing";
import type { Plan } from "../../sizing/types";
import { DEFAULT_STORAGE_CLASSES, NAMESPACES, type DataEndpoints } from "../contracts";
import { CREDENTIAL_SECRETS, MediaObjectStore } from "./objectstore";
import { PostgresCluster } from "./postgres";
import type { BackupTarget } from "./postgres/manifests";
import { RedisHaGroup } from "./redis";
import { REDIS_PORT, redisVolumeGiB, SENTINEL_PORT } from "./redis/manifests";

export const REDIS_SYNAPSE_SERVICE = "redis-synapse";

export interface DataLayerArgs {
    readonly plan: Plan;
    readonly config: DataConfig;
    /** PostgreSQL's backup target, schedule and retention (matrix:backup, resolved); absent: matrix:data.postgres.backup as before. */
    readonly postgresBackup?: BackupTarget;
    /** StorageClass per disk type; the existing-cluster provider may rename them. */
    readonly storageClasses?: Readonly<Record<"ssd" | "nvme" | "hdd", string>>;
    /** Whether the cluster serves monitoring.coreos.com (Controllers.serves); without it no PodMonitor is created. Default false. */
    readonly monitoringCrds?: boolean;
    /** An image with Python for the object store's restart Job (the Synapse image). */
    readonly restarterImage: string;
}

export class DataLayer extends pulumi.ComponentResource {
    readonly endpoints: DataEndpoints;
    readonly objectStorePools: MediaObjectStore["poolLedger"];
    /** LiveKit speaks Sentinel itself: the Sentinel service, master name and password Secret in matrix-calls. */
    readonly livekitRedis: {
        readonly sentinel: string;
        readonly port: number;
        readonly masterName: string;
        readonly password: { readonly name: string; readonly key: string };
        /** Labels of the group's Redis and Sentinel pods and their ports: host-network LiveKit needs its own NetworkPolicy rule to reach them. */
        readonly podLabels: Readonly<Record<string, string>>;
        readonly podPorts: readonly number[];
    };

    constructor(name: string, args: DataLayerArgs, opts?: pulumi.ComponentResourceOptions) {
        super("matrix:data:DataLayer", name, {}, opts);
        const sc = args.storageClasses ?? DEFAULT_STORAGE_CLASSES;
        const { plan, config } = args;
        // Volumes only grow: below the floor tier, keep the floor tier's sizes.
        const floor = floorPlanOf(plan, config.storageFloorCcu) ?? plan;
        const redisGiB = (g: "synapse" | "livekit") => Math.max(redisVolumeGiB(plan.redis[g]), redisVolumeGiB(floor.redis[g]));
        const postgres = new PostgresCluster(
            "postgres",
            {
                plan,
                namespace: NAMESPACES.matrix,
                liNamespace: NAMESPACES.li,
                storageClass: sc.nvme,
                minStorageGB: floor.postgres.storageGB,
                podMonitor: args.monitoringCrds ?? false,
                ...(args.postgresBackup ?? config.postgres.backup ? { backup: args.postgresBackup ?? config.postgres.backup } : {}),
            },
            { parent: this },
        );
        const timing = { downAfterMs: config.redis.sentinelDownAfterMs, failoverTimeoutMs: config.redis.sentinelFailoverTimeoutMs };
        const synapseRedis = new RedisHaGroup(
            "redis-synapse",
            {
                group: "synapse",
                namespace: NAMESPACES.matrix,
                plan: plan.redis.synapse,
                storageClass: sc.ssd,
                volumeGiB: redisGiB("synapse"),
                ...timing,
                haproxy: { replicas: config.redis.haproxyReplicas, checkIntervalMs: config.redis.haproxyCheckIntervalMs, serviceName: REDIS_SYNAPSE_SERVICE },
            },
            { parent: this },
        );
        const livekitRedis = new RedisHaGroup(
            "redis-livekit",
            {
                group: "livekit",
                namespace: NAMESPACES.calls,
                plan: plan.redis.livekit,
                storageClass: sc.ssd,
                volumeGiB: redisGiB("livekit"),
                ...timing,
            },
            { parent: this },
        );
        const media = new MediaObjectStore(
            "media",
            {
                plan,
                backend: config.objectStore.backend,
                bucket: config.objectStore.bucket,
                region: config.objectStore.region,
                ...(config.objectStore.pools ? { ledger: config.objectStore.pools } : {}),
                storageNamespace: NAMESPACES.storage,
                storageClass: sc.hdd,
                consumerNamespaces: { synapse: NAMESPACES.matrix, li: NAMESPACES.li, backup: NAMESPACES.matrix },
                restarterImage: args.restarterImage,
            },
            { parent: this },
        );
        this.endpoints = {
            postgres: postgres.endpoint,
            redis: {
                host: `${REDIS_SYNAPSE_SERVICE}.${NAMESPACES.matrix}.svc.cluster.local`,
                port: REDIS_PORT,
                password: { name: synapseRedis.authSecret, key: "password" },
            },
            media: media.endpoint,
            li: { ...postgres.liEndpoint, mediaCredentialsSecret: CREDENTIAL_SECRETS.li },
        };
        this.objectStorePools = media.poolLedger;
        this.livekitRedis = {
            sentinel: `${livekitRedis.sentinelService}.${NAMESPACES.calls}.svc.cluster.local`,
            port: SENTINEL_PORT,
            masterName: "livekit",
            password: { name: livekitRedis.authSecret, key: "password" },
            podLabels: { "app.kubernetes.io/instance": livekitRedis.baseName },
            podPorts: [REDIS_PORT, SENTINEL_PORT],
        };
        this.registerOutputs({ endpoints: this.endpoints, objectStorePools: this.objectStorePools });
    }
}
