// A small typed schema DSL for stack config. Each field knows how to parse a
// value, what it allows (used verbatim in error messages and in the generated
// README table), its description and its default. Parsing never stops at the
// first problem: every field reports into one list, so a user fixes all their
// mistakes in one round instead of one `pulumi preview` per typo.
import { isIP } from "net";

/** A value the user set with `pulumi config set --secret`. Printing or
 * JSON-serialising it never shows the value, so a config dump cannot leak it. */
export class SecretValue {
    readonly #value: string;
    constructor(value: string) {
        this.#value = value;
    }
    reveal(): string {
        return this.#value;
    }
    toString(): string {
        return "[secret]";
    }
    toJSON(): string {
        return "[secret]";
    }
    [Symbol.for("nodejs.util.inspect.custom")](): string {
        return "[secret]";
    }
}

export interface ParseContext {
    /** Full key path, e.g. `matrix:cluster.zones`. */
    readonly path: string;
    readonly problems: string[];
    /** Whether the value at this path came from a secret config key. */
    readonly secret: boolean;
}

/** Marker for "this value was rejected"; distinct from a legitimately undefined optional. */
export const INVALID: unique symbol = Symbol("invalid");
export type Parsed<T> = T | typeof INVALID;

/** A JSON Schema (draft 2020-12) fragment describing how a value is written in a stack file. */
export type JsonSchema = { readonly [keyword: string]: unknown };

export interface Field<T> {
    readonly kind: string;
    readonly description: string;
    /** Human text of what is allowed, e.g. "an integer from 1 to 20000". */
    readonly allowed: string;
    /** Present when the field may be omitted; `undefined` default means "optional, no value". */
    readonly defaultValue?: { readonly value: T };
    readonly required: boolean;
    readonly secret: boolean;
    /** Whether the field's value arrives as JSON when it is a top-level key. */
    readonly structured: boolean;
    parse(value: unknown, ctx: ParseContext): Parsed<T>;
    /** For objects: named children, used for docs and "did you mean". */
    readonly children?: Readonly<Record<string, Field<unknown>>>;
    /** For lists: the field of each item. */
    readonly item?: Field<unknown>;
    /** What a stack file may hold here (generated docs/stack-config.schema.json); looser than parse where text is checked by code. */
    readonly jsonSchema: JsonSchema;
}

export type Infer<F> = F extends Field<infer T> ? T : never;

interface Common<T> {
    readonly description: string;
    /** A default makes the field optional. */
    readonly default?: T;
}

/** Shows a user's value in an error without echoing secrets. */
export function show(value: unknown, ctx: ParseContext): string {
    if (ctx.secret) return "[secret]";
    if (typeof value === "string") return JSON.stringify(value);
    try {
        const s = JSON.stringify(value);
        return s === undefined ? String(value) : s.length > 80 ? s.slice(0, 77) + "..." : s;
    } catch {
        return String(value);
    }
}

export function report(ctx: ParseContext, value: unknown, what: string, allowed: string): typeof INVALID {
    ctx.problems.push(`${ctx.path}: ${what} (got ${show(value, ctx)}); allowed: ${allowed}`);
    return INVALID;
}

function base<T>(kind: string, allowed: string, opts: Common<T>, jsonSchema: JsonSchema, parse: (v: unknown, ctx: ParseContext) => Parsed<T>): Field<T> {
    const hasDefault = Object.prototype.hasOwnProperty.call(opts, "default") && opts.default !== undefined;
    return {
        kind,
        description: opts.description,
        allowed,
        ...(hasDefault ? { defaultValue: { value: opts.default as T } } : {}),
        required: !hasDefault,
        secret: false,
        structured: false,
        jsonSchema,
        parse,
    };
}

// `pulumi config set` writes top-level scalars as strings ("100", "true"), so
// the stack file may hold either form; the parser accepts both.
const INTEGER_TEXT = "^\\s*-?\\d+\\s*$";
const NUMBER_TEXT = "^\\s*-?\\d+(\\.\\d+)?([eE][-+]?\\d+)?\\s*$";
const bounds = (min?: number, max?: number): JsonSchema => ({ ...(min !== undefined ? { minimum: min } : {}), ...(max !== undefined ? { maximum: max } : {}) });

export function integer(opts: Common<number> & { min?: number; max?: number; rangeNote?: string }): Field<number> {
    const { min, max } = opts;
    const range =
        min !== undefined && max !== undefined ? `an integer from ${min} to ${max}`
        : min !== undefined ? `an integer >= ${min}`
        : max !== undefined ? `an integer <= ${max}`
        : "an integer";
    const allowed = opts.rangeNote ? `${range} (${opts.rangeNote})` : range;
    return base("integer", allowed, opts, { type: ["integer", "string"], ...bounds(min, max), pattern: INTEGER_TEXT }, (v, ctx) => {
        // Top-level keys and `pulumi config set --path` values arrive as strings.
        const n = typeof v === "string" && /^-?\d+$/.test(v.trim()) ? Number(v.trim()) : v;
        if (typeof n !== "number" || !Number.isInteger(n)) return report(ctx, v, "not an integer", allowed);
        if ((min !== undefined && n < min) || (max !== undefined && n > max)) return report(ctx, v, "out of range", allowed);
        return n;
    });
}

export function number(opts: Common<number> & { min?: number; max?: number }): Field<number> {
    const { min, max } = opts;
    const allowed = `a number${min !== undefined ? ` >= ${min}` : ""}${min !== undefined && max !== undefined ? " and" : ""}${max !== undefined ? ` <= ${max}` : ""}`;
    return base("number", allowed, opts, { type: ["number", "string"], ...bounds(min, max), pattern: NUMBER_TEXT }, (v, ctx) => {
        const n = typeof v === "string" && v.trim() !== "" && Number.isFinite(Number(v)) ? Number(v) : v;
        if (typeof n !== "number" || !Number.isFinite(n)) return report(ctx, v, "not a number", allowed);
        if ((min !== undefined && n < min) || (max !== undefined && n > max)) return report(ctx, v, "out of range", allowed);
        return n;
    });
}

export function boolean(opts: Common<boolean>): Field<boolean> {
    const allowed = "true or false";
    return base("boolean", allowed, opts, { enum: [true, false, "true", "false"] }, (v, ctx) => {
        if (v === true || v === "true") return true;
        if (v === false || v === "false") return false;
        return report(ctx, v, "not a boolean", allowed);
    });
}

export function string(opts: Common<string> & { pattern?: RegExp; patternText?: string }): Field<string> {
    const allowed = opts.patternText ?? "a non-empty string";
    return base("string", allowed, opts, { type: "string", minLength: 1, ...(opts.pattern ? { pattern: opts.pattern.source } : {}) }, (v, ctx) => {
        if (typeof v !== "string" || v === "") return report(ctx, v, "not a non-empty string", allowed);
        if (opts.pattern && !opts.pattern.test(v)) return report(ctx, v, "does not match", allowed);
        return v;
    });
}

export function enumOf<const V extends string>(values: readonly V[], opts: Common<V>): Field<V> {
    const allowed = `one of ${values.map((x) => JSON.stringify(x)).join(", ")}`;
    return {
        ...base("enum", allowed, opts, { enum: [...values] }, (v, ctx) => {
            if (typeof v === "string" && (values as readonly string[]).includes(v)) return v as V;
            const hint = typeof v === "string" ? closest(v, values) : undefined;
            return report(ctx, v, hint ? `not a known value; did you mean ${JSON.stringify(hint)}?` : "not a known value", allowed);
        }),
    };
}

const DNS_LABEL = /^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/;

export function dnsName(opts: Common<string>): Field<string> {
    const allowed = "a lowercase DNS name with at least two labels, e.g. example.org (labels of a-z, 0-9 and inner hyphens, at most 63 characters each, 253 in all)";
    const label = "[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?";
    return base("dnsName", allowed, opts, { type: "string", maxLength: 253, pattern: `^${label}(\\.${label})+$` }, (v, ctx) => {
        if (typeof v !== "string") return report(ctx, v, "not a DNS name", allowed);
        const labels = v.split(".");
        if (v.length > 253 || labels.length < 2 || !labels.every((l) => DNS_LABEL.test(l))) {
            return report(ctx, v, "not a valid DNS name", allowed);
        }
        return v;
    });
}

function ipv4ToInt(ip: string): number {
    return ip.split(".").reduce((acc, o) => acc * 256 + Number(o), 0);
}

export function cidr(opts: Common<string>): Field<string> {
    const allowed = "a CIDR block such as 203.0.113.0/24 or 2001:db8::/32, with no host bits set";
    // The shape only; host bits and address validity are checked by the parser.
    return base("cidr", allowed, opts, { type: "string", pattern: "^[0-9A-Fa-f:.]+/\\d{1,3}$" }, (v, ctx) => {
        if (typeof v !== "string") return report(ctx, v, "not a CIDR block", allowed);
        const m = /^([^/]+)\/(\d{1,3})$/.exec(v);
        const family = m ? isIP(m[1]) : 0;
        const bits = m ? Number(m[2]) : NaN;
        if (!m || family === 0 || bits > (family === 4 ? 32 : 128)) return report(ctx, v, "not a CIDR block", allowed);
        if (family === 4 && !/^(0|[1-9]\d*)(\.(0|[1-9]\d*)){3}$/.test(m[1])) return report(ctx, v, "not a CIDR block", allowed);
        if (family === 4 && bits < 32) {
            // Cloud firewalls reject (or silently widen) blocks with host bits set; say which block was meant.
            const addr = ipv4ToInt(m[1]);
            const size = 2 ** (32 - bits);
            if (addr % size !== 0) {
                const net = addr - (addr % size);
                const dotted = [24, 16, 8, 0].map((s) => Math.floor(net / 2 ** s) % 256).join(".");
                return report(ctx, v, `host bits set; did you mean ${dotted}/${bits}?`, allowed);
            }
        }
        return v;
    });
}

/** How Pulumi writes an encrypted value into a stack file. */
export const SECURE_VALUE: JsonSchema = {
    type: "object",
    properties: { secure: { type: "string", minLength: 1 } },
    required: ["secure"],
    additionalProperties: false,
};

/** A string the user must set with `pulumi config set --secret`. Always optional. */
export function secretString(opts: { description: string; setHint: string }): Field<SecretValue | undefined> {
    const allowed = `a non-empty string set as a secret (${opts.setHint})`;
    return {
        kind: "secret",
        description: opts.description,
        allowed,
        defaultValue: { value: undefined },
        required: false,
        secret: true,
        structured: false,
        // Pulumi stores a secret as `{secure: <ciphertext>}`; a plain string here is the mistake the parser reports.
        jsonSchema: SECURE_VALUE,
        parse(v, ctx) {
            const c = { ...ctx, secret: true };
            if (typeof v !== "string" || v === "") return report(c, v, "not a non-empty string", allowed);
            if (!ctx.secret) {
                // Never echo the value: it was meant to be secret and is now in plain stack config.
                ctx.problems.push(`${ctx.path}: set in plain text, so it would be stored unencrypted (got [secret]); allowed: ${allowed}`);
                return INVALID;
            }
            return new SecretValue(v);
        },
    };
}

/** Makes a field optional with no default (its value is then `undefined`). */
export function optional<T>(field: Field<T>): Field<T | undefined> {
    return { ...field, required: false, defaultValue: { value: undefined } };
}

export function list<T>(item: Field<T>, opts: Common<T[]> & { minItems?: number }): Field<T[]> {
    const allowed = `a list of ${item.allowed}${opts.minItems ? ` (at least ${opts.minItems})` : ""}`;
    return {
        ...base("list", allowed, opts, { type: "array", items: item.jsonSchema, ...(opts.minItems ? { minItems: opts.minItems } : {}) }, (v, ctx) => {
            if (!Array.isArray(v)) return report(ctx, v, "not a list", allowed);
            if (opts.minItems !== undefined && v.length < opts.minItems) return report(ctx, v, `fewer than ${opts.minItems} items`, allowed);
            let ok = true;
            const out = v.map((x, i) => {
                const r = item.parse(x, { ...ctx, path: `${ctx.path}[${i}]` });
                if (r === INVALID) ok = false;
                return r;
            });
            return ok ? (out as T[]) : INVALID;
        }),
        item,
        structured: true,
    };
}

/** The fields of an object: exact keys (an object literal), never an index signature. */
export type Fields = Readonly<Record<string, Field<any>>>;
/** Flattens an intersection into one object type, so editors and type tests see plain keys. */
export type Simplify<T> = { [K in keyof T]: T[K] } & {};
type OptionalKeys<F> = { [K in keyof F]: undefined extends Infer<F[K]> ? K : never }[keyof F];
/** The parsed value of an object's fields: keys with a default or required are always there, optional ones may be absent. */
export type InferFields<F> = Simplify<
    { readonly [K in Exclude<keyof F, OptionalKeys<F>>]: Infer<F[K]> } & { readonly [K in OptionalKeys<F>]?: Infer<F[K]> }
>;

function objectSchema(fields: Fields, extra: Record<string, JsonSchema> = {}, required: readonly string[] = []): JsonSchema {
    const properties: Record<string, JsonSchema> = { ...extra };
    for (const [k, f] of Object.entries(fields)) {
        const d = f.defaultValue?.value;
        const showDefault = d !== undefined && (typeof d !== "object" || Array.isArray(d));
        properties[k] = { ...f.jsonSchema, description: f.description, ...(showDefault ? { default: d } : {}) };
    }
    const req = [...required, ...Object.entries(fields).filter(([, f]) => f.required).map(([k]) => k)];
    return { type: "object", properties, ...(req.length > 0 ? { required: req } : {}), additionalProperties: false };
}

/** Parses the known fields of `obj`, reporting unknown keys with a suggestion. */
export function parseFields<F extends Fields>(fields: F, obj: Record<string, unknown>, ctx: ParseContext, sep = "."): Parsed<InferFields<F>> {
    const out: Record<string, unknown> = {};
    let ok = true;
    for (const key of Object.keys(obj)) {
        if (!Object.prototype.hasOwnProperty.call(fields, key)) {
            unknownKey(ctx, key, obj[key], Object.keys(fields), sep);
            ok = false;
        }
    }
    for (const [key, field] of Object.entries(fields)) {
        const path = `${ctx.path}${sep}${key}`;
        const present = Object.prototype.hasOwnProperty.call(obj, key) && obj[key] !== undefined && obj[key] !== null;
        if (!present) {
            if (field.required) {
                ctx.problems.push(`${path}: required but not set; allowed: ${field.allowed}`);
                ok = false;
            } else if (field.defaultValue?.value !== undefined) {
                out[key] = field.defaultValue.value;
            }
            continue;
        }
        const r = field.parse(obj[key], { ...ctx, path });
        if (r === INVALID) ok = false;
        else if (r !== undefined) out[key] = r;
    }
    return ok ? (out as InferFields<F>) : INVALID;
}

export function unknownKey(ctx: ParseContext, key: string, value: unknown, known: readonly string[], sep = "."): void {
    const hint = closest(key, known);
    const suggestion = hint ? `did you mean ${ctx.path}${sep}${hint}?` : "no similar key";
    ctx.problems.push(
        `${ctx.path}${sep}${key}: unknown key (got ${show(value, ctx)}); ${suggestion} Known keys here: ${known.join(", ") || "(none)"}`,
    );
}

export function object<F extends Fields>(fields: F, opts: { description: string; optional: true }): Field<InferFields<F> | undefined>;
export function object<F extends Fields>(fields: F, opts: { description: string; optional?: false }): Field<InferFields<F>>;
export function object<F extends Fields>(fields: F, opts: { description: string; optional?: boolean }): Field<InferFields<F> | undefined> {
    const allowed = `an object with keys ${Object.keys(fields).join(", ")}`;
    const allChildrenOptional = Object.values(fields).every((f) => !f.required);
    // An object whose children all have defaults defaults to "all defaults", so users only write what they change.
    const field: Field<InferFields<F>> = {
        kind: "object",
        description: opts.description,
        allowed,
        required: !allChildrenOptional && !opts.optional,
        secret: false,
        structured: true,
        children: fields,
        jsonSchema: objectSchema(fields),
        parse(v, ctx) {
            if (typeof v !== "object" || v === null || Array.isArray(v)) return report(ctx, v, "not an object", allowed);
            return parseFields(fields, v as Record<string, unknown>, ctx);
        },
    };
    if (opts.optional) return { ...field, defaultValue: { value: undefined } };
    if (allChildrenOptional) {
        return { ...field, defaultValue: { value: field.parse({}, { path: "", problems: [], secret: false }) as InferFields<F> } };
    }
    return field;
}

/**
 * A tagged union: `key` selects which object schema applies, e.g.
 * `provider: aws` vs `provider: existing`. Keys of another variant are reported
 * as belonging to it instead of as typos.
 */
export function variants<K extends string, V extends Readonly<Record<string, Fields>>>(
    key: K,
    options: V,
    opts: { description: string; default?: keyof V & string },
): Field<{ [P in keyof V & string]: Simplify<{ readonly [Q in K]: P } & InferFields<V[P]>> }[keyof V & string]> {
    type Value = { [P in keyof V & string]: Simplify<{ readonly [Q in K]: P } & InferFields<V[P]>> }[keyof V & string];
    const names = Object.keys(options);
    const allowed = `an object with ${key}: ${names.map((n) => JSON.stringify(n)).join(" or ")} and that ${key}'s keys`;
    const children: Record<string, Field<unknown>> = {};
    for (const [name, fields] of Object.entries(options)) {
        for (const [k, f] of Object.entries(fields)) children[k] = { ...f, description: `(${key} ${name}) ${f.description}` };
    }
    const selector = enumOf(names, { description: `Which kind of ${key}.`, ...(opts.default ? { default: opts.default } : {}) });
    // In a stack file each variant is an object whose selector names it; the default variant may omit the selector.
    const jsonSchema: JsonSchema = {
        anyOf: names.map((n) =>
            objectSchema(options[n], { [key]: { const: n, description: `Which kind of ${key}.` } }, n === opts.default ? [] : [key]),
        ),
    };
    const field: Field<Value> = {
        kind: "variants",
        description: opts.description,
        allowed,
        required: !opts.default,
        secret: false,
        structured: true,
        children: { [key]: selector, ...children },
        jsonSchema,
        parse(v, ctx) {
            if (typeof v !== "object" || v === null || Array.isArray(v)) return report(ctx, v, "not an object", allowed);
            const obj = v as Record<string, unknown>;
            const rawSel = obj[key] ?? opts.default;
            if (rawSel === undefined) {
                ctx.problems.push(`${ctx.path}.${key}: required but not set; allowed: ${selector.allowed}`);
                return INVALID;
            }
            const sel = selector.parse(rawSel, { ...ctx, path: `${ctx.path}.${key}` });
            if (sel === INVALID) return INVALID;
            const fields = options[sel];
            const rest: Record<string, unknown> = {};
            let ok = true;
            for (const [k, val] of Object.entries(obj)) {
                if (k === key) continue;
                if (!(k in fields)) {
                    const owner = names.find((n) => k in options[n]);
                    if (owner) {
                        ctx.problems.push(`${ctx.path}.${k}: only applies when ${key} is ${JSON.stringify(owner)} (got ${show(val, ctx)} with ${key} ${JSON.stringify(sel)}); allowed keys here: ${Object.keys(fields).join(", ")}`);
                        ok = false;
                        continue;
                    }
                }
                rest[k] = val;
            }
            const r = parseFields(fields, rest, ctx);
            if (r === INVALID || !ok) return INVALID;
            return { [key]: sel, ...r } as Value;
        },
    };
    if (opts.default === undefined) return field;
    // Absent means the default variant with its own defaults, so readers never see undefined.
    const problems: string[] = [];
    const dflt = field.parse({}, { path: "", problems, secret: false });
    if (dflt === INVALID) throw new Error(`variants ${key}: default ${opts.default} needs keys (${problems.join("; ")}); a default variant must need none`);
    return { ...field, defaultValue: { value: dflt } };
}

/**
 * Adds a cross-field check to an already parsed value (e.g. "exactly one of
 * kubeconfig or context"). `problem(subkey, text)` reports against a child key.
 */
export function refine<T>(field: Field<T>, check: (value: T, problem: (subkey: string | undefined, text: string) => void) => void): Field<T> {
    return {
        ...field,
        parse(v, ctx) {
            const r = field.parse(v, ctx);
            if (r === INVALID) return r;
            let ok = true;
            check(r, (subkey, text) => {
                ctx.problems.push(`${ctx.path}${subkey ? "." + subkey : ""}: ${text}`);
                ok = false;
            });
            return ok ? r : INVALID;
        },
    };
}

/** Damerau-free Levenshtein distance, enough to catch typos in key names. */
export function distance(a: string, b: string): number {
    const prev = Array.from({ length: b.length + 1 }, (_, i) => i);
    for (let i = 1; i <= a.length; i++) {
        let diag = prev[0];
        prev[0] = i;
        for (let j = 1; j <= b.length; j++) {
            const tmp = prev[j];
            prev[j] = Math.min(prev[j] + 1, prev[j - 1] + 1, diag + (a[i - 1].toLowerCase() === b[j - 1].toLowerCase() ? 0 : 1));
            diag = tmp;
        }
    }
    return prev[b.length];
}

/** The known name nearest to `name`, when near enough to be a plausible typo. */
export function closest(name: string, known: readonly string[]): string | undefined {
    let best: string | undefined;
    let bestD = Infinity;
    for (const k of known) {
        const d = distance(name, k);
        if (d < bestD) {
            best = k;
            bestD = d;
        }
    }
    return best !== undefined && bestD <= Math.max(2, Math.floor(best.length / 3)) ? best : undefined;
}
