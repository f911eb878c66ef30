// npm run schedule -- [--stack dev|prod | --ccu N]
// Places every pod the program renders on the plan's servers, then loses each
// server of a multi-server pool in turn (N+1). Prints per-pool utilisation
// (requests / allocatable) and the verdict. Exit 0 when everything fits and
// N+1 holds, 3 when not, 2 on bad arguments.
import { NODE_ROLES } from "../sizing/types";
import { listStacks, runProgram, stackConfigBlock, type ProgramRun } from "./mock-runtime";
import { planServers, schedulability, type Schedulability } from "./schedule/place";
import { SERVER_LABEL } from "../components/contracts";
import { localVolumeSlots, podDemands, type PodDemand } from "./schedule/pods";
import { MAX_EXTRA_SERVERS } from "../sizing/plan";
import { runAsProcess } from "./cli";

/** Pods, servers and verdict for one run of the program. */
export function scheduleRun(run: ProgramRun): { pods: PodDemand[]; result: Schedulability } {
    const plan = run.outputs.plan;
    const classes = (run.outputs.storageClasses ?? {}) as Record<string, string>;
    const local = new Set([classes.nvme, classes.hdd].filter((c): c is string => typeof c === "string"));
    const pods = podDemands(run.resources, local);
    const servers = planServers(plan, localVolumeSlots(run.resources, SERVER_LABEL));
    // A pod with its own volume, or pinned to one server (a call server's LiveKit advertises that server's
    // address), waits for that server rather than moving.
    return { pods, result: schedulability(pods, servers, (p) => p.withVolume || SERVER_LABEL in p.nodeSelector) };
}

const pct = (x: number) => `${(x * 100).toFixed(0)}%`;

export function renderSchedule(result: Schedulability, pods: readonly PodDemand[]): string {
    const L: string[] = ["Pool utilisation (pod requests / allocatable, after the kubelet and system reserve)"];
    L.push("  role           CPU   memory");
    for (const role of NODE_ROLES) {
        const u = result.placement.utilisation[role];
        L.push(`  ${role.padEnd(13)} ${pct(u.cpu).padStart(4)}   ${pct(u.memory).padStart(4)}`);
    }
    L.push("", `${pods.length} pods; ${result.placement.unplaced.length === 0 ? "all fit" : `${result.placement.unplaced.length} do not fit:`}`);
    for (const u of result.placement.unplaced) L.push(`  ! ${u.pod.id}: ${u.why}`);
    L.push("", `N+1 (any one server of a multi-server pool lost): ${result.nPlusOne ? "holds" : "FAILS"}`);
    for (const loss of result.losses) {
        if (loss.unplaced.length === 0 && loss.waiting.length === 0) continue;
        L.push(`  without ${loss.lost}:`);
        if (loss.waiting.length > 0) L.push(`    waiting for their data (the data layer fails over): ${loss.waiting.join(", ")}`);
        for (const u of loss.unplaced) L.push(`    ! ${u.pod}: ${u.why}`);
    }
    return L.join("\n") + "\n";
}

/** The pool a failure is about ("no app server has ..."). */
const failedRole = (why: string) => /^no (\w+) server/.exec(why)?.[1];

/** Whether the check holds: every pod fits, and still fits after losing any one server of a pool. */
export const holds = (r: Schedulability) => r.placement.unplaced.length === 0 && r.nPlusOne;

/** Every pool a failure (placement or any single loss) is about. */
export function failingRoles(r: Schedulability): Set<string> {
    const whys = [...r.placement.unplaced.map((u) => u.why), ...r.losses.flatMap((l) => l.unplaced.map((u) => u.why))];
    return new Set(whys.map((w) => failedRole(w) ?? "?"));
}

/** The stack config with `extra` application servers added (matrix:sizing.extraServers.app). */
export function withExtraAppServers(config: Record<string, unknown>, extra: number): Record<string, unknown> {
    const sizing = { ...((config["matrix:sizing"] as Record<string, unknown> | undefined) ?? {}) };
    sizing.extraServers = { ...((sizing.extraServers as Record<string, unknown> | undefined) ?? {}), app: extra };
    return { ...config, "matrix:sizing": sizing };
}

/**
 * Where only the application pool fails: the fewest application servers to add
 * (matrix:sizing.extraServers.app) for the check to hold, found by rendering the
 * program with each count in turn. undefined when it holds already, when other
 * pools fail too, or when even the bound does not help.
 */
export async function extraAppServersNeeded(stack: string, config: Record<string, unknown>, result: Schedulability): Promise<number | undefined> {
    if (holds(result)) return undefined;
    const roles = failingRoles(result);
    if (roles.size !== 1 || !roles.has("app")) return undefined;
    const current = Number(((config["matrix:sizing"] as any)?.extraServers?.app as number | undefined) ?? 0);
    for (let extra = current + 1; extra <= MAX_EXTRA_SERVERS; extra++) {
        if (holds(scheduleRun(await runProgram({ stack, config: withExtraAppServers(config, extra) })).result)) return extra;
    }
    return undefined;
}

/** The erratum `npm run schedule` and `npm run plan` print when the guide's inventory cannot hold N+1. */
export function nPlusOneErratum(run: ProgramRun, extra: number): string {
    const app = run.outputs.plan.nodePools.app;
    return (
        `Erratum (N+1): the guide's ${app.count - app.extra} application server(s) of ${app.vcpu} vCPU / ${app.memoryGiB} GB at ${run.outputs.plan.ccu} CCU ` +
        `cannot hold the pod requests of what it puts on them with one server lost. Set matrix:sizing.extraServers.app: ${extra} ` +
        `(${extra} more of the same size): then every pod fits, and still fits after losing any one server.`
    );
}

/** Utilisation, the N+1 verdict and, where more application servers fix it, the erratum: for one stack config. */
export async function scheduleReport(stack: string, config: Record<string, unknown>): Promise<{ holds: boolean; text: string }> {
    const run = await runProgram({ stack, config });
    const { pods, result } = scheduleRun(run);
    let text = renderSchedule(result, pods);
    const extra = await extraAppServersNeeded(stack, config, result);
    if (extra !== undefined) text += `\n${nPlusOneErratum(run, extra)}\n`;
    return { holds: holds(result), text };
}

export async function runSchedule(argv: readonly string[]): Promise<{ code: number; stdout: string; stderr: string }> {
    let stack = "dev";
    let ccu: number | undefined;
    const problems: string[] = [];
    for (let i = 0; i < argv.length; i++) {
        if (argv[i] === "--stack") stack = argv[++i] ?? "";
        else if (argv[i] === "--ccu" && /^\d+$/.test(argv[i + 1] ?? "")) ccu = Number(argv[++i]);
        else problems.push(`${argv[i]}: unknown argument; allowed: --stack <${listStacks().join("|")}>, --ccu <N>`);
    }
    if (!listStacks().includes(stack)) problems.push(`--stack: got ${JSON.stringify(stack)}; allowed: ${listStacks().join(", ")}`);
    if (problems.length > 0) return { code: 2, stdout: "", stderr: problems.join("\n") + "\n" };
    const config = { ...stackConfigBlock(stack), ...(ccu !== undefined ? { "matrix:ccu": ccu } : {}) };
    const report = await scheduleReport(stack, config);
    return { code: report.holds ? 0 : 3, stdout: report.text, stderr: "" };
}

if (require.main === module) runAsProcess(runSchedule);
