// Machine-readable descriptions of the stack config, generated from the same
// sections as the parser and the README table (`npm run docs:config`):
// - a JSON Schema of `Pulumi.<stack>.yaml`, so editors with the YAML language
//   server complete keys and flag mistakes while typing;
// - the `config:` declarations of `Pulumi.yaml`, so `pulumi config` and
//   `pulumi preview` know every top-level key, its type and its default.
import * as YAML from "yaml";
import { CONFIG_FIELDS } from ".";
import { SECURE_VALUE, type Field, type JsonSchema } from "./schema";

export const STACK_SCHEMA_PATH = "docs/stack-config.schema.json";

/** Whether a value below this field may hold a secret, so the whole key may be set with --secret. */
function holdsSecret(field: Field<unknown>): boolean {
    return field.secret || Object.values(field.children ?? {}).some(holdsSecret);
}

/** What `matrix:<key>` may be in a stack file. */
function topLevel(field: Field<unknown>): JsonSchema {
    const d = field.defaultValue?.value;
    const showDefault = d !== undefined && (typeof d !== "object" || Array.isArray(d));
    const forms: JsonSchema[] = [field.jsonSchema];
    // `pulumi config set matrix:x '{...}'` (without --path) stores the object as JSON text; the program decodes it.
    if (field.structured) forms.push({ type: "string", description: "The same value as JSON text." });
    if (holdsSecret(field)) forms.push(SECURE_VALUE);
    return { ...(forms.length === 1 ? forms[0] : { anyOf: forms }), description: field.description, ...(showDefault ? { default: d } : {}) };
}

/** JSON Schema (draft-07, what the YAML language server supports best) of a `Pulumi.<stack>.yaml`. */
export function stackFileSchema(project = "matrix"): JsonSchema {
    const properties: Record<string, JsonSchema> = {};
    const required: string[] = [];
    for (const [key, field] of Object.entries(CONFIG_FIELDS)) {
        properties[`${project}:${key}`] = topLevel(field);
        if (field.required) required.push(`${project}:${key}`);
    }
    return {
        $schema: "http://json-schema.org/draft-07/schema#",
        title: `Pulumi stack file of project ${project}`,
        description: `Generated from config/sections by \`npm run docs:config\`; do not edit. Validates Pulumi.<stack>.yaml: every ${project}: key, nested objects, lists and secrets ({secure: ...}).`,
        type: "object",
        properties: {
            config: {
                type: "object",
                description: "Stack configuration. Keys of other namespaces (aws:, kubernetes:, pulumi:) belong to providers and the CLI and are not checked here.",
                properties,
                required,
                // Other namespaces pass; an unknown or unnamespaced key of this project does not.
                patternProperties: { [`^(?!${project}:)[A-Za-z0-9_.-]+:`]: {} },
                additionalProperties: false,
            },
            secretsprovider: { type: "string" },
            encryptedkey: { type: "string" },
            encryptionsalt: { type: "string" },
            environment: { description: "Pulumi ESC environments imported by this stack." },
        },
        additionalProperties: false,
    };
}

/** One key's declaration in Pulumi.yaml, in the shape Pulumi's project schema accepts (types string, integer, boolean, array). */
export interface ProjectConfigDeclaration {
    readonly type?: "string" | "integer" | "boolean" | "array";
    readonly items?: { readonly type: "string" | "integer" | "boolean" };
    readonly description: string;
    readonly default?: unknown;
    readonly secret?: boolean;
}

const SCALAR: Readonly<Record<string, "string" | "integer" | "boolean">> = {
    integer: "integer",
    boolean: "boolean",
    string: "string",
    enum: "string",
    dnsName: "string",
    cidr: "string",
    secret: "string",
};

/**
 * Pulumi.yaml `config:` declarations of every top-level key. Pulumi has no
 * object type for project config, so objects are declared untyped; a key
 * without a default is required by the CLI too, so optional objects declare
 * `default: {}` (all of their own defaults).
 */
export function projectConfigDeclarations(project = "matrix"): Record<string, ProjectConfigDeclaration> {
    const out: Record<string, ProjectConfigDeclaration> = {};
    for (const [key, field] of Object.entries(CONFIG_FIELDS)) {
        const d = field.defaultValue?.value;
        const scalar = SCALAR[field.kind];
        const itemType = field.kind === "list" && field.item ? SCALAR[field.item.kind] : undefined;
        let decl: ProjectConfigDeclaration;
        if (scalar) {
            decl = { type: scalar, description: field.description, ...(d !== undefined ? { default: d } : {}) };
        } else if (itemType) {
            decl = { type: "array", items: { type: itemType }, description: field.description, ...(d !== undefined ? { default: d } : {}) };
        } else {
            // Objects (and lists of objects) are untyped; `{}` stands for "unset", which the parser reads as absent.
            decl = { description: field.description, ...(field.required ? {} : { default: field.kind === "list" ? [] : {} }) };
        }
        if (!field.required && decl.default === undefined) {
            // Pulumi demands every declared key that has no default, so such a key could not stay unset.
            throw new Error(`${project}:${key}: an optional top-level value needs a default to be declared in Pulumi.yaml (or make it part of an object)`);
        }
        out[`${project}:${key}`] = field.secret ? { ...decl, secret: true } : decl;
    }
    return out;
}

/** The committed schema file's text. */
export function renderStackSchema(project = "matrix"): string {
    return `${JSON.stringify(stackFileSchema(project), null, 2)}\n`;
}

/** Pulumi.yaml text with its `config:` declarations of this project's keys replaced by the generated ones; other keys (pulumi:tags) stay. */
export function withProjectConfig(pulumiYaml: string, project = "matrix"): string {
    const doc = YAML.parseDocument(pulumiYaml);
    const current = doc.get("config");
    const existing = YAML.isMap(current) ? current.items.map((p) => String(YAML.isScalar(p.key) ? p.key.value : p.key)) : [];
    for (const key of existing) if (key.startsWith(`${project}:`)) doc.deleteIn(["config", key]);
    for (const [key, decl] of Object.entries(projectConfigDeclarations(project))) doc.setIn(["config", key], doc.createNode(decl));
    return doc.toString({ lineWidth: 0 });
}
