// The sizing plan: one typed, immutable value that every component reads its
// numbers from. Nothing in sizing/ imports Pulumi, so the plan can be computed,
// printed and tested without a cloud account or the Pulumi CLI.

import type { LiveKitCapacity } from "./livekit-capacity";

export const TIER_CCUS = [100, 1000, 5000, 10000, 20000] as const;
export type TierCcu = (typeof TIER_CCUS)[number];

export const MIN_CCU = 1;
export const MAX_CCU = 20000;

export const NODE_ROLES = ["controlPlane", "app", "database", "storage", "calls", "li", "monitoring"] as const;
export type NodeRole = (typeof NODE_ROLES)[number];

export type DiskType = "ssd" | "nvme" | "hdd";

export interface NodePool {
    /** Servers in the pool: the guide's, plus matrix:sizing.extraServers. */
    readonly count: number;
    /** Of `count`, how many matrix:sizing.extraServers added beyond the guide's inventory. */
    readonly extra: number;
    readonly vcpu: number;
    readonly memoryGiB: number;
    /** Disk per server, in GB as the guide writes it (1TB = 1000GB). */
    readonly diskGB: number;
    readonly diskType: DiskType;
    readonly purpose: string;
}

/**
 * Every Synapse worker type the deployment runs. The first four are the ones
 * the guide's tables count; the others are what a real worker deployment
 * needs (guide §2.5 names them, its budget forgets them).
 */
export const WORKER_TYPES = [
    "synchrotron",
    "generic",
    "eventPersister",
    "federationSender",
    "mediaRepository",
    "background",
    "typingWriter",
    "toDeviceWriter",
    "accountDataWriter",
    "presenceWriter",
    "pushRulesWriter",
    "receiptsWriter",
    "deviceListsWriter",
] as const;
export type WorkerType = (typeof WORKER_TYPES)[number];

/** Worker types the guide's §9.1 table counts. */
export const GUIDE_WORKER_TYPES = ["synchrotron", "generic", "eventPersister", "federationSender"] as const;

/**
 * How big a process's database pool is. `standard` gets the guide's per-worker
 * cp_max; `light` is for processes that touch the database rarely (single
 * stream writers for ephemeral streams, the background-tasks worker).
 */
export type PoolClass = "main" | "standard" | "light";

export interface ProcessSize {
    readonly cpu: number;
    readonly memoryGiB: number;
}

export interface ConnectionPool {
    readonly cpMin: number;
    readonly cpMax: number;
}

export interface WorkerPlan extends ProcessSize, ConnectionPool {
    readonly count: number;
    /** For autoscaled types: the HPA maximum, chosen so the connection budget still holds at it. Equal to count otherwise. */
    readonly maxReplicas: number;
    readonly poolClass: PoolClass;
}

export interface SynapsePlan {
    readonly main: ProcessSize & ConnectionPool;
    readonly workers: Readonly<Record<WorkerType, WorkerPlan>>;
    /** All Synapse processes that run at the planned replica counts, main included. */
    readonly processes: number;
    /** The guide's own count (main + the four table types), for comparison. */
    readonly guideProcesses: number;
    readonly caches: { readonly globalFactor: number; readonly eventCacheSize: string; readonly eventCacheEntries: number };
    /** Synapse size string, e.g. "100M". */
    readonly maxUploadSize: string;
    readonly maxUploadBytes: number;
    readonly rcMessage: { readonly perSecond: number; readonly burstCount: number };
    readonly rcRegistration: { readonly perSecond: number; readonly burstCount: number };
    /** Guide "federation max_concurrent_requests"; Synapse's key is rc_federation.concurrent. */
    readonly rcFederation: { readonly concurrent: number };
}

/** PostgreSQL settings as postgresql.conf spells them (units included). */
export type PostgresParameters = Readonly<Record<string, string>>;

export interface ConnectionBudget {
    /** Main process cp_max. */
    readonly main: number;
    /** The guide's per-worker cp_max (the `standard` pool). */
    readonly worker: number;
    /** cp_max of `light` processes. */
    readonly light: number;
    /** Sum of cp_max over every process that runs at planned replica counts. */
    readonly total: number;
    /** The same with the autoscaled types at their HPA maximum. */
    readonly totalAtMaxReplicas: number;
    /** What the guide's own formula counts: main + worker cp_max x the four table types. */
    readonly guideTotal: number;
    /** 85% of max_connections: the total must stay strictly below it (guide §12.2). */
    readonly limit: number;
    /** What the remaining 15% leaves for autovacuum, monitoring and administrators. */
    readonly reserved: number;
}

export interface PostgresPlan {
    readonly instances: number;
    /** The guide's "resources per instance": the whole database server. */
    readonly cpu: number;
    readonly memoryGiB: number;
    /** What the PostgreSQL pod requests: the server less what the kubelet, the OS and daemon sets keep (see dedicatedPod). */
    readonly pod: ProcessSize;
    readonly storageGB: number;
    readonly maxConnections: number;
    /** max_connections the guide's table gives for this tier. */
    readonly guideMaxConnections: number;
    readonly parameters: PostgresParameters;
    readonly connections: ConnectionBudget;
}

export interface RedisGroup {
    readonly instances: number;
    readonly sentinels: number;
    readonly cpu: number;
    readonly memoryGiB: number;
    readonly persistence: "aof" | "rdb";
}

export interface ObjectStorePlan {
    readonly pools: number;
    readonly serversPerPool: number;
    readonly drivesPerServer: number;
    readonly driveGB: number;
    /** Drives per erasure set (all drives of a pool). */
    readonly erasureSetDrives: number;
    /** EC:N, parity drives per erasure set. */
    readonly parity: number;
    readonly rawGB: number;
    readonly usableGB: number;
    /** The guide's stated usable capacity for the tier, for comparison. */
    readonly guideUsableGB: number;
}

export interface CallPlan {
    readonly instances: number;
    readonly cpu: number;
    readonly memoryGiB: number;
}

export interface LiveKitPlan extends CallPlan {
    /** Concurrent call participants one instance carries at this size, as the guide states it (§11.2). */
    readonly participantsPerInstance: number;
    readonly expectedParticipants: number;
    /** The same instances measured against LiveKit's published benchmark (sizing/livekit-capacity.ts). */
    readonly capacity: LiveKitCapacity;
}

export interface CoturnPlan extends CallPlan {
    /** Relay allocations one instance carries (coturn's total-quota). */
    readonly allocationsPerInstance: number;
    readonly expectedAllocations: number;
    /** Allocations one user may hold at once (coturn's user-quota). */
    readonly userQuota: number;
}

export interface MediaPlan {
    /** §10.1: CCU x 10% uploaders x 20GB a year. */
    readonly annualGrowthGB: number;
    /** Provisioned usable capacity / annual growth. */
    readonly yearsCovered: number;
}

export interface BandwidthPlan {
    readonly mediaAvgMbps: number;
    readonly mediaPeakMbps: number;
    readonly mediaUplinkMbps: number;
    readonly concurrentCalls: number;
    readonly callParticipants: number;
    readonly videoCalls: number;
    readonly audioCalls: number;
    readonly callsMbps: number;
}

/** Alert thresholds (guide §8.2, §11.4, §12 and the program's own; see sizing/alerts.ts), for the monitoring stack. */
export interface AlertThresholds {
    readonly ccuPlanUpgradePercent: number;
    readonly ccuUrgentUpgradePercent: number;
    readonly cpuPercent: number;
    readonly memoryPercent: number;
    readonly dbConnectionsPercent: number;
    readonly messageLatencyP99Ms: number;
    readonly callFailurePercent: number;
    readonly packetLossPoorPercent: number;
    readonly packetLossAcceptablePercent: number;
    readonly jitterPoorMs: number;
    readonly jitterAcceptableMs: number;
    readonly latencyPoorMs: number;
    readonly latencyAcceptableMs: number;
    readonly callCpuPercent: number;
    readonly callCpuAddCapacityPercent: number;
    readonly dbConnectionsBudgetPercent: number;
    readonly sustainedMinutes: number;
    readonly dbPoolWaitMs: number;
    readonly replicationBacklogCommands: number;
    readonly eventProcessingLagSeconds: number;
    readonly postgresReplicationLagSeconds: number;
    readonly hpaAtMaxMinutes: number;
    readonly storageHeadroomMonths: number;
    readonly volumeFreePercent: number;
    readonly backupGraceHours: number;
    readonly liSyncMissedIntervals: number;
}

/**
 * The monitoring server's volumes (guide §2.3: 50 GB + 1 GB per 100 CCU for
 * Prometheus and Loki), split as sizing/monitoring.ts documents.
 */
export interface MonitoringPlan {
    /** The §2.3 total. */
    readonly storageGB: number;
    readonly prometheusGB: number;
    readonly alertmanagerGB: number;
    readonly lokiGB: number;
    /** Prometheus drops the oldest blocks at whichever comes first. */
    readonly prometheusRetentionDays: number;
    readonly prometheusRetentionGB: number;
    /** Loki's compactor deletes older chunks (Loki has no size-based retention). */
    readonly lokiRetentionDays: number;
}

export interface TierPosition {
    /** The tier at or below the CCU (100 for CCU below 100). */
    readonly lower: TierCcu;
    /** The tier at or above the CCU. */
    readonly upper: TierCcu;
    readonly exact: boolean;
}

/** clamd pods (antivirus): replicas for HA, memory for the signature database and its reload. */
export interface AntivirusPlan {
    readonly replicas: number;
    readonly cpu: number;
    /** Request: the loaded signature database. */
    readonly memoryGiB: number;
    /** Limit: old and new database side by side while reloading. */
    readonly memoryLimitGiB: number;
}

export interface Plan {
    readonly ccu: number;
    readonly federation: boolean;
    readonly tier: TierPosition;
    readonly nodePools: Readonly<Record<NodeRole, NodePool>>;
    readonly totals: { readonly servers: number; readonly vcpu: number; readonly memoryGiB: number; readonly diskGB: number };
    readonly synapse: SynapsePlan;
    readonly postgres: PostgresPlan;
    readonly redis: { readonly synapse: RedisGroup; readonly livekit: RedisGroup };
    readonly objectStore: ObjectStorePlan;
    readonly livekit: LiveKitPlan;
    readonly coturn: CoturnPlan;
    /** LiveKit and coturn share the call servers (guide §3: 100 CCU). */
    readonly callsColocated: boolean;
    readonly media: MediaPlan;
    readonly antivirus: AntivirusPlan;
    readonly bandwidth: BandwidthPlan;
    readonly alerts: AlertThresholds;
    readonly monitoring: MonitoringPlan;
    readonly warnings: readonly string[];
    readonly errata: readonly string[];
}

/** Optional overrides a stack may set; each may only add capacity. */
export interface SizingOverrides {
    readonly workers?: Partial<Record<WorkerType, number>>;
    readonly postgresMaxConnections?: number;
    /** Servers added to a pool beyond the guide's inventory (`npm run schedule` says when N+1 needs them). */
    readonly extraServers?: { readonly app?: number };
}

export interface SizingInput {
    readonly ccu: number;
    readonly federation: boolean;
    readonly overrides?: SizingOverrides;
}
