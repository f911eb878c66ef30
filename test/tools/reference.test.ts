// requireReference: reference data absent means skip locally, fail under CI.
import * as assert from "assert";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { requireReference } from "../helpers/reference";

describe("reference data helper", () => {
    const saved = { CI: process.env.CI, dir: process.env.MATRIX_REFERENCE_DIR };
    let dir = "";
    before(() => {
        dir = fs.mkdtempSync(path.join(os.tmpdir(), "reference-"));
        fs.writeFileSync(path.join(dir, "present.yaml"), "a: 1\n");
    });
    afterEach(() => {
        for (const [k, v] of [["CI", saved.CI], ["MATRIX_REFERENCE_DIR", saved.dir]] as const) {
            if (v === undefined) delete process.env[k];
            else process.env[k] = v;
        }
    });
    after(() => fs.rmSync(dir, { recursive: true, force: true }));

    const ctx = () => {
        const calls = { skipped: 0 };
        return { calls, ctx: { skip: () => { calls.skipped++; return undefined as never; } } };
    };

    it("returns the path of a present file, CI or not", () => {
        process.env.MATRIX_REFERENCE_DIR = dir;
        for (const ci of [undefined, "1"]) {
            if (ci) process.env.CI = ci;
            else delete process.env.CI;
            const { calls, ctx: c } = ctx();
            assert.strictEqual(requireReference(c, "present.yaml"), path.join(dir, "present.yaml"));
            assert.strictEqual(calls.skipped, 0);
        }
    });

    it("skips when the file is absent and CI is not set", () => {
        process.env.MATRIX_REFERENCE_DIR = path.join(dir, "renamed-away");
        delete process.env.CI;
        const { calls, ctx: c } = ctx();
        requireReference(c, "crds/postgresql.cnpg.io_clusters.yaml");
        assert.strictEqual(calls.skipped, 1);
    });

    it("fails when the file is absent and CI is set", () => {
        process.env.MATRIX_REFERENCE_DIR = path.join(dir, "renamed-away");
        process.env.CI = "true";
        const { calls, ctx: c } = ctx();
        assert.throws(() => requireReference(c, "synapse-config.schema.yaml"), /required in CI but is absent/);
        assert.strictEqual(calls.skipped, 0);
    });
});
