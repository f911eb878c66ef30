// Stack config: parse what `pulumi.runtime.allConfig()` returns into one
// fully-defaulted, typed value, or fail with every problem at once.
import type { SizingInput, SizingOverrides } from "../sizing/types";
import { INVALID, parseFields, unknownKey, type Field, type InferFields, type Simplify } from "./schema";
import { SECTIONS } from "./sections";

export { SecretValue } from "./schema";

type UnionToIntersection<U> = (U extends unknown ? (x: U) => void : never) extends (x: infer I) => void ? I : never;
/** Every section's fields as one object type with exactly the sections' keys. Intersecting with
 * `Record<string, Field>` here would add an index signature and let any key (and any typo) compile. */
type AllFields = UnionToIntersection<(typeof SECTIONS)[number]>;
type RawConfig = InferFields<AllFields>;

/** The validated stack config. `sizing` is the whole input of computePlan. */
export type StackConfig = Simplify<Omit<RawConfig, "sizing"> & { readonly sizing: SizingInput }>;
export type ClusterConfig = StackConfig["cluster"];

/** All top-level fields, merged from the sections. */
export const CONFIG_FIELDS: Readonly<Record<string, Field<unknown>>> = (() => {
    const merged: Record<string, Field<unknown>> = {};
    for (const section of SECTIONS) {
        for (const [key, field] of Object.entries(section)) {
            if (key in merged) throw new Error(`config key ${key} is defined by two sections`);
            merged[key] = field as Field<unknown>;
        }
    }
    return merged;
})();

export class ConfigError extends Error {
    override readonly name = "ConfigError";
    constructor(readonly problems: readonly string[]) {
        super(`Invalid stack config (${problems.length} problem${problems.length === 1 ? "" : "s"}):\n${problems.map((p) => `  - ${p}`).join("\n")}`);
    }
}

/** Duck-typed so it works across module reloads (the mock runtime re-imports the program per stack). */
export function isConfigError(e: unknown): e is ConfigError {
    return e instanceof Error && e.name === "ConfigError" && Array.isArray((e as ConfigError).problems);
}

export interface ParseOptions {
    /** Full config keys (`matrix:cluster`) that were set with `--secret`; values there may hold secrets. */
    readonly secretKeys?: readonly string[];
}

export function parseStackConfig(raw: Readonly<Record<string, string>>, project = "matrix", options: ParseOptions = {}): StackConfig {
    const problems: string[] = [];
    const secretKeys = new Set(options.secretKeys ?? []);
    const prefix = `${project}:`;
    const values: Record<string, unknown> = {};
    let decodeOk = true;
    const undecodable = new Set<string>();
    for (const [fullKey, text] of Object.entries(raw)) {
        // Other namespaces (aws:region, kubernetes:context, pulumi:tags) belong to providers and the CLI.
        if (!fullKey.startsWith(prefix)) continue;
        const key = fullKey.slice(prefix.length);
        const field = CONFIG_FIELDS[key];
        if (field?.structured && typeof text === "string") {
            try {
                values[key] = JSON.parse(text);
            } catch {
                const shown = secretKeys.has(fullKey) ? "[secret]" : JSON.stringify(text);
                undecodable.add(key);
                problems.push(`${fullKey}: not valid JSON for an object or list (got ${shown}); allowed: ${field.allowed}`);
                decodeOk = false;
            }
        } else {
            values[key] = text;
        }
        // Pulumi.yaml declares `default: {}` for optional objects (Pulumi has no other way to say "optional"): that means unset.
        if (field && !field.required && field.defaultValue?.value === undefined && isEmptyObject(values[key])) delete values[key];
    }
    // Each key is parsed on its own so its secretness decides how its values are shown.
    const parsed: Record<string, unknown> = {};
    let ok = decodeOk;
    for (const key of Object.keys(values)) {
        if (!(key in CONFIG_FIELDS)) {
            unknownKey({ path: project, problems, secret: secretKeys.has(`${prefix}${key}`) }, key, values[key], Object.keys(CONFIG_FIELDS), ":");
            ok = false;
        }
    }
    for (const [key, field] of Object.entries(CONFIG_FIELDS)) {
        if (undecodable.has(key)) continue;
        const ctx = { path: project, problems, secret: secretKeys.has(`${prefix}${key}`) };
        const one = parseFields({ [key]: field }, key in values ? { [key]: values[key] } : {}, ctx, ":");
        if (one === INVALID) ok = false;
        else Object.assign(parsed, one);
    }
    if (!ok || problems.length > 0) throw new ConfigError(problems);
    // Every key was parsed by its own field above, so `parsed` holds exactly RawConfig.
    const { sizing: overrides, ...rest } = parsed as RawConfig;
    const compact = overrides ? compactOverrides(overrides) : undefined;
    const sizing: SizingInput = { ccu: rest.ccu, federation: rest.federation, ...(compact ? { overrides: compact } : {}) };
    return { ...rest, sizing };
}

function isEmptyObject(v: unknown): boolean {
    return typeof v === "object" && v !== null && !Array.isArray(v) && Object.keys(v).length === 0;
}

/** Only what the stack sets; `matrix:sizing: {}` (Pulumi.yaml's declared default) means no overrides. */
function compactOverrides(o: NonNullable<RawConfig["sizing"]>): SizingOverrides | undefined {
    const workers = Object.fromEntries(Object.entries(o.workers).filter(([, n]) => n !== undefined));
    const out: SizingOverrides = {
        ...(Object.keys(workers).length > 0 ? { workers } : {}),
        ...(o.postgresMaxConnections !== undefined ? { postgresMaxConnections: o.postgresMaxConnections } : {}),
        ...(o.extraServers.app !== undefined && o.extraServers.app > 0 ? { extraServers: { app: o.extraServers.app } } : {}),
    };
    return Object.keys(out).length > 0 ? out : undefined;
}
