// One run of the real program per (tier, storage floor, pool ledger) for the
// whole mocha process: several test files look at the same tiers, and a run
// of the larger tiers costs seconds.
import { sideConfig } from "../../tools/diff";
import { runProgram, type ProgramRun } from "../../tools/mock-runtime";

const runs = new Map<string, Promise<ProgramRun>>();

/** The dev stack's config at `ccu` (AWS, as the stack files), optionally with a storage floor and a pool ledger. */
export function tierRun(ccu: number, floor?: number, pools?: unknown): Promise<ProgramRun> {
    const key = JSON.stringify([ccu, floor, pools]);
    if (!runs.has(key)) runs.set(key, runProgram({ stack: "dev", config: sideConfig("dev", ccu, floor, pools) }));
    return runs.get(key)!;
}
