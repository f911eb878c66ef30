// Type-level checks of the parsed stack config, compiled by `tsc` (npm test
// runs the type check first) and, so that running this one file is enough,
// by the TypeScript compiler below. If a section's type widens again (an
// index signature, `any`, a lost variant), compilation fails here: then a typo
// in a field name would compile and a component could read a key that does
// not exist.
import * as assert from "assert";
import * as path from "path";
import * as ts from "typescript";
import type { ClusterConfig, SecretValue, StackConfig } from "../config";
import type { DataConfig } from "../config/sections/data";

type Equal<A, B> = (<T>() => T extends A ? 1 : 2) extends <T>() => T extends B ? 1 : 2 ? true : false;
type Expect<T extends true> = T;
type IsAny<T> = 0 extends 1 & T ? true : false;

/** true when T, or any object nested in it (variants and list items included), is `any`, `unknown` or has an index signature. */
export type Widened<T> = true extends WidenedParts<T> ? true : false;
/** Distributes over unions, so each variant yields its own answer. */
type WidenedParts<T> =
    IsAny<T> extends true ? true
    : unknown extends T ? true
    : T extends readonly (infer E)[] ? Widened<E>
    : T extends SecretValue ? false
    : T extends object ? (string extends keyof T ? true : { [K in keyof T]-?: Widened<T[K]> }[keyof T] extends false ? false : true)
    : false;

// The detector itself: it must see each kind of widening.
export type DetectorChecks = [
    Expect<Equal<Widened<{ a: number }>, false>>,
    Expect<Equal<Widened<{ a: Record<string, number> }>, true>>,
    Expect<Equal<Widened<{ a: { b: any } }>, true>>,
    Expect<Equal<Widened<{ a: { b: unknown }[] }>, true>>,
    Expect<Equal<Widened<{ k: "x"; a: number } | { k: "y"; b: Record<string, string> }>, true>>,
];

// No section, variant or nested object of the parsed config is widened.
export type NotWidened = Expect<Equal<Widened<StackConfig>, false>>;

// Exact leaf types where components rely on them.
type Aws = Extract<ClusterConfig, { provider: "aws" }>;
type Existing = Extract<ClusterConfig, { provider: "existing" }>;
type Tls = StackConfig["edge"]["tls"];
export type LeafChecks = [
    Expect<Equal<ClusterConfig["provider"], "aws" | "existing">>,
    Expect<Equal<StackConfig["ccu"], number>>,
    Expect<Equal<StackConfig["domain"], string>>,
    Expect<Equal<StackConfig["federation"], boolean>>,
    Expect<Equal<Aws["region"], string>>,
    Expect<Equal<Aws["edgeHttp"], boolean>>,
    Expect<Equal<Aws["adminCidrs"], string[]>>,
    Expect<Equal<Aws["databaseVolume"]["type"], "io2" | "gp3">>,
    Expect<Equal<Existing["kubeconfig"], SecretValue | undefined>>,
    Expect<Equal<Existing["storageClasses"], { readonly ssd: string; readonly nvme: string; readonly hdd: string }>>,
    Expect<Equal<Tls["mode"], "letsencrypt" | "internalCa" | "supplied">>,
    Expect<Equal<Extract<Tls, { mode: "letsencrypt" }>, { readonly mode: "letsencrypt"; readonly email: string; readonly staging: boolean }>>,
    Expect<Equal<Extract<Tls, { mode: "supplied" }>, { readonly mode: "supplied"; readonly secretName: string }>>,
    Expect<Equal<Extract<Tls, { mode: "internalCa" }>, { readonly mode: "internalCa" }>>,
    Expect<Equal<StackConfig["synapse"]["host"], string | undefined>>,
    Expect<Equal<StackConfig["router"]["replicas"], number>>,
    Expect<Equal<DataConfig["objectStore"]["backend"], "minio" | "aws-s3">>,
    // An `optional: true` object is absent unless set.
    Expect<Equal<undefined extends DataConfig["postgres"]["backup"] ? true : false, true>>,
];

// Typos and keys of the other variant do not compile.
export function typos(cfg: StackConfig, aws: Aws, existing: Existing): unknown[] {
    return [
        // @ts-expect-error no such section
        cfg.clustr,
        // @ts-expect-error no such key in matrix:edge
        cfg.edge.adminNetwork,
        // @ts-expect-error region belongs to provider aws
        existing.region,
        // @ts-expect-error storageClasses belongs to provider existing
        aws.storageClasses,
        // @ts-expect-error the parsed config is read-only
        (cfg.ccu = 5),
    ];
}

describe("stack config types", function () {
    this.timeout(120_000);

    it("this file type-checks (a widened section fails it)", () => {
        // The project's options, this file as the only root: what `tsc` reports for it, in seconds instead of minutes.
        const configPath = path.join(__dirname, "..", "tsconfig.json");
        const parsed = ts.parseJsonConfigFileContent(ts.readConfigFile(configPath, ts.sys.readFile).config, ts.sys, path.dirname(configPath));
        const program = ts.createProgram([__filename], { ...parsed.options, noEmit: true });
        const diagnostics = ts.getPreEmitDiagnostics(program).filter((d) => d.file === undefined || !d.file.fileName.includes("node_modules"));
        const text = ts.formatDiagnostics(diagnostics, { getCanonicalFileName: (f) => f, getCurrentDirectory: () => process.cwd(), getNewLine: () => "\n" });
        assert.strictEqual(diagnostics.length, 0, text);
    });
});
