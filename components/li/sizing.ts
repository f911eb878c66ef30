// How the LI server's capacity (the plan's `li` node pool: one server per
// tier) is shared among the LI workloads, how its PostgreSQL is tuned, and how
// big its claims are. Pure: the component, the plan report and the PostgreSQL
// proof read the same numbers.
import { allocatable } from "../../sizing/reserve";
import type { Plan } from "../../sizing/types";
import { LI_SYNC_CONNECTION_LIMIT } from "../data/postgres/manifests";

/**
 * Shares of what the LI server offers to pods (its allocatable, after the
 * kubelet, system and daemon reserve). PostgreSQL gets half (the restore builds every index
 * of the main database), synapse-li a quarter (a handful of investigators, one
 * process), the rest stays for the proxy, the web apps, key_vault, the sync
 * Job.
 */
export const LI_SHARES = { postgres: 0.5, synapse: 0.25 } as const;

/**
 * Shares of the guide's LI disk for the claims (on the ssd class, not the
 * server's OS disk). PostgreSQL holds the live copy and, during a sync, the
 * fresh one; the scratch claim holds one compressed dump.
 */
export const LI_DISK_SHARES = { postgres: 0.6, dump: 0.3, accessLog: 0.05 } as const;

export interface LiSizing {
    readonly server: { readonly vcpu: number; readonly memoryGiB: number; readonly diskGB: number };
    readonly postgres: { readonly cpu: number; readonly memoryGiB: number; readonly storageGB: number; readonly parameters: Readonly<Record<string, string>> };
    readonly synapse: { readonly cpu: number; readonly memoryGiB: number };
    readonly dumpStorageGB: number;
    readonly accessLogStorageGB: number;
    /** Parallel dump/restore jobs: the LI server's cores, capped so pg_dump (jobs + 1 sessions) fits the sync role's connection limit. */
    readonly syncJobs: number;
    /** The largest main database LI can take: two copies must fit its PostgreSQL claim during a sync. */
    readonly maxSyncedDatabaseGB: number;
}

const mb = (gib: number) => `${Math.max(1, Math.floor(gib * 1024))}MB`;

export function liSizing(plan: Plan): LiSizing {
    const server = plan.nodePools.li;
    const pods = allocatable(server);
    const pgMem = pods.memoryGiB * LI_SHARES.postgres;
    const pgCpu = pods.cpu * LI_SHARES.postgres;
    const storageGB = Math.ceil(server.diskGB * LI_DISK_SHARES.postgres);
    const parameters: Record<string, string> = {
        // No replica of the LI database: minimal WAL lets the restore's COPY skip WAL for the fresh tables.
        wal_level: "minimal",
        max_wal_senders: "0",
        max_connections: "50",
        shared_buffers: mb(pgMem * 0.25),
        effective_cache_size: mb(pgMem * 0.75),
        // Index builds during the restore are the long pole: give them memory and workers.
        maintenance_work_mem: mb(Math.min(2, pgMem / 8)),
        max_parallel_maintenance_workers: String(Math.max(1, Math.floor(pgCpu / 2))),
        max_worker_processes: String(Math.max(8, Math.ceil(pgCpu))),
        work_mem: "16MB",
        max_wal_size: "8GB",
        checkpoint_timeout: "15min",
        random_page_cost: "1.1",
        effective_io_concurrency: "200",
    };
    return {
        server: { vcpu: server.vcpu, memoryGiB: server.memoryGiB, diskGB: server.diskGB },
        postgres: { cpu: pgCpu, memoryGiB: pgMem, storageGB, parameters },
        synapse: { cpu: pods.cpu * LI_SHARES.synapse, memoryGiB: pods.memoryGiB * LI_SHARES.synapse },
        dumpStorageGB: Math.ceil(server.diskGB * LI_DISK_SHARES.dump),
        accessLogStorageGB: Math.max(1, Math.ceil(server.diskGB * LI_DISK_SHARES.accessLog)),
        syncJobs: Math.max(1, Math.min(server.vcpu, LI_SYNC_CONNECTION_LIMIT - 1)),
        maxSyncedDatabaseGB: Math.floor(storageGB / 2),
    };
}
