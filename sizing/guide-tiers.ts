// The guide's per-tier tables (§3 to §12), transcribed once. Everything else
// in the plan is derived from these rows; nothing here is derived itself.
import type { DiskType, NodeRole, TierCcu } from "./types";

export interface ServerSpec {
    readonly vcpu: number;
    readonly memoryGiB: number;
    readonly diskGB: number;
}

export interface GuideTier {
    readonly ccu: TierCcu;
    /** Server inventory tables, §3.2 to §7.2. Call servers and storage servers are derived, see plan.ts. */
    readonly servers: Readonly<Record<NodeRole, ServerSpec>>;
    readonly appServers: number;
    readonly databaseServers: number;
    /** Synapse component configuration, §3.2 to §7.2 and §9.1. */
    readonly synapse: {
        readonly main: { readonly cpu: number; readonly memoryGiB: number };
        readonly synchrotron: { readonly count: number; readonly cpu: number; readonly memoryGiB: number };
        readonly generic: { readonly count: number; readonly cpu: number; readonly memoryGiB: number };
        readonly eventPersister: { readonly count: number; readonly cpu: number; readonly memoryGiB: number };
        readonly federationSender: { readonly count: number; readonly cpu: number; readonly memoryGiB: number };
        readonly totalProcesses: number;
    };
    /** §9.2. */
    readonly pools: { readonly mainCpMax: number; readonly workerCpMax: number; readonly cpMin: number; readonly total: number };
    /** §9.3, §9.4 and the tier's homeserver.yaml block. */
    readonly globalFactor: number;
    readonly eventCacheSize: string;
    readonly maxUploadSize: string;
    readonly rcMessage: { readonly perSecond: number; readonly burstCount: number };
    /** Listed for 100 CCU only; the later tiers inherit it (see carry-forward in plan.ts). */
    readonly rcRegistration?: { readonly perSecond: number; readonly burstCount: number };
    readonly federationConcurrent: number;
    /** The tier's "PostgreSQL Tuning" block, exactly as listed. */
    readonly postgres: Readonly<Record<string, string>>;
    readonly redis: {
        readonly synapse: { readonly cpu: number; readonly memoryGiB: number };
        readonly livekit: { readonly cpu: number; readonly memoryGiB: number };
    };
    readonly minioPools: number;
    /** The guide's "usable capacity" for media, in GB (§8.1). */
    readonly guideUsableGB: number;
    readonly livekit: { readonly instances: number; readonly cpu: number; readonly memoryGiB: number; readonly participantsPerInstance: number };
    readonly coturn: { readonly instances: number; readonly cpu: number; readonly memoryGiB: number; readonly allocationsPerInstance: number };
    /** §10.5 "Required Bandwidth" uplink, Mbps. */
    readonly mediaUplinkMbps: number;
    /** §8.1 and the "Total Resources" lines: what the guide claims, kept only to report where it disagrees with its own inventory. */
    readonly statedTotals: { readonly vcpu: number; readonly memoryGiB: number; readonly storageTB: number };
}

const ssd = (vcpu: number, memoryGiB: number, diskGB: number): ServerSpec => ({ vcpu, memoryGiB, diskGB });

export const DISK_TYPES: Readonly<Record<NodeRole, DiskType>> = {
    controlPlane: "ssd",
    app: "ssd",
    database: "nvme",
    storage: "hdd",
    calls: "ssd",
    li: "ssd",
    monitoring: "ssd",
};

export const PURPOSES: Readonly<Record<NodeRole, string>> = {
    controlPlane: "Kubernetes control plane",
    app: "Synapse, Element Web, workers, Redis",
    database: "PostgreSQL cluster",
    storage: "MinIO (media files)",
    calls: "LiveKit + coturn",
    li: "Synapse LI, Element LI, Admin LI, key_vault",
    monitoring: "Prometheus, Grafana, Loki",
};

export const GUIDE_TIERS: readonly GuideTier[] = [
    {
        ccu: 100,
        servers: {
            controlPlane: ssd(4, 8, 100),
            app: ssd(8, 16, 200),
            database: ssd(4, 16, 500),
            storage: ssd(4, 8, 1000),
            calls: ssd(4, 8, 50),
            li: ssd(4, 8, 100),
            monitoring: ssd(4, 16, 200),
        },
        appServers: 3,
        databaseServers: 3,
        synapse: {
            main: { cpu: 2, memoryGiB: 4 },
            synchrotron: { count: 2, cpu: 1, memoryGiB: 1 },
            generic: { count: 2, cpu: 1, memoryGiB: 1 },
            eventPersister: { count: 2, cpu: 2, memoryGiB: 2 },
            federationSender: { count: 2, cpu: 0.5, memoryGiB: 0.5 },
            totalProcesses: 9,
        },
        pools: { mainCpMax: 10, workerCpMax: 8, cpMin: 5, total: 74 },
        globalFactor: 0.5,
        eventCacheSize: "5K",
        maxUploadSize: "50M",
        rcMessage: { perSecond: 5, burstCount: 25 },
        rcRegistration: { perSecond: 0.1, burstCount: 3 },
        federationConcurrent: 5,
        postgres: {
            max_connections: "200",
            shared_buffers: "4GB",
            effective_cache_size: "12GB",
            maintenance_work_mem: "1GB",
            work_mem: "20MB",
            random_page_cost: "1.1",
            effective_io_concurrency: "200",
            wal_buffers: "16MB",
            max_wal_size: "4GB",
            checkpoint_completion_target: "0.9",
        },
        redis: { synapse: { cpu: 1, memoryGiB: 2 }, livekit: { cpu: 1, memoryGiB: 1 } },
        minioPools: 1,
        guideUsableGB: 1000,
        livekit: { instances: 2, cpu: 4, memoryGiB: 8, participantsPerInstance: 400 },
        coturn: { instances: 2, cpu: 4, memoryGiB: 4, allocationsPerInstance: 2000 },
        mediaUplinkMbps: 100,
        statedTotals: { vcpu: 100, memoryGiB: 204, storageTB: 5.7 },
    },
    {
        ccu: 1000,
        servers: {
            controlPlane: ssd(4, 8, 100),
            app: ssd(16, 32, 500),
            database: ssd(8, 32, 1000),
            storage: ssd(8, 16, 2000),
            calls: ssd(8, 16, 100),
            li: ssd(4, 16, 200),
            monitoring: ssd(8, 32, 300),
        },
        appServers: 5,
        databaseServers: 3,
        synapse: {
            main: { cpu: 2, memoryGiB: 8 },
            synchrotron: { count: 4, cpu: 1.5, memoryGiB: 2 },
            generic: { count: 2, cpu: 1.5, memoryGiB: 2 },
            eventPersister: { count: 2, cpu: 2, memoryGiB: 3 },
            federationSender: { count: 2, cpu: 1, memoryGiB: 1 },
            totalProcesses: 11,
        },
        pools: { mainCpMax: 15, workerCpMax: 12, cpMin: 5, total: 135 },
        globalFactor: 1.0,
        eventCacheSize: "10K",
        maxUploadSize: "100M",
        rcMessage: { perSecond: 10, burstCount: 50 },
        federationConcurrent: 10,
        postgres: {
            max_connections: "300",
            shared_buffers: "8GB",
            effective_cache_size: "24GB",
            maintenance_work_mem: "2GB",
            work_mem: "26MB",
            max_wal_size: "8GB",
            checkpoint_completion_target: "0.9",
            autovacuum_max_workers: "4",
        },
        redis: { synapse: { cpu: 2, memoryGiB: 4 }, livekit: { cpu: 2, memoryGiB: 2 } },
        minioPools: 1,
        guideUsableGB: 2000,
        livekit: { instances: 2, cpu: 8, memoryGiB: 16, participantsPerInstance: 1000 },
        coturn: { instances: 2, cpu: 8, memoryGiB: 8, allocationsPerInstance: 4000 },
        mediaUplinkMbps: 500,
        statedTotals: { vcpu: 240, memoryGiB: 516, storageTB: 12.2 },
    },
    {
        ccu: 5000,
        servers: {
            controlPlane: ssd(8, 16, 200),
            app: ssd(16, 64, 1000),
            database: ssd(16, 64, 2000),
            storage: ssd(16, 32, 4000),
            calls: ssd(16, 32, 200),
            li: ssd(8, 32, 500),
            monitoring: ssd(8, 32, 500),
        },
        appServers: 8,
        databaseServers: 3,
        synapse: {
            main: { cpu: 4, memoryGiB: 12 },
            synchrotron: { count: 6, cpu: 2, memoryGiB: 3 },
            generic: { count: 4, cpu: 2, memoryGiB: 3 },
            eventPersister: { count: 2, cpu: 3, memoryGiB: 4 },
            federationSender: { count: 4, cpu: 1.5, memoryGiB: 2 },
            totalProcesses: 17,
        },
        pools: { mainCpMax: 18, workerCpMax: 12, cpMin: 5, total: 210 },
        globalFactor: 2.0,
        eventCacheSize: "20K",
        maxUploadSize: "100M",
        rcMessage: { perSecond: 15, burstCount: 75 },
        federationConcurrent: 20,
        postgres: {
            max_connections: "400",
            shared_buffers: "16GB",
            effective_cache_size: "48GB",
            maintenance_work_mem: "4GB",
            work_mem: "40MB",
            max_wal_size: "16GB",
            checkpoint_completion_target: "0.9",
            autovacuum_max_workers: "6",
            autovacuum_naptime: "30s",
        },
        redis: { synapse: { cpu: 4, memoryGiB: 8 }, livekit: { cpu: 2, memoryGiB: 4 } },
        minioPools: 1,
        guideUsableGB: 4000,
        livekit: { instances: 3, cpu: 16, memoryGiB: 32, participantsPerInstance: 2000 },
        coturn: { instances: 3, cpu: 16, memoryGiB: 16, allocationsPerInstance: 8000 },
        mediaUplinkMbps: 2000,
        statedTotals: { vcpu: 464, memoryGiB: 1120, storageTB: 22.4 },
    },
    {
        ccu: 10000,
        servers: {
            controlPlane: ssd(8, 16, 200),
            app: ssd(32, 128, 2000),
            database: ssd(32, 128, 4000),
            storage: ssd(16, 32, 4000),
            calls: ssd(16, 32, 200),
            li: ssd(8, 32, 500),
            monitoring: ssd(16, 64, 1000),
        },
        appServers: 12,
        databaseServers: 3,
        synapse: {
            main: { cpu: 4, memoryGiB: 16 },
            synchrotron: { count: 8, cpu: 2, memoryGiB: 4 },
            generic: { count: 4, cpu: 2, memoryGiB: 4 },
            eventPersister: { count: 2, cpu: 4, memoryGiB: 6 },
            federationSender: { count: 4, cpu: 2, memoryGiB: 3 },
            totalProcesses: 19,
        },
        pools: { mainCpMax: 20, workerCpMax: 15, cpMin: 5, total: 290 },
        globalFactor: 3.0,
        eventCacheSize: "30K",
        maxUploadSize: "100M",
        rcMessage: { perSecond: 20, burstCount: 100 },
        federationConcurrent: 30,
        postgres: {
            max_connections: "500",
            shared_buffers: "32GB",
            effective_cache_size: "96GB",
            maintenance_work_mem: "8GB",
            work_mem: "50MB",
            max_wal_size: "32GB",
            checkpoint_completion_target: "0.9",
            autovacuum_max_workers: "8",
            autovacuum_naptime: "20s",
        },
        redis: { synapse: { cpu: 8, memoryGiB: 16 }, livekit: { cpu: 4, memoryGiB: 8 } },
        minioPools: 2,
        guideUsableGB: 8000,
        livekit: { instances: 4, cpu: 16, memoryGiB: 32, participantsPerInstance: 2000 },
        coturn: { instances: 4, cpu: 16, memoryGiB: 16, allocationsPerInstance: 8000 },
        mediaUplinkMbps: 5000,
        statedTotals: { vcpu: 728, memoryGiB: 2240, storageTB: 43.9 },
    },
    {
        ccu: 20000,
        servers: {
            controlPlane: ssd(8, 16, 200),
            app: ssd(32, 128, 2000),
            database: ssd(32, 128, 4000),
            storage: ssd(16, 32, 4000),
            calls: ssd(16, 32, 200),
            li: ssd(16, 64, 1000),
            monitoring: ssd(16, 64, 1000),
        },
        appServers: 21,
        databaseServers: 5,
        synapse: {
            main: { cpu: 4, memoryGiB: 16 },
            synchrotron: { count: 18, cpu: 2, memoryGiB: 4 },
            generic: { count: 8, cpu: 2, memoryGiB: 4 },
            eventPersister: { count: 4, cpu: 4, memoryGiB: 6 },
            federationSender: { count: 8, cpu: 2, memoryGiB: 3 },
            totalProcesses: 39,
        },
        pools: { mainCpMax: 25, workerCpMax: 12, cpMin: 5, total: 481 },
        globalFactor: 4.0,
        eventCacheSize: "50K",
        maxUploadSize: "100M",
        rcMessage: { perSecond: 25, burstCount: 150 },
        federationConcurrent: 50,
        postgres: {
            max_connections: "600",
            shared_buffers: "32GB",
            effective_cache_size: "96GB",
            maintenance_work_mem: "8GB",
            work_mem: "64MB",
            max_wal_size: "64GB",
            checkpoint_completion_target: "0.9",
            autovacuum_max_workers: "10",
            autovacuum_naptime: "15s",
            autovacuum_vacuum_scale_factor: "0.05",
            autovacuum_analyze_scale_factor: "0.025",
        },
        redis: { synapse: { cpu: 8, memoryGiB: 24 }, livekit: { cpu: 4, memoryGiB: 12 } },
        minioPools: 3,
        guideUsableGB: 12000,
        livekit: { instances: 5, cpu: 16, memoryGiB: 32, participantsPerInstance: 2000 },
        coturn: { instances: 5, cpu: 16, memoryGiB: 16, allocationsPerInstance: 8000 },
        mediaUplinkMbps: 10000,
        statedTotals: { vcpu: 1056, memoryGiB: 3840, storageTB: 65.6 },
    },
];
