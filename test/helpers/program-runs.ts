// One run of the real program per (tier, storage floor, pool ledger) for the
// whole mocha process: several test files look at the same tiers, and a run
// of the larger tiers costs seconds.
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { parse } from "yaml";
import { sideConfig } from "../../tools/diff";
import { synthRun } from "../../tools/synth";
import { runProgram, type ProgramRun } from "../../tools/mock-runtime";

const runs = new Map<string, Promise<ProgramRun>>();

/** The dev stack's config at `ccu` (AWS, as the stack files), optionally with a storage floor and a pool ledger. */
export function tierRun(ccu: number, floor?: number, pools?: unknown): Promise<ProgramRun> {
    const key = JSON.stringify([ccu, floor, pools]);
    if (!runs.has(key)) runs.set(key, runProgram({ stack: "dev", config: sideConfig("dev", ccu, floor, pools) }));
    return runs.get(key)!;
}

const stackRuns = new Map<string, Promise<ProgramRun>>();

/** One run of a stack file as it is (dev, prod) for the whole mocha process. */
export function stackRun(stack: string): Promise<ProgramRun> {
    if (!stackRuns.has(stack)) stackRuns.set(stack, runProgram({ stack }));
    return stackRuns.get(stack)!;
}

export interface RenderedStack {
    readonly dir: string;
    /** Every Kubernetes object as written to <dir>/manifests (Helm releases are not objects and are left out). */
    readonly objects: readonly { file: string; object: Record<string, any> }[];
}

const rendered = new Map<string, Promise<RenderedStack>>();

/** The stack's objects written by `npm run synth`'s code from the shared run, once per process (into a temp dir). */
export function renderedStack(stack: string): Promise<RenderedStack> {
    if (!rendered.has(stack)) {
        rendered.set(
            stack,
            stackRun(stack).then((run) => {
                const dir = fs.mkdtempSync(path.join(os.tmpdir(), `matrix-rendered-${stack}-`));
                const { manifests } = synthRun(run, dir);
                return { dir, objects: manifests.map((file) => ({ file, object: parse(fs.readFileSync(file, "utf8")) })) };
            }),
        );
    }
    return rendered.get(stack)!;
}
