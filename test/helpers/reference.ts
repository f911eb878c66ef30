// The reference data tests compare against (the guide, Synapse's config
// schema, CRDs) lives outside the repository, in ../shared/reference. Like a
// missing binary, a missing reference file skips a test locally (saying why)
// and fails it when CI is set: CI must never turn schema checks into pending
// tests and report green. MATRIX_REFERENCE_DIR points elsewhere (and lets a
// test prove the CI failure with a folder that does not exist).
import * as fs from "fs";
import * as path from "path";

export function referenceDir(): string {
    return process.env.MATRIX_REFERENCE_DIR ?? path.resolve(__dirname, "../../../shared/reference");
}

/** Absolute path of a reference file, e.g. `crds/postgresql.cnpg.io_clusters.yaml`. */
export function referencePath(relative: string): string {
    return path.join(referenceDir(), relative);
}

/** The file's path when present; otherwise fails under CI, or skips the test with the reason printed. */
export function requireReference(ctx: Pick<Mocha.Context, "skip">, relative: string): string {
    const p = referencePath(relative);
    if (fs.existsSync(p)) return p;
    if (process.env.CI) throw new Error(`${p} is required in CI but is absent (reference data lives outside the repository, in ../shared/reference)`);
    console.log(`      skipped: ${p} is absent`);
    return ctx.skip() as never;
}
