// Real-software test plumbing: free loopback ports, binaries that may be
// missing, child processes that are always reaped.
import { spawn, spawnSync, type ChildProcess, type SpawnOptions } from "child_process";
import * as fs from "fs";
import * as net from "net";

/** Asks the kernel for a free loopback port (other people run tests on this machine too). */
export function freePort(): Promise<number> {
    return new Promise((resolve, reject) => {
        const srv = net.createServer();
        srv.once("error", reject);
        srv.listen(0, "127.0.0.1", () => {
            const addr = srv.address();
            srv.close(() => (typeof addr === "object" && addr ? resolve(addr.port) : reject(new Error("no port"))));
        });
    });
}

export async function freePorts(n: number): Promise<number[]> {
    const ports = new Set<number>();
    for (let i = 0; ports.size < n && i < n * 20; i++) ports.add(await freePort());
    if (ports.size < n) throw new Error("could not find free ports");
    return [...ports];
}

/** Returns the reason a binary is unusable, or undefined when it is there. */
export function missingBinary(path: string): string | undefined {
    if (path.includes("/")) return fs.existsSync(path) ? undefined : `${path} not installed`;
    const r = spawnSync("sh", ["-c", `command -v ${path}`], { encoding: "utf8" });
    return r.status === 0 ? undefined : `${path} not on PATH`;
}

/** Skip with a printed reason, or fail when CI is set (CI must have the tools). */
export function requireBinaries(ctx: Mocha.Context, paths: string[]): void {
    const missing = paths.map(missingBinary).filter((m): m is string => m !== undefined);
    if (missing.length === 0) return;
    const reason = `real-software proof needs: ${missing.join(", ")}`;
    if (process.env.CI) throw new Error(reason);
    console.log(`      SKIP: ${reason}`);
    ctx.skip();
}

export class ProcessGroup {
    private readonly procs: ChildProcess[] = [];
    readonly logs = new Map<ChildProcess, string>();

    start(cmd: string, args: string[], opts: SpawnOptions = {}): ChildProcess {
        // Its own process group, so stopping it reaches what it started too (a shell's
        // background loop outlived its shell and kept mocha from exiting).
        const p = spawn(cmd, args, { stdio: ["ignore", "pipe", "pipe"], detached: true, ...opts });
        let log = "";
        p.stdout?.on("data", (d) => (log = (log + d).slice(-20000)));
        p.stderr?.on("data", (d) => (log = (log + d).slice(-20000)));
        p.on("exit", () => this.logs.set(p, log));
        this.logs.set(p, "");
        Object.defineProperty(p, "output", { get: () => log });
        this.procs.push(p);
        return p;
    }

    output(p: ChildProcess): string {
        return (p as unknown as { output: string }).output;
    }

    async stopAll(): Promise<void> {
        await Promise.all(
            this.procs.map(
                (p) =>
                    new Promise<void>((resolve) => {
                        const done = () => {
                            // Whatever the process left behind in its group goes too.
                            signalGroup(p, "SIGKILL");
                            resolve();
                        };
                        if (p.exitCode !== null || p.signalCode !== null) return done();
                        const t = setTimeout(done, 5000);
                        p.once("exit", () => {
                            clearTimeout(t);
                            done();
                        });
                        signalGroup(p, "SIGTERM");
                    }),
            ),
        );
    }
}

/** Signals a child's whole process group (it leads one: started detached), or the child alone if it does not. */
function signalGroup(p: ChildProcess, signal: NodeJS.Signals): void {
    if (p.pid === undefined) return;
    try {
        process.kill(-p.pid, signal);
    } catch {
        try {
            p.kill(signal);
        } catch {
            /* already gone */
        }
    }
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Polls `probe` until it returns true; bounded in time and count. */
export async function until(probe: () => Promise<boolean>, timeoutMs: number, stepMs = 100): Promise<boolean> {
    const deadline = Date.now() + timeoutMs;
    for (let i = 0; i < Math.ceil(timeoutMs / stepMs) + 1 && Date.now() < deadline; i++) {
        try {
            if (await probe()) return true;
        } catch {
            /* not ready yet */
        }
        await sleep(stepMs);
    }
    return false;
}
