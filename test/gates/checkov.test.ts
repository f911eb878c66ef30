// checkov over the rendered manifests of every stack (one invocation per
// stack, on the objects written from the shared program run): a failed check
// fails unless policy/checkov-skips.yaml lists it with its reason.
import * as assert from "assert";
import { execFileSync } from "child_process";
import * as fs from "fs";
import * as path from "path";
import { parse } from "yaml";
import { renderedStack } from "../helpers/program-runs";
import { requireTool, venvProgram } from "../helpers/tools";

interface Skips {
    checks: { id: string; reason: string }[];
    /** Deliberate, on named resources (patterns, so names with a config checksum match whatever the hash). */
    exceptions?: { id: string; resources: string[]; reason: string }[];
    findings: { id: string; resources: string[]; reason: string }[];
}
const SKIPS: Skips = parse(fs.readFileSync(path.resolve(__dirname, "../../policy/checkov-skips.yaml"), "utf8"));
/** Exceptions and findings alike: on named resources only, and each must still fail somewhere. */
const PER_RESOURCE = [...(SKIPS.exceptions ?? []), ...SKIPS.findings];

/** checkov's failed checks as `CHECK resource`. */
function checkovFailures(checkov: string, manifests: string): { id: string; resource: string; file: string }[] {
    let out: string;
    try {
        // --skip-download: checkov would otherwise fetch guidelines from its vendor at every run.
        out = execFileSync(checkov, ["-d", manifests, "--framework", "kubernetes", "--quiet", "--compact", "--skip-download", "-o", "json"], { encoding: "utf8", maxBuffer: 64 << 20 });
    } catch (e) {
        const err = e as { status?: number; stdout?: string };
        if (err.status !== 1 || !err.stdout) throw e; // 1 = some check failed; anything else is checkov failing
        out = err.stdout;
    }
    const reports = [JSON.parse(out)].flat();
    return reports.flatMap((r: any) => (r.results?.failed_checks ?? []).map((f: any) => ({ id: f.check_id, resource: f.resource, file: f.file_path })));
}

describe("checkov over the rendered manifests", function () {
    this.timeout(900000);
    const seenFindings = new Set<string>();

    it("every skip names a reason", () => {
        for (const s of [...SKIPS.checks, ...PER_RESOURCE]) assert.ok(/^CKV_K8S_\d+$/.test(s.id) && s.reason.trim().length > 20, JSON.stringify(s));
        for (const f of PER_RESOURCE) {
            assert.ok(f.resources.length > 0, f.id);
            // Anchored, so a pattern names resources rather than matching parts of any name.
            for (const r of f.resources) assert.ok(r.startsWith("^") && r.endsWith("$"), `${f.id} ${r}`);
        }
        // One place per check: a check skipped everywhere needs no per-resource entry.
        for (const f of PER_RESOURCE) assert.ok(!SKIPS.checks.some((c) => c.id === f.id), `${f.id} is both skipped everywhere and per resource`);
    });

    for (const stack of ["dev", "prod"]) {
        it(`stack ${stack}: no failed check outside policy/checkov-skips.yaml`, async function () {
            const checkov = requireTool(this, venvProgram("checkov", "checkov"), ".ci/install.d/30-checkov.sh");
            const { dir } = await renderedStack(stack);
            // Helm releases are chart references with values, not Kubernetes objects.
            const objects = fs.mkdtempSync(path.join(dir, "objects-"));
            fs.cpSync(path.join(dir, "manifests"), objects, { recursive: true, filter: (src) => !src.endsWith(`${path.sep}helm`) });
            const failures = checkovFailures(checkov, objects);
            assert.ok(fs.readdirSync(objects).length > 0);
            const unexpected = failures.filter((f) => {
                if (SKIPS.checks.some((c) => c.id === f.id)) return false;
                const finding = PER_RESOURCE.find((x) => x.id === f.id && x.resources.some((r) => new RegExp(r).test(f.resource)));
                if (finding) seenFindings.add(`${f.id} ${finding.resources.find((r) => new RegExp(r).test(f.resource))}`);
                return !finding;
            });
            assert.deepStrictEqual(unexpected.map((f) => `${f.id} ${f.resource} (${f.file})`), []);
        });
    }

    it("every listed exception and finding still fails somewhere (a fixed one must leave the list)", function () {
        if (seenFindings.size === 0) {
            if (process.env.CI) throw new Error("the checkov runs above produced no findings to compare (did they run?)");
            this.skip();
        }
        const stale = PER_RESOURCE.flatMap((f) => f.resources.map((r) => `${f.id} ${r}`)).filter((k) => !seenFindings.has(k));
        assert.deepStrictEqual(stale, []);
    });
});
