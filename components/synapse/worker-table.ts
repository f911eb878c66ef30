// THE worker definition table. Synapse's configuration (stream_writers,
// instance_map, duties, listeners), the Kubernetes objects (Deployment+HPA or
// StatefulSet), the HAProxy routing and the tests are all derived from it, so a
// route or a stream lives in exactly one place.
//
// Route regexes are copied verbatim from element-hq/synapse docs/workers.md at
// v1.157.1 (a58ad44eb0ce). Counts, sizes and pools come from the sizing plan.
import type { PoolClass, WorkerType } from "../../sizing/types";
import { WORKER_TYPES } from "../../sizing/types";
import type { Stream } from "./streams";

/** How the router spreads requests of one route group over a pool. */
export type Balance =
    /** Consistent hash of the access token (Authorization header or `access_token` query parameter). */
    | "accessToken"
    /** Consistent hash of the client's address (inbound federation transactions: one remote server, one worker). */
    | "sourceAddress"
    /** Consistent hash of the room ID in the path (event sending, pagination). */
    | "roomId"
    | "roundrobin";

export type HttpMethod = "GET" | "HEAD" | "POST" | "PUT" | "DELETE" | "OPTIONS";

export interface RouteGroup {
    /** Short identifier, used in backend and ACL names: [a-z_]+. */
    readonly id: string;
    /** Anchored regular expressions on the request path (PCRE, as docs/workers.md writes them). */
    readonly patterns: readonly string[];
    /** Only these methods are routed here; others fall through to later rules (and finally main). */
    readonly methods?: readonly HttpMethod[];
    readonly balance: Balance;
    /** Federation API: routed only when federation is enabled, and refused at the router otherwise. */
    readonly federation?: boolean;
}

/** Synapse HTTP listener resources (schema: listeners[].resources[].names). */
export type ListenerResource = "client" | "federation" | "media" | "keys" | "health" | "openid";

export interface WorkerDefinition {
    readonly type: WorkerType;
    /** Kubernetes name of the pool and the prefix of its instance names. */
    readonly name: string;
    /** Anonymous pool: Deployment + HPA. Otherwise a StatefulSet whose pod names are the worker names (guide §2.5). */
    readonly scalable: boolean;
    /** Streams this worker writes: it gets a replication listener and an `instance_map` entry. */
    readonly streams: readonly Stream[];
    /** At most this many instances (single-writer streams). */
    readonly maxInstances?: number;
    /** Resources of its HTTP listener; an empty list still serves /health for probes. */
    readonly resources: readonly ListenerResource[];
    /** Added to `resources` when federation is on. */
    readonly federationResources?: readonly ListenerResource[];
    /** Route groups in priority order. */
    readonly routes: readonly RouteGroup[];
    /**
     * Whether main may take the routes when no instance of the pool is healthy.
     * Only for pools doing work main also does; main rejects media (enable_media_repo: false)
     * and is not the writer of streams moved to a worker.
     */
    readonly fallbackToMain: boolean;
    /** Deployed only when federation is enabled. */
    readonly federationOnly: boolean;
    readonly poolClass: Exclude<PoolClass, "main">;
    /** Keys of the shared homeserver.yaml that name this pool's instances (duties). */
    readonly sharedConfig?: (instances: readonly string[]) => Record<string, unknown>;
    /** Keys of each instance's own worker file beyond name, app, listeners and database. */
    readonly workerConfig?: Record<string, unknown>;
    /** Why this worker exists, for the plan output and the README. */
    readonly purpose: string;
}

const C = "^/_matrix/client";

const SYNC: RouteGroup = {
    id: "sync",
    balance: "accessToken",
    patterns: [
        `${C}/(r0|v3)/sync$`,
        `${C}/(api/v1|r0|v3)/events$`,
        `${C}/(api/v1|r0|v3)/initialSync$`,
        `${C}/(api/v1|r0|v3)/rooms/[^/]+/initialSync$`,
    ],
};

const FEDERATION_INBOUND: RouteGroup = {
    id: "fed_send",
    balance: "sourceAddress",
    federation: true,
    patterns: ["^/_matrix/federation/v1/send/"],
};

const FEDERATION: RouteGroup = {
    id: "fed",
    balance: "roundrobin",
    federation: true,
    patterns: [
        "^/_matrix/federation/v1/version$",
        "^/_matrix/federation/v1/event/",
        "^/_matrix/federation/v1/state/",
        "^/_matrix/federation/v1/state_ids/",
        "^/_matrix/federation/v1/backfill/",
        "^/_matrix/federation/v1/get_missing_events/",
        "^/_matrix/federation/v1/publicRooms",
        "^/_matrix/federation/v1/query/",
        "^/_matrix/federation/v1/make_join/",
        "^/_matrix/federation/v1/make_leave/",
        "^/_matrix/federation/(v1|v2)/send_join/",
        "^/_matrix/federation/(v1|v2)/send_leave/",
        "^/_matrix/federation/v1/make_knock/",
        "^/_matrix/federation/v1/send_knock/",
        "^/_matrix/federation/(v1|v2)/invite/",
        "^/_matrix/federation/v1/event_auth/",
        "^/_matrix/federation/v1/timestamp_to_event/",
        "^/_matrix/federation/v1/exchange_third_party_invite/",
        "^/_matrix/federation/v1/user/devices/",
        "^/_matrix/key/v2/query",
        "^/_matrix/federation/v1/hierarchy/",
    ],
};

// Event sending balanced by room (docs/workers.md "Load balancing"); pagination
// must reach one instance per room, so it shares this hash.
const EVENT_SENDING: RouteGroup = {
    id: "room",
    balance: "roomId",
    patterns: [
        `${C}/(api/v1|r0|v3|unstable)/rooms/.*/redact`,
        `${C}/(api/v1|r0|v3|unstable)/rooms/.*/send`,
        `${C}/(api/v1|r0|v3|unstable)/rooms/.*/state/`,
        `${C}/(api/v1|r0|v3|unstable)/rooms/.*/(join|invite|leave|ban|unban|kick)$`,
        `${C}/(api/v1|r0|v3|unstable)/join/`,
        `${C}/(api/v1|r0|v3|unstable)/knock/`,
        `${C}/(api/v1|r0|v3|unstable)/profile/`,
        `${C}/(api/v1|r0|v3|unstable)/rooms/.*/messages$`,
    ],
};

const CLIENT: RouteGroup = {
    id: "client",
    balance: "roundrobin",
    patterns: [
        `${C}/(api/v1|r0|v3|unstable)/createRoom$`,
        `${C}/(api/v1|r0|v3|unstable)/publicRooms$`,
        `${C}/(api/v1|r0|v3|unstable)/rooms/.*/joined_members$`,
        `${C}/(api/v1|r0|v3|unstable)/rooms/.*/context/.*$`,
        `${C}/(api/v1|r0|v3|unstable)/rooms/.*/members$`,
        `${C}/(api/v1|r0|v3|unstable)/rooms/.*/state$`,
        `${C}/v1/rooms/.*/hierarchy$`,
        `${C}/(v1|unstable)/rooms/.*/relations/`,
        `${C}/v1/rooms/.*/threads$`,
        `${C}/unstable/im.nheko.summary/summary/.*$`,
        `${C}/v1/room_summary/.*$`,
        `${C}/(r0|v3|unstable)/account/3pid$`,
        `${C}/(r0|v3|unstable)/account/whoami$`,
        `${C}/(r0|v3|unstable)/account/deactivate$`,
        `${C}/(r0|v3)/delete_devices$`,
        `${C}/(api/v1|r0|v3|unstable)/devices(/|$)`,
        `${C}/versions$`,
        `${C}/(api/v1|r0|v3|unstable)/voip/turnServer$`,
        `${C}/(api/v1|r0|v3|unstable)/rooms/.*/event/`,
        `${C}/(api/v1|r0|v3|unstable)/joined_rooms$`,
        `${C}/v1/rooms/.*/timestamp_to_event$`,
        `${C}/(api/v1|r0|v3|unstable/.*)/rooms/.*/aliases`,
        `${C}/(api/v1|r0|v3|unstable)/search$`,
        `${C}/(r0|v3|unstable)/user/.*/filter(/|$)`,
        `${C}/(api/v1|r0|v3|unstable)/directory/room/.*$`,
        `${C}/(r0|v3|unstable)/capabilities$`,
        `${C}/(r0|v3|unstable)/notifications$`,
        // Admin API requests
        "^/_synapse/admin/v1/rooms/[^/]+$",
        // Encryption requests
        `${C}/(r0|v3|unstable)/keys/query$`,
        `${C}/(r0|v3|unstable)/keys/changes$`,
        `${C}/(r0|v3|unstable)/keys/claim$`,
        `${C}/(r0|v3|unstable)/room_keys/`,
        `${C}/(r0|v3|unstable)/keys/upload`,
        `${C}/(api/v1|r0|v3|unstable)/keys/device_signing/upload$`,
        `${C}/(api/v1|r0|v3|unstable)/keys/signatures/upload$`,
        // Registration/login requests
        `${C}/(api/v1|r0|v3|unstable)/login$`,
        `${C}/(r0|v3|unstable)/register$`,
        `${C}/(r0|v3|unstable)/register/available$`,
        `${C}/v1/register/m.login.registration_token/validity$`,
        `${C}/(r0|v3|unstable)/password_policy$`,
        // User directory search requests
        `${C}/(r0|v3|unstable)/user_directory/search$`,
        // Unstable MSC4140 support
        `${C}/unstable/org.matrix.msc4140/delayed_events(/.*/restart)?$`,
    ],
};

/** "Additionally, the following REST endpoints can be handled for GET requests". */
const CLIENT_GET_ONLY: RouteGroup = {
    id: "client_get",
    balance: "roundrobin",
    methods: ["GET", "HEAD"],
    patterns: [
        `${C}/(api/v1|r0|v3|unstable)/pushrules/`,
        `${C}/(r0|v3|unstable)/.*/tags`,
        `${C}/(r0|v3|unstable)/.*/account_data`,
        `${C}/(api/v1|r0|v3|unstable)/presence/`,
        "^/_synapse/admin/v2/users/[^/]+$",
    ],
};

const MEDIA_CLIENT: RouteGroup = {
    id: "media",
    balance: "roundrobin",
    patterns: [
        "^/_matrix/media/",
        "^/_matrix/client/v1/media/",
        "^/_synapse/admin/v1/purge_media_cache$",
        "^/_synapse/admin/v1/room/.*/media.*$",
        "^/_synapse/admin/v1/user/.*/media.*$",
        "^/_synapse/admin/v1/media/.*$",
        "^/_synapse/admin/v1/quarantine_media/.*$",
        "^/_synapse/admin/v1/users/.*/media$",
    ],
};

const MEDIA_FEDERATION: RouteGroup = {
    id: "media_fed",
    balance: "roundrobin",
    federation: true,
    patterns: ["^/_matrix/federation/v1/media/"],
};

/** A stream writer of a single stream, serving that stream's endpoints on a client listener. */
function writer(
    type: WorkerType,
    name: string,
    stream: Stream,
    patterns: readonly string[],
    poolClass: "standard" | "light",
    single: boolean,
): WorkerDefinition {
    return {
        type,
        name,
        scalable: false,
        streams: [stream],
        ...(single ? { maxInstances: 1 } : {}),
        resources: patterns.length > 0 ? ["client"] : [],
        routes: patterns.length > 0 ? [{ id: stream, balance: "accessToken", patterns }] : [],
        fallbackToMain: false,
        federationOnly: false,
        poolClass,
        purpose: `writer of the ${stream} stream`,
    };
}

/**
 * In routing priority order: stream writers first (their endpoints overlap the
 * generic worker's list, and must reach the writer), then media, sync, and the
 * generic worker's groups. Anything matched by none goes to main.
 */
export const WORKER_TABLE: readonly WorkerDefinition[] = [
    writer("typingWriter", "synapse-typing-writer", "typing", [`${C}/(api/v1|r0|v3|unstable)/rooms/.*/typing`], "light", true),
    writer("toDeviceWriter", "synapse-to-device-writer", "to_device", [`${C}/(r0|v3|unstable)/sendToDevice/`], "standard", true),
    writer(
        "accountDataWriter",
        "synapse-account-data-writer",
        "account_data",
        [`${C}/(r0|v3|unstable)/.*/tags`, `${C}/(r0|v3|unstable)/.*/account_data`],
        "light",
        true,
    ),
    writer(
        "receiptsWriter",
        "synapse-receipts-writer",
        "receipts",
        [`${C}/(r0|v3|unstable)/rooms/.*/receipt`, `${C}/(r0|v3|unstable)/rooms/.*/read_markers`],
        "standard",
        false,
    ),
    writer("presenceWriter", "synapse-presence-writer", "presence", [`${C}/(api/v1|r0|v3|unstable)/presence/`], "light", true),
    writer("pushRulesWriter", "synapse-push-rules-writer", "push_rules", [`${C}/(api/v1|r0|v3|unstable)/pushrules/`], "light", true),
    writer(
        "deviceListsWriter",
        "synapse-device-lists-writer",
        "device_lists",
        [
            `${C}/(r0|v3)/delete_devices$`,
            `${C}/(api/v1|r0|v3|unstable)/devices(/|$)`,
            `${C}/(r0|v3|unstable)/keys/upload`,
            `${C}/(api/v1|r0|v3|unstable)/keys/device_signing/upload$`,
            `${C}/(api/v1|r0|v3|unstable)/keys/signatures/upload$`,
        ],
        "standard",
        false,
    ),
    {
        type: "mediaRepository",
        name: "synapse-media-repository",
        scalable: false,
        streams: [],
        resources: ["media"],
        routes: [MEDIA_CLIENT, MEDIA_FEDERATION],
        fallbackToMain: false,
        federationOnly: false,
        poolClass: "standard",
        sharedConfig: (instances) => ({
            enable_media_repo: false,
            media_instance_running_background_jobs: instances[0],
        }),
        workerConfig: { enable_media_repo: true },
        purpose: "media repository (uploads, downloads, thumbnails); the first instance runs media background jobs",
    },
    {
        type: "synchrotron",
        name: "synapse-synchrotron",
        scalable: true,
        streams: [],
        resources: ["client"],
        routes: [SYNC],
        fallbackToMain: true,
        federationOnly: false,
        poolClass: "standard",
        purpose: "/sync, /events and /initialSync, sticky per user",
    },
    {
        type: "generic",
        name: "synapse-generic-worker",
        scalable: true,
        streams: [],
        resources: ["client"],
        federationResources: ["federation"],
        routes: [FEDERATION_INBOUND, FEDERATION, EVENT_SENDING, CLIENT, CLIENT_GET_ONLY],
        fallbackToMain: true,
        federationOnly: false,
        poolClass: "standard",
        purpose: "client and federation API requests any worker can serve",
    },
    {
        type: "eventPersister",
        name: "synapse-event-persister",
        scalable: false,
        streams: ["events"],
        resources: [],
        routes: [],
        fallbackToMain: false,
        federationOnly: false,
        poolClass: "standard",
        purpose: "writers of the events stream, sharded by room",
    },
    {
        type: "federationSender",
        name: "synapse-federation-sender",
        scalable: false,
        streams: [],
        resources: [],
        routes: [],
        fallbackToMain: false,
        federationOnly: true,
        poolClass: "standard",
        sharedConfig: (instances) => ({ federation_sender_instances: [...instances] }),
        purpose: "outbound federation, sharded by destination",
    },
    {
        type: "background",
        name: "synapse-background",
        scalable: false,
        streams: [],
        maxInstances: 1,
        resources: [],
        routes: [],
        fallbackToMain: false,
        federationOnly: false,
        poolClass: "light",
        sharedConfig: (instances) => ({
            run_background_tasks_on: instances[0],
            update_user_directory_from_worker: instances[0],
        }),
        purpose: "periodic background tasks and user directory updates, off the main process",
    },
];

/** The main process, routed to for everything the table does not claim. */
export const MAIN = {
    name: "synapse-main",
    resources: ["client"] as readonly ListenerResource[],
    federationResources: ["federation"] as readonly ListenerResource[],
    /**
     * Without federation, main still answers /_matrix/federation/v1/openid/userinfo
     * (the `openid` resource, nothing else of the federation API): lk-jwt-service
     * checks Element Call's OpenID tokens there. The router lets only that path through.
     */
    withoutFederationResources: ["openid"] as readonly ListenerResource[],
} as const;

/** The one federation-API path served and routed when federation is off. */
export const OPENID_USERINFO_PATH = "/_matrix/federation/v1/openid/userinfo";

export function definitionOf(type: WorkerType): WorkerDefinition {
    const def = WORKER_TABLE.find((d) => d.type === type);
    if (!def) throw new Error(`no worker definition for ${type}`);
    return def;
}

// A worker type of the plan without a definition would silently not deploy.
for (const t of WORKER_TYPES) definitionOf(t);
