// clamd's size. ClamAV holds its whole signature database in memory (about
// 3 GiB with the official databases) and, while reloading new signatures,
// briefly holds the old and the new engine side by side: the request is the
// steady state, the limit leaves room for that reload so a signature update
// never OOM-kills the scanner.
import type { AntivirusPlan } from "./types";

export const CLAMD = {
    /** Steady-state memory with the full official signature set. */
    memoryGiB: 3,
    /** Old and new engine together during a concurrent reload. */
    reloadFactor: 2,
    cpu: 1,
    /** HA: one clamd may restart (reload, node drain) while another scans. */
    minReplicas: 2,
    /** One more clamd per this many concurrent users (uploads grow with users). */
    ccuPerReplica: 5000,
} as const;

export function antivirusPlan(ccu: number): AntivirusPlan {
    return {
        replicas: Math.max(CLAMD.minReplicas, Math.ceil(ccu / CLAMD.ccuPerReplica)),
        cpu: CLAMD.cpu,
        memoryGiB: CLAMD.memoryGiB,
        memoryLimitGiB: CLAMD.memoryGiB * CLAMD.reloadFactor,
    };
}
