// Runs the command blocks of a doc (marked `<!-- runbook: NAME -->` before a
// fenced sh block) exactly as written, so a runbook cannot drift from what works.
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";

function baseEnv(): Record<string, string> {
    const env = { ...process.env } as Record<string, string>;
    // An inherited CA bundle would break rclone on the loopback (plain HTTP) stores.
    delete env.AWS_CA_BUNDLE;
    return env;
}

export function runbookBlocks(doc: string): Map<string, string> {
    const text = fs.readFileSync(path.resolve(__dirname, "../..", doc), "utf8");
    const out = new Map<string, string>();
    const re = /<!-- runbook: ([a-z0-9-]+) -->\s*```sh\n([\s\S]*?)```/g;
    for (let m = re.exec(text); m; m = re.exec(text)) {
        if (out.has(m[1])) throw new Error(`${doc}: runbook block ${m[1]} twice`);
        out.set(m[1], m[2]);
    }
    return out;
}

/** Runs blocks in one bash (so exports carry over), failing on the first failing command. */
export function runBlocks(blocks: Map<string, string>, names: readonly string[], env: Record<string, string>, timeoutMs = 120_000) {
    const script = names.map((n) => {
        const b = blocks.get(n);
        if (b === undefined) throw new Error(`no runbook block ${n}`);
        return b;
    }).join("\n");
    const r = spawnSync("bash", ["-euo", "pipefail", "-c", script], { encoding: "utf8", env: { ...baseEnv(), ...env }, timeout: timeoutMs });
    return { ok: r.status === 0, stdout: r.stdout ?? "", stderr: r.stderr ?? "", output: `${r.stdout}${r.stderr}${r.error ? String(r.error) : ""}` };
}
