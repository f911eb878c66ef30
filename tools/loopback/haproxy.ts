// Runs the real haproxy binary with a given config on loopback, for tests and benchmarks.
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import * as fs from "node:fs";
import * as http from "node:http";
import * as os from "node:os";
import * as path from "node:path";

export function checkConfig(config: string): { ok: boolean; output: string } {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "haproxy-check-"));
    try {
        const file = path.join(dir, "haproxy.cfg");
        fs.writeFileSync(file, config);
        const r = spawnSync("haproxy", ["-c", "-f", file], { encoding: "utf8", timeout: 30000 });
        return { ok: r.status === 0, output: `${r.stdout}${r.stderr}` };
    } finally {
        fs.rmSync(dir, { recursive: true, force: true });
    }
}

export interface RunningHaproxy {
    readonly process: ChildProcess;
    readonly logs: () => string;
    stop(): Promise<void>;
}

/** Starts haproxy in the foreground and waits (bounded) until healthUrl answers 200. */
export async function startHaproxy(config: string, healthUrl: string, timeoutMs = 10000): Promise<RunningHaproxy> {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "haproxy-run-"));
    const file = path.join(dir, "haproxy.cfg");
    fs.writeFileSync(file, config);
    const child = spawn("haproxy", ["-db", "-f", file], { stdio: ["ignore", "pipe", "pipe"] });
    let out = "";
    child.stdout!.on("data", (d) => (out = (out + d).slice(-20000)));
    child.stderr!.on("data", (d) => (out = (out + d).slice(-20000)));
    const stop = async () => {
        if (child.exitCode === null && child.signalCode === null) {
            const exited = new Promise((r) => child.once("exit", r));
            child.kill("SIGTERM");
            await Promise.race([exited, new Promise((r) => setTimeout(r, 3000))]);
            if (child.exitCode === null && child.signalCode === null) child.kill("SIGKILL");
        }
        fs.rmSync(dir, { recursive: true, force: true });
    };
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
        if (child.exitCode !== null) break;
        const ok = await new Promise<boolean>((resolve) => {
            const req = http.get(healthUrl, (res) => {
                res.resume();
                resolve(res.statusCode === 200);
            });
            req.on("error", () => resolve(false));
            req.setTimeout(500, () => req.destroy());
        });
        if (ok) return { process: child, logs: () => out, stop };
        await new Promise((r) => setTimeout(r, 100));
    }
    await stop();
    throw new Error(`haproxy did not come up:\n${out}`);
}
