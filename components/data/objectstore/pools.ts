// MinIO server pools. A pool's geometry (servers, drives, drive size) is fixed
// once it holds data: MinIO spreads objects over the pools it was started with
// and cannot reshape an erasure set. A tier change may therefore only append
// pools. The plan sizes drives by tier (500 GB at 100 CCU, 2000 GB from 5K),
// so "pool 0" of a 100-CCU plan and of a 5K plan differ: the stack keeps a
// ledger of the pools it has (config `matrix:data.objectStore.pools`, printed
// as the stack output `objectStorePools`), and only pools beyond the ledger are
// sized from the current plan.
import type { PoolLedgerEntry } from "../../../config/sections/data";
import type { Plan } from "../../../sizing/types";

export interface MinioPool extends PoolLedgerEntry {
    readonly index: number;
    /** StatefulSet name; depends on the index only, never on the tier. */
    readonly name: string;
    readonly rawGB: number;
    readonly usableGB: number;
}

export const poolName = (index: number) => `minio-pool-${index}`;

export interface PoolLayout {
    readonly pools: readonly MinioPool[];
    readonly rawGB: number;
    readonly usableGB: number;
    /** Years of the §10 growth model the usable capacity covers. */
    readonly yearsCovered: number;
    readonly warnings: readonly string[];
    readonly errors: readonly string[];
}

function pool(index: number, e: PoolLedgerEntry, parity: number): MinioPool {
    const drives = e.servers * e.drivesPerServer;
    const rawGB = drives * e.driveGB;
    return { index, name: poolName(index), ...e, rawGB, usableGB: (rawGB * (drives - parity)) / drives };
}

export function poolLayout(plan: Plan, ledger?: readonly PoolLedgerEntry[]): PoolLayout {
    const os = plan.objectStore;
    const errors: string[] = [];
    const warnings: string[] = [];
    const entries: PoolLedgerEntry[] = [...(ledger ?? [])];
    entries.forEach((e, i) => {
        const drives = e.servers * e.drivesPerServer;
        if (drives < 2 * os.parity) {
            errors.push(
                `matrix:data.objectStore.pools[${i}]: ${e.servers} servers x ${e.drivesPerServer} drives = ${drives} drives; ` +
                    `EC:${os.parity} needs at least ${2 * os.parity} drives per erasure set`,
            );
        }
    });
    if (entries.length > os.pools) {
        warnings.push(`object storage: ${entries.length} pools deployed, the plan needs ${os.pools}; pools are never removed`);
    }
    for (let i = entries.length; i < os.pools; i++) {
        entries.push({ servers: os.serversPerPool, drivesPerServer: os.drivesPerServer, driveGB: os.driveGB });
    }
    const pools = entries.map((e, i) => pool(i, e, os.parity));
    const rawGB = pools.reduce((a, p) => a + p.rawGB, 0);
    const usableGB = pools.reduce((a, p) => a + p.usableGB, 0);
    const yearsCovered = usableGB / plan.media.annualGrowthGB;
    if (yearsCovered < 1) {
        warnings.push(
            `object storage: ${usableGB} GB usable (EC:${os.parity}) covers ${yearsCovered.toFixed(2)} years of the §10 growth model ` +
                `(${plan.media.annualGrowthGB} GB/year): append a pool before then`,
        );
    }
    return { pools, rawGB, usableGB, yearsCovered, warnings, errors };
}

/** The ledger to record after deploying this layout (what `objectStorePools` prints). */
export function ledgerOf(layout: PoolLayout): PoolLedgerEntry[] {
    return layout.pools.map(({ servers, drivesPerServer, driveGB }) => ({ servers, drivesPerServer, driveGB }));
}

/** Servers the storage node pool must provide for this layout. */
export function storageServers(layout: PoolLayout): number {
    return layout.pools.reduce((a, p) => a + p.servers, 0);
}
