// Shared by the end-to-end scenario and faults: one booted dev stack per file,
// skipped with the reason outside CI when a prerequisite is missing, failed in CI.
import * as fs from "node:fs";
import * as path from "node:path";
import { Client } from "pg";
import { bootLocal, type LocalStack } from "../../tools/local/boot";
import { missingPrerequisites } from "../../tools/local/prerequisites";

export function requireLocalBoot(ctx: Mocha.Context): void {
    const missing = missingPrerequisites();
    if (missing.length === 0) return;
    const why = `the local boot needs:\n  ${missing.join("\n  ")}`;
    if (process.env.CI) throw new Error(why);
    console.log(`      SKIP: ${why}`);
    ctx.skip();
}

export async function bootForTest(label: string): Promise<LocalStack> {
    const t0 = Date.now();
    const stack = await bootLocal({
        stack: "dev",
        log: (l) => console.log(`      [${label} ${((Date.now() - t0) / 1000).toFixed(0)}s] ${l}`),
    });
    console.log(`      [${label}] booted in ${((Date.now() - t0) / 1000).toFixed(0)} s: ${stack.synapse.length} Synapse processes, ${stack.processes().length} processes in all`);
    return stack;
}

/** Stops everything; keeps the logs (and says where) when the file failed, removes the work dir otherwise. */
export async function teardown(stack: LocalStack | undefined, failed: boolean): Promise<void> {
    if (!stack) return;
    await stack.stop();
    if (failed) console.log(`      logs kept in ${stack.logDir}`);
    else fs.rmSync(stack.workdir, { recursive: true, force: true });
}

export async function withDb<T>(stack: LocalStack, f: (c: Client) => Promise<T>): Promise<T> {
    const c = new Client({ host: stack.postgres.host, port: stack.postgres.port, user: stack.postgres.user, password: stack.postgres.password, database: stack.postgres.database });
    await c.connect();
    try {
        return await f(c);
    } finally {
        await c.end();
    }
}

export interface LogFinding {
    readonly process: string;
    readonly line: string;
    /** The log line just before it (HAProxy says why a server went down on the line before its alert). */
    readonly previous: string;
}

/** An ERROR the run is expected to produce, and why. */
export interface ExpectedError {
    readonly process: RegExp;
    readonly line: RegExp;
    /** When set, the line before must match too. */
    readonly previous?: RegExp;
    readonly reason: string;
}

// What counts as an error line in each program's own log format.
const ERROR_LINE: readonly [RegExp, RegExp][] = [
    [/^synapse-/, / - (ERROR|CRITICAL) - /],
    [/^postgres$/, /\b(ERROR|FATAL|PANIC):/],
    [/haproxy|router/, /\[(ALERT|EMERG)\]/],
    [/^minio/, /\bERROR\b|^API: .* Error/],
    [/^redis/, /\bERROR\b|# (Error|FATAL)/i],
];

/** Error lines of every process log (Python tracebacks count with the line that announces them). */
export function errorLines(stack: LocalStack, sinceBytes: Readonly<Record<string, number>> = {}): LogFinding[] {
    const out: LogFinding[] = [];
    for (const p of stack.processes()) {
        const rule = ERROR_LINE.find(([proc]) => proc.test(p.name));
        if (!rule || !fs.existsSync(p.log)) continue;
        const text = fs.readFileSync(p.log, "utf8").slice(sinceBytes[p.name] ?? 0);
        const lines = text.split("\n");
        lines.forEach((line, i) => {
            if (rule[1].test(line)) out.push({ process: p.name, line, previous: lines[i - 1] ?? "" });
        });
    }
    return out;
}

export function logSizes(stack: LocalStack): Record<string, number> {
    return Object.fromEntries(stack.processes().map((p) => [p.name, fs.existsSync(p.log) ? fs.statSync(p.log).size : 0]));
}

export function unexpected(findings: readonly LogFinding[], expected: readonly ExpectedError[]): LogFinding[] {
    return findings.filter((f) => !expected.some((e) => e.process.test(f.process) && e.line.test(f.line) && (!e.previous || e.previous.test(f.previous))));
}

export const logFile = (stack: LocalStack, name: string) => path.join(stack.logDir, `${name}.log`);
