// A test that needs a real program either runs it or says loudly why not:
// in CI a missing binary is a failure, elsewhere a skip with the reason printed.
import { spawnSync } from "node:child_process";

export function hasBinary(name: string): boolean {
    return spawnSync("sh", ["-c", `command -v ${name}`], { encoding: "utf8" }).status === 0;
}

export function requireBinary(ctx: Mocha.Context, name: string): void {
    if (hasBinary(name)) return;
    if (process.env.CI) throw new Error(`${name} is required in CI but is not installed`);
    console.log(`    skipped: ${name} is not installed`);
    ctx.skip();
}
