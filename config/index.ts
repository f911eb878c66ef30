// Stack config: parse what `pulumi.runtime.allConfig()` returns into one
// fully-defaulted, typed value, or fail with every problem at once.
import type { SizingInput, SizingOverrides } from "../sizing/types";
import { INVALID, parseFields, unknownKey, type Field, type InferFields } from "./schema";
import { SECTIONS } from "./sections";

export { SecretValue } from "./schema";

type UnionToIntersection<U> = (U extends unknown ? (x: U) => void : never) extends (x: infer I) => void ? I : never;
type AllFields = UnionToIntersection<(typeof SECTIONS)[number]>;
type RawConfig = InferFields<AllFields & Readonly<Record<string, Field<any>>>>;

/** The validated stack config. `sizing` is the whole input of computePlan. */
export type StackConfig = Omit<RawConfig, "sizing"> & { readonly sizing: SizingInput };
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
    const { sizing: overrides, ...rest } = parsed as RawConfig & { sizing?: SizingOverrides };
    const sizing: SizingInput = {
        ccu: rest.ccu as number,
        federation: rest.federation as boolean,
        ...(overrides ? { overrides: compactOverrides(overrides) } : {}),
    };
    return { ...(rest as Omit<RawConfig, "sizing">), sizing } as StackConfig;
}

function compactOverrides(o: SizingOverrides): SizingOverrides {
    const workers = Object.fromEntries(Object.entries(o.workers ?? {}).filter(([, n]) => n !== undefined));
    return {
        ...(Object.keys(workers).length > 0 ? { workers } : {}),
        ...(o.postgresMaxConnections !== undefined ? { postgresMaxConnections: o.postgresMaxConnections } : {}),
    };
}
