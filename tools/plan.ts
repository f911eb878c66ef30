// npm run plan -- --ccu <N> [--federation] [--json] [--diagram FILE.svg]
// Prints the sizing plan with no cloud account and no Pulumi CLI.
import { CcuRangeError, computePlan, MAX_CCU, MIN_CCU, Plan, SizingError } from "../sizing";
import * as fs from "fs";
import { planDiagram } from "./diagram";
import { renderPlan } from "./plan-report";
import { runAsProcess } from "./cli";

export interface PlanArgs {
    ccu: number;
    federation: boolean;
    json: boolean;
    /** Write a picture of the plan (SVG) to this file. */
    diagram?: string;
}

/** Parses the command line; returns every problem at once. */
export function parsePlanArgs(argv: readonly string[]): PlanArgs | { problems: string[] } {
    const problems: string[] = [];
    let ccu: number | undefined;
    let federation = false;
    let json = false;
    let diagram: string | undefined;
    for (let i = 0; i < argv.length; i++) {
        const arg = argv[i];
        if (arg === "--federation") federation = true;
        else if (arg === "--json") json = true;
        else if (arg === "--diagram" || arg.startsWith("--diagram=")) {
            const file = arg === "--diagram" ? argv[++i] : arg.slice("--diagram=".length);
            if (!file || !file.endsWith(".svg")) problems.push(`--diagram: got ${file === undefined ? "nothing" : JSON.stringify(file)}; allowed: a file name ending in .svg`);
            else diagram = file;
        }
        else if (arg === "--ccu" || arg.startsWith("--ccu=")) {
            const raw = arg === "--ccu" ? argv[++i] : arg.slice("--ccu=".length);
            if (raw === undefined || !/^-?\d+$/.test(raw)) {
                problems.push(`--ccu: got ${raw === undefined ? "nothing" : JSON.stringify(raw)}; allowed: a whole number from 1 to 20,000 (the guide sizes up to 20,000 concurrent users)`);
            } else if (Number(raw) < MIN_CCU || Number(raw) > MAX_CCU) {
                problems.push(`--${new CcuRangeError(Number(raw)).message}`);
            } else {
                ccu = Number(raw);
            }
        } else problems.push(`${arg}: unknown argument; allowed: --ccu <N>, --federation, --json, --diagram <file.svg>`);
    }
    if (ccu === undefined && !problems.some((p) => p.startsWith("--ccu"))) {
        problems.push("--ccu: missing; allowed: a whole number from 1 to 20,000");
    }
    return problems.length > 0 || ccu === undefined ? { problems } : { ccu, federation, json, ...(diagram ? { diagram } : {}) };
}

export function runPlan(argv: readonly string[]): { code: number; stdout: string; stderr: string } {
    const args = parsePlanArgs(argv);
    if ("problems" in args) {
        return { code: 2, stdout: "", stderr: args.problems.join("\n") + "\n" };
    }
    let plan: Plan;
    try {
        plan = computePlan({ ccu: args.ccu, federation: args.federation });
    } catch (e) {
        if (e instanceof CcuRangeError) return { code: 2, stdout: "", stderr: `--${e.message}\n` };
        if (e instanceof SizingError) return { code: 2, stdout: "", stderr: e.problems.join("\n") + "\n" };
        throw e;
    }
    if (args.diagram) fs.writeFileSync(args.diagram, planDiagram(plan));
    return { code: 0, stdout: args.json ? JSON.stringify(plan, null, 2) + "\n" : renderPlan(plan), stderr: "" };
}

/**
 * The report plus where the pods go: the dev stack's config at this CCU rendered
 * through the mock runtime, placed on the plan's servers (utilisation, the N+1
 * verdict, and the erratum with the servers to add where the guide's inventory
 * cannot hold N+1). Not with --json, whose output is the plan alone.
 */
export async function runPlanWithSchedule(argv: readonly string[]): Promise<{ code: number; stdout: string; stderr: string }> {
    const result = runPlan(argv);
    const args = parsePlanArgs(argv);
    if (result.code !== 0 || "problems" in args || args.json) return result;
    const { scheduleReport } = await import("./schedule");
    const { stackConfigBlock } = await import("./mock-runtime");
    const config = { ...stackConfigBlock("dev"), "matrix:ccu": args.ccu, "matrix:federation": args.federation };
    const report = await scheduleReport("dev", config);
    return { ...result, stdout: `${result.stdout}\nWhere the pods go (the dev stack's config at ${args.ccu} CCU; npm run schedule for any stack)\n${report.text}` };
}

if (require.main === module) runAsProcess(runPlanWithSchedule);
