// Child processes of one local boot: each writes its output to its own log
// file, can be killed or restarted by name, and every one of them is stopped
// at the end (SIGTERM, then SIGKILL after a bound).
import { spawn, type ChildProcess } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";

export interface ProcessSpec {
    readonly name: string;
    readonly command: string;
    readonly args: readonly string[];
    readonly env?: Readonly<Record<string, string>>;
    readonly cwd?: string;
}

export interface ManagedProcess {
    readonly spec: ProcessSpec;
    readonly log: string;
    child: ChildProcess;
    /** Set when the boot stopped or killed it on purpose (not a crash). */
    expectedExit: boolean;
}

export class Supervisor {
    private readonly procs = new Map<string, ManagedProcess>();
    /** Called when a process exits that nobody asked to stop. */
    onUnexpectedExit?: (p: ManagedProcess, code: number | null, signal: NodeJS.Signals | null) => void;

    constructor(readonly logDir: string) {
        fs.mkdirSync(logDir, { recursive: true });
        // Last resort when the boot's own process ends without stopping them (an uncaught error, process.exit):
        // nothing it started may outlive it.
        process.once("exit", () => {
            for (const p of this.procs.values()) if (p.child.exitCode === null && p.child.signalCode === null) p.child.kill("SIGKILL");
        });
    }

    start(spec: ProcessSpec): ManagedProcess {
        if (this.procs.get(spec.name)?.child.exitCode === null && this.procs.get(spec.name)?.child.signalCode === null) {
            throw new Error(`${spec.name} is already running`);
        }
        const log = path.join(this.logDir, `${spec.name}.log`);
        const fd = fs.openSync(log, "a");
        const child = spawn(spec.command, [...spec.args], {
            stdio: ["ignore", fd, fd],
            env: { PATH: process.env.PATH ?? "/usr/bin:/bin", LANG: "C.UTF-8", ...(spec.env ?? {}) },
            ...(spec.cwd ? { cwd: spec.cwd } : {}),
        });
        fs.closeSync(fd);
        const p: ManagedProcess = { spec, log, child, expectedExit: false };
        child.on("exit", (code, signal) => {
            if (!p.expectedExit) this.onUnexpectedExit?.(p, code, signal);
        });
        this.procs.set(spec.name, p);
        return p;
    }

    get(name: string): ManagedProcess {
        const p = this.procs.get(name);
        if (!p) throw new Error(`no process named ${name}`);
        return p;
    }

    names(): string[] {
        return [...this.procs.keys()];
    }

    running(name: string): boolean {
        const c = this.procs.get(name)?.child;
        return c !== undefined && c.exitCode === null && c.signalCode === null;
    }

    /** Sends a signal on purpose (a fault); the exit is not reported as a crash. */
    kill(name: string, signal: NodeJS.Signals = "SIGKILL"): Promise<void> {
        const p = this.get(name);
        p.expectedExit = true;
        return stopChild(p.child, signal, 0);
    }

    async stop(name: string, graceMs = 10000): Promise<void> {
        const p = this.get(name);
        p.expectedExit = true;
        await stopChild(p.child, "SIGTERM", graceMs);
    }

    /** Starts a stopped process again with the same command, appending to the same log. */
    restart(name: string): ManagedProcess {
        const old = this.get(name);
        if (this.running(name)) throw new Error(`${name} is still running`);
        return this.start(old.spec);
    }

    async stopAll(graceMs = 10000): Promise<void> {
        const all = [...this.procs.values()];
        for (const p of all) p.expectedExit = true;
        await Promise.all(all.map((p) => stopChild(p.child, "SIGTERM", graceMs)));
    }

    /** Last lines of a process's log, for error messages. */
    tail(name: string, lines = 30): string {
        return tailFile(this.get(name).log, lines);
    }
}

export function tailFile(file: string, lines = 30): string {
    try {
        return fs.readFileSync(file, "utf8").split("\n").slice(-lines - 1).join("\n");
    } catch {
        return "(no log)";
    }
}

function stopChild(child: ChildProcess, signal: NodeJS.Signals, graceMs: number): Promise<void> {
    return new Promise((resolve) => {
        if (child.exitCode !== null || child.signalCode !== null) return resolve();
        const timer = setTimeout(() => {
            child.kill("SIGKILL");
        }, Math.max(graceMs, 0));
        child.once("exit", () => {
            clearTimeout(timer);
            resolve();
        });
        child.kill(signal);
    });
}
