// Where the pinned programs that .ci/install.d installs live (.tools/, ignored
// by git), and the same CI rule as binaries.ts: in CI a missing tool fails,
// elsewhere the test skips with the reason and the command that installs it.
import * as fs from "node:fs";
import * as path from "node:path";

export const TOOLS_DIR = process.env.MATRIX_TOOLS_DIR ?? path.resolve(__dirname, "../../.tools");

/** A program in the pip virtual environment `.tools/venv/<venv>/bin/<program>`. */
export function venvProgram(venv: string, program: string): string {
    return path.join(TOOLS_DIR, "venv", venv, "bin", program);
}

/** A Go program installed by go_tool as `.tools/go/<name>@<version>/bin/<binary>`. */
export function goProgram(name: string, version: string, binary = name): string {
    return path.join(TOOLS_DIR, "go", `${name}@${version}`, "bin", binary);
}

export function requireTool(ctx: Mocha.Context, file: string, installScript: string): string {
    if (fs.existsSync(file)) return file;
    const why = `${path.relative(process.cwd(), file)} is not installed (run: bash ${installScript})`;
    if (process.env.CI) throw new Error(`required in CI: ${why}`);
    console.log(`    skipped: ${why}`);
    ctx.skip();
    return file;
}
