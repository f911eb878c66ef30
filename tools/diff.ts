// npm run diff -- --from <stack|ccu> --to <ccu> [--stack <name>] [--floor <ccu>] [--json]
// Renders both sides through the mock runtime (the real index.ts) and prints
// what a `pulumi preview` of that tier change would do. Exit 0 when safe, 3
// when something stateful would be replaced, removed or shrunk, 2 on bad
// arguments or an invalid config.
import { isConfigError } from "../config";
import { MAX_CCU, MIN_CCU } from "../sizing";
import { diffRuns, type TierDiff } from "./diff/compare";
import { renderDiff } from "./diff/report";
import { listStacks, runProgram, stackConfigBlock } from "./mock-runtime";
import { runAsProcess } from "./cli";

export interface DiffArgs {
    /** Stack file whose config both sides start from. */
    readonly stack: string;
    /** CCU of the "before" side; undefined means the stack file's own. */
    readonly fromCcu: number | undefined;
    readonly toCcu: number;
    /** matrix:data.storageFloorCcu for both sides (the largest CCU the stack has run at). */
    readonly floor: number | undefined;
    readonly json: boolean;
    /** Record the before side's object-store pools in the after side's config, as the tier-change procedure says. */
    readonly ledger: boolean;
}

const ccuText = `a whole number from ${MIN_CCU} to ${MAX_CCU.toLocaleString("en")}`;

export function parseDiffArgs(argv: readonly string[], stacks = listStacks()): DiffArgs | { problems: string[] } {
    const problems: string[] = [];
    let stack: string | undefined;
    let from: string | undefined;
    let to: string | undefined;
    let floor: string | undefined;
    let json = false;
    let ledger = true;
    for (let i = 0; i < argv.length; i++) {
        const arg = argv[i]!;
        const [flag, inline] = arg.includes("=") ? [arg.slice(0, arg.indexOf("=")), arg.slice(arg.indexOf("=") + 1)] : [arg, undefined];
        const value = () => inline ?? argv[++i];
        if (flag === "--json") json = true;
        else if (flag === "--no-ledger") ledger = false;
        else if (flag === "--from") from = value();
        else if (flag === "--to") to = value();
        else if (flag === "--stack") stack = value();
        else if (flag === "--floor") floor = value();
        else problems.push(`${arg}: unknown argument; allowed: --from <stack|ccu>, --to <ccu>, --stack <name>, --floor <ccu>, --no-ledger, --json`);
    }
    const ccu = (name: string, raw: string | undefined): number | undefined => {
        if (raw === undefined) return undefined;
        if (!/^\d+$/.test(raw) || Number(raw) < MIN_CCU || Number(raw) > MAX_CCU) {
            problems.push(`${name}: got ${JSON.stringify(raw)}; allowed: ${ccuText}`);
            return undefined;
        }
        return Number(raw);
    };
    let fromCcu: number | undefined;
    if (from === undefined) problems.push(`--from: missing; allowed: a stack name (${stacks.join(", ")}) or ${ccuText}`);
    else if (stacks.includes(from)) {
        if (stack !== undefined && stack !== from) problems.push(`--stack ${stack} and --from ${from} name two different stacks; give one`);
        stack = from;
    } else if (/^\d+$/.test(from)) fromCcu = ccu("--from", from);
    else problems.push(`--from: got ${JSON.stringify(from)}; allowed: a stack name (${stacks.join(", ")}) or ${ccuText}`);
    if (to === undefined) problems.push(`--to: missing; allowed: ${ccuText}`);
    const toCcu = ccu("--to", to);
    const floorCcu = ccu("--floor", floor);
    stack ??= "dev";
    if (!stacks.includes(stack)) problems.push(`--stack: got ${JSON.stringify(stack)}; allowed: ${stacks.join(", ")}`);
    if (problems.length > 0 || toCcu === undefined) return { problems };
    return { stack, fromCcu, toCcu, floor: floorCcu, json, ledger };
}

/** The stack file's config with the CCU (and the storage floor, when given) replaced. */
export function sideConfig(stack: string, ccu: number | undefined, floor: number | undefined, pools?: unknown): Record<string, unknown> {
    const block = { ...stackConfigBlock(stack) } as Record<string, any>;
    if (ccu !== undefined) block["matrix:ccu"] = ccu;
    const data = { ...(block["matrix:data"] ?? {}) };
    if (floor !== undefined) data.storageFloorCcu = floor;
    if (pools !== undefined) data.objectStore = { ...(data.objectStore ?? {}), pools };
    if (floor !== undefined || pools !== undefined) block["matrix:data"] = data;
    return block;
}

/** Runs both sides; the after side carries the before side's pool ledger when `args.ledger`. */
export async function computeDiff(args: DiffArgs): Promise<TierDiff> {
    const before = await runProgram({ stack: args.stack, config: sideConfig(args.stack, args.fromCcu, args.floor) });
    const pools = args.ledger ? before.outputs.objectStorePools : undefined;
    const after = await runProgram({ stack: args.stack, config: sideConfig(args.stack, args.toCcu, args.floor, pools) });
    return diffRuns(before.resources, after.resources);
}

export async function runDiff(argv: readonly string[]): Promise<{ code: number; stdout: string; stderr: string }> {
    const args = parseDiffArgs(argv);
    if ("problems" in args) return { code: 2, stdout: "", stderr: args.problems.join("\n") + "\n" };
    let diff: TierDiff;
    try {
        diff = await computeDiff(args);
    } catch (e) {
        if (isConfigError(e)) return { code: 2, stdout: "", stderr: e.problems.join("\n") + "\n" };
        throw e;
    }
    const code = diff.unsafe.length > 0 ? 3 : 0;
    const from = args.fromCcu ?? `${args.stack} stack`;
    const assumptions = [
        args.ledger ? "matrix:data.objectStore.pools records the pools deployed now (the objectStorePools output)" : "no pool ledger recorded",
        args.floor !== undefined ? `matrix:data.storageFloorCcu is ${args.floor}` : "no matrix:data.storageFloorCcu",
    ];
    const stdout = args.json
        ? JSON.stringify({ assumptions, ...diffJson(diff) }, null, 2) + "\n"
        : renderDiff(diff, `${from} -> ${args.toCcu} CCU`, assumptions);
    return { code, stdout, stderr: "" };
}

/** The JSON form: resources by URN, not whole inputs (they may hold secrets). */
export function diffJson(d: TierDiff): Record<string, unknown> {
    const ref = (r: { urn: string; type: string }) => ({ urn: r.urn, type: r.type });
    return {
        safe: d.unsafe.length === 0,
        added: d.added.map(ref),
        removed: d.removed.map(ref),
        changed: d.changed.map((c) => ({ urn: c.urn, type: c.type, component: c.component, fields: c.fields })),
        restarts: d.restarts,
        unsafe: d.unsafe,
    };
}

if (require.main === module) runAsProcess(runDiff);
