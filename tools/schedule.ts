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
    const { pods, result } = scheduleRun(await runProgram({ stack, config }));
    return { code: result.placement.unplaced.length === 0 && result.nPlusOne ? 0 : 3, stdout: renderSchedule(result, pods), stderr: "" };
}

if (require.main === module) {
    runSchedule(process.argv.slice(2)).then(
        (r) => {
            process.stdout.write(r.stdout);
            process.stderr.write(r.stderr);
            process.exit(r.code);
        },
        (e) => {
            console.error(e instanceof Error ? e.stack : e);
            process.exit(1);
        },
    );
}
