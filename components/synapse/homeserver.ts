// homeserver.yaml (shared by every process) and one worker file per named
// instance (one template per autoscaled pool), generated from the topology.
// No secret appears in them: secrets are files (`*_path`) or environment
// variables (PGPASSWORD, AWS_*) filled from Kubernetes Secrets.
import { createHash } from "node:crypto";
import * as YAML from "yaml";
import type { Plan, WorkerPlan } from "../../sizing/types";
import { HTTP_PORT, METRICS_PORT, PATHS, POD_NAME_PLACEHOLDER, REPLICATION_PORT, workerFileKey } from "./ports";
import type { Pool, Topology } from "./topology";
import { MAIN, type ListenerResource } from "./worker-table";
import { synapseCallConfig, wellKnownClientCalls, type CallEndpoints } from "../calls/matrix";

/** Resolved endpoints and names Synapse needs (the data layer's DataEndpoints, unwrapped). */
export interface SynapseSettings {
    /** server_name: the part after the colon in user IDs. */
    readonly serverName: string;
    /** Where clients reach Synapse, e.g. https://matrix.example.org/ */
    readonly publicBaseUrl: string;
    readonly database: { readonly host: string; readonly port: number; readonly database: string; readonly user: string };
    readonly redis: { readonly host: string; readonly port: number };
    readonly media: { readonly endpointUrl: string; readonly bucket: string; readonly region: string };
    /** Extra keys of /.well-known/matrix/client (e.g. MatrixRTC foci), served by Synapse. */
    readonly extraWellKnownClient?: Readonly<Record<string, unknown>>;
    /** TURN servers and the MatrixRTC focus (components/calls); the TURN secret is the file SECRET_FILES.turn. */
    readonly calls?: CallEndpoints;
    /** clamd for the scanner module (synapse-modules/clamav_scanner, in the project's Synapse image); absent: no scanning. */
    readonly antivirus?: AntivirusModuleSettings;
}

export interface AntivirusModuleSettings {
    readonly host: string;
    readonly port: number;
    readonly timeoutSeconds: number;
    readonly onError: "reject" | "allow";
}

/** The scanner module's entry in `modules:` (its config keys are the module's parse_config). */
export function antivirusModule(a: AntivirusModuleSettings) {
    return {
        module: "clamav_scanner.ClamAVScanner",
        config: { host: a.host, port: a.port, timeout_seconds: a.timeoutSeconds, on_error: a.onError },
    };
}

/** Files under /conf, keyed by ConfigMap key. */
export type ConfigFiles = Readonly<Record<string, string>>;

export const SECRET_FILES = {
    macaroon: "macaroon_secret_key",
    form: "form_secret",
    registration: "registration_shared_secret",
    replication: "worker_replication_secret",
    /** coturn's static-auth-secret: the same generated value the calls component gives coturn. */
    turn: "turn_shared_secret",
} as const;

const secretPath = (key: string) => `${PATHS.secretsDir}/${key}`;

function httpListener(resources: readonly ListenerResource[]) {
    return {
        type: "http",
        port: HTTP_PORT,
        bind_addresses: ["0.0.0.0"],
        // The router overwrites X-Forwarded-For with the real client address.
        x_forwarded: true,
        resources: [{ names: resources.length > 0 ? [...resources] : ["health"], compress: false }],
    };
}

const replicationListener = {
    type: "http",
    port: REPLICATION_PORT,
    bind_addresses: ["0.0.0.0"],
    resources: [{ names: ["replication"] }],
};

const metricsListener = { type: "metrics", port: METRICS_PORT, bind_addresses: ["0.0.0.0"] };

function databaseBlock(s: SynapseSettings, pool: { cpMin: number; cpMax: number }) {
    return {
        name: "psycopg2",
        // libpq reads the password from PGPASSWORD (set from the data layer's Secret).
        args: {
            user: s.database.user,
            dbname: s.database.database,
            host: s.database.host,
            port: s.database.port,
            cp_min: pool.cpMin,
            cp_max: pool.cpMax,
        },
    };
}

export function homeserverConfig(plan: Plan, topo: Topology, s: SynapseSettings): Record<string, unknown> {
    const sp = plan.synapse;
    const federation = topo.federation;
    const duties: Record<string, unknown> = {};
    for (const pool of topo.pools) Object.assign(duties, pool.def.sharedConfig?.(pool.instances) ?? {});

    const federationKeys = federation
        ? {
              serve_server_wellknown: true,
              rc_federation: { concurrent: sp.rcFederation.concurrent },
          }
        : {
              // Federation off: no federation listener, no routes, and Synapse itself
              // talks to no other server (an empty whitelist denies every domain).
              federation_domain_whitelist: [],
              trusted_key_servers: [],
              federation_sender_instances: [],
              allow_public_rooms_over_federation: false,
              // lk-jwt-service finds this server like a federation peer would (.well-known/matrix/server) to check OpenID tokens.
              serve_server_wellknown: s.calls !== undefined,
          };

    return {
        server_name: s.serverName,
        public_baseurl: s.publicBaseUrl,
        report_stats: false,
        log_config: PATHS.logConfig,
        listeners: [
            httpListener([...MAIN.resources, ...(federation ? MAIN.federationResources : MAIN.withoutFederationResources)]),
            replicationListener,
            metricsListener,
        ],
        enable_metrics: true,
        database: databaseBlock(s, sp.main),
        redis: { enabled: true, host: s.redis.host, port: s.redis.port, password_path: PATHS.redisPassword },
        instance_map: topo.instanceMap,
        stream_writers: topo.streamWriters,
        ...duties,
        caches: { global_factor: sp.caches.globalFactor },
        event_cache_size: sp.caches.eventCacheSize,
        max_upload_size: sp.maxUploadSize,
        rc_message: { per_second: sp.rcMessage.perSecond, burst_count: sp.rcMessage.burstCount },
        rc_registration: { per_second: sp.rcRegistration.perSecond, burst_count: sp.rcRegistration.burstCount },
        ...federationKeys,
        enable_registration: false,
        media_store_path: PATHS.mediaStore,
        media_storage_providers: [
            {
                module: "s3_storage_provider.S3StorageProviderBackend",
                store_local: true,
                store_remote: true,
                store_synchronous: true,
                // boto3 takes AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY from the environment.
                config: { bucket: s.media.bucket, region_name: s.media.region, endpoint_url: s.media.endpointUrl },
            },
        ],
        signing_key_path: PATHS.signingKey,
        macaroon_secret_key_path: secretPath(SECRET_FILES.macaroon),
        form_secret_path: secretPath(SECRET_FILES.form),
        registration_shared_secret_path: secretPath(SECRET_FILES.registration),
        worker_replication_secret_path: secretPath(SECRET_FILES.replication),
        ...(s.calls ? synapseCallConfig(s.calls, secretPath(SECRET_FILES.turn)) : {}),
        ...(s.extraWellKnownClient || s.calls
            ? { extra_well_known_client_content: { ...(s.calls ? wellKnownClientCalls(s.calls) : {}), ...(s.extraWellKnownClient ?? {}) } }
            : {}),
        // Every process that stores media (main, media workers) scans it before the S3 provider copies it.
        ...(s.antivirus ? { modules: [antivirusModule(s.antivirus)] } : {}),
    };
}

/** The worker file of one instance (or, with POD_NAME_PLACEHOLDER, of an autoscaled pool). */
export function workerConfig(pool: Pool, workerName: string, federation: boolean, s: SynapseSettings): Record<string, unknown> {
    const d = pool.def;
    const resources = [...d.resources, ...(federation ? d.federationResources ?? [] : [])];
    const size: WorkerPlan = pool.size;
    return {
        worker_app: "synapse.app.generic_worker",
        worker_name: workerName,
        worker_log_config: PATHS.logConfig,
        worker_listeners: [httpListener(resources), ...(d.streams.length > 0 ? [replicationListener] : []), metricsListener],
        // Synapse merges config files shallowly: this block replaces the shared one, so it is complete.
        database: databaseBlock(s, size),
        ...(d.workerConfig ?? {}),
    };
}

/** Names of the worker files a pool's pods read: one per StatefulSet pod, one template per Deployment. */
export function workerFileNames(pool: Pool): readonly string[] {
    return pool.def.scalable ? [pool.def.name] : pool.instances;
}

export const LOG_CONFIG = {
    version: 1,
    formatters: { precise: { format: "%(asctime)s - %(name)s - %(lineno)d - %(levelname)s - %(message)s" } },
    handlers: { console: { class: "logging.StreamHandler", formatter: "precise" } },
    root: { level: "INFO", handlers: ["console"] },
    disable_existing_loggers: false,
};

export const toYaml = (v: unknown) => YAML.stringify(v, { aliasDuplicateObjects: false, lineWidth: 0 });

/** Every file of the Synapse ConfigMap. */
export function synapseConfigFiles(plan: Plan, topo: Topology, s: SynapseSettings): ConfigFiles {
    const files: Record<string, string> = {
        "homeserver.yaml": toYaml(homeserverConfig(plan, topo, s)),
        "log.yaml": toYaml(LOG_CONFIG),
    };
    for (const pool of topo.pools) {
        for (const name of workerFileNames(pool)) {
            const workerName = pool.def.scalable ? POD_NAME_PLACEHOLDER : name;
            files[workerFileKey(name)] = toYaml(workerConfig(pool, workerName, topo.federation, s));
        }
    }
    return files;
}

/**
 * Checksum over every file. It goes on every Synapse pod template, so any change
 * to shared config (a new event persister, a new stream writer) restarts every
 * process in one `pulumi up`, as Synapse requires (guide §2.5).
 */
export function configChecksum(files: ConfigFiles): string {
    const h = createHash("sha256");
    for (const key of Object.keys(files).sort()) h.update(key).update("\0").update(files[key]).update("\0");
    return h.digest("hex");
}
