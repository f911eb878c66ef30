// synapse-li's homeserver.yaml: the main deployment's generator (same
// server_name, caches, limits, secrets as files) turned into ONE process that
// talks to nothing but its own database and the object store: no workers, no
// Redis, no federation, no registration, no pushes, no URL previews, and media
// read from the main bucket without ever writing to it.
import type { Plan } from "../../sizing/types";
import { homeserverConfig, toYaml, LOG_CONFIG, type SynapseSettings } from "../synapse/homeserver";
import { HTTP_PORT, METRICS_PORT } from "../synapse/ports";
import { buildTopology } from "../synapse/topology";
import { STREAMS } from "../synapse/streams";

export interface LiSynapseSettings {
    readonly serverName: string;
    /** https://<LI homeserver host>/ */
    readonly publicBaseUrl: string;
    readonly database: SynapseSettings["database"];
    readonly media: SynapseSettings["media"];
    /** cp_max of the single process (the LI PostgreSQL allows a few dozen sessions). */
    readonly pool: { readonly cpMin: number; readonly cpMax: number };
}

/** Keys of the main configuration that only make sense with workers, Redis or federation. */
const WORKER_ONLY_KEYS = [
    "redis",
    "instance_map",
    "stream_writers",
    "worker_replication_secret_path",
    "registration_shared_secret_path",
    "media_instance_running_background_jobs",
    "run_background_tasks_on",
    "update_user_directory_from_worker",
    "notify_appservices_from_worker",
    "federation_sender_instances",
    "pusher_instances",
    "extra_well_known_client_content",
];

export function liHomeserverConfig(plan: Plan, s: LiSynapseSettings): Record<string, unknown> {
    // The main generator, on a plan without federation: its keys for "federation off" are what LI needs.
    const noFederation: Plan = { ...plan, federation: false };
    const topo = { ...buildTopology(noFederation), pools: [], instanceMap: {}, streamWriters: Object.fromEntries(STREAMS.map((st) => [st, ["master"]])) };
    const base = homeserverConfig(noFederation, topo as unknown as Parameters<typeof homeserverConfig>[1], {
        serverName: s.serverName,
        publicBaseUrl: s.publicBaseUrl,
        database: s.database,
        // Single process: no Redis (the key is removed below).
        redis: { host: "", port: 0 },
        media: s.media,
    });
    const cfg: Record<string, unknown> = { ...base };
    for (const k of WORKER_ONLY_KEYS) delete cfg[k];
    const db = cfg.database as { args: Record<string, unknown> };
    return {
        ...cfg,
        listeners: [
            { type: "http", port: HTTP_PORT, bind_addresses: ["0.0.0.0"], x_forwarded: true, resources: [{ names: ["client", "media"], compress: false }] },
            { type: "metrics", port: METRICS_PORT, bind_addresses: ["0.0.0.0"] },
        ],
        database: { ...db, args: { ...db.args, cp_min: s.pool.cpMin, cp_max: s.pool.cpMax } },
        enable_registration: false,
        enable_media_repo: true,
        // Copies of real users' pushers are in the database: LI must never notify their phones.
        pusher_instances: [],
        url_preview_enabled: false,
        federation_domain_whitelist: [],
        trusted_key_servers: [],
        allow_public_rooms_over_federation: false,
        serve_server_wellknown: false,
        report_stats: false,
        media_storage_providers: [
            {
                module: "s3_storage_provider.S3StorageProviderBackend",
                // Read-through only: nothing is ever sent to the bucket (the credentials could not anyway).
                store_local: false,
                store_remote: false,
                store_synchronous: false,
                config: { bucket: s.media.bucket, region_name: s.media.region, endpoint_url: s.media.endpointUrl },
            },
        ],
    };
}

/** The files of synapse-li's ConfigMap. */
export function liSynapseFiles(plan: Plan, s: LiSynapseSettings): Record<string, string> {
    return { "homeserver.yaml": toYaml(liHomeserverConfig(plan, s)), "log.yaml": toYaml(LOG_CONFIG) };
}
