// Synapse's own JSON Schema (reference copy outside the repo), with the one
// known quirk patched: it types stream_writers.<stream> as a string while
// Synapse accepts a list.
import * as fs from "node:fs";
import Ajv2020, { type ValidateFunction } from "ajv/dist/2020";
import * as YAML from "yaml";

import { referencePath } from "./reference";

/** Relative to the reference folder; tests call requireReference(this, SCHEMA_FILE) first. */
export const SCHEMA_FILE = "synapse-config.schema.yaml";

let cached: { path: string; validate: ValidateFunction } | undefined;

/** The schema as published (unpatched), or undefined when the reference folder is absent. */
export function loadSynapseSchema(): any {
    const file = referencePath(SCHEMA_FILE);
    if (!fs.existsSync(file)) return undefined;
    return YAML.parse(fs.readFileSync(file, "utf8"));
}

export function loadSynapseValidator(): ValidateFunction | undefined {
    const file = referencePath(SCHEMA_FILE);
    if (cached?.path === file) return cached.validate;
    if (!fs.existsSync(file)) return undefined;
    const schema = YAML.parse(fs.readFileSync(file, "utf8"));
    delete schema.$schema;
    const writers = schema.properties.stream_writers.properties as Record<string, unknown>;
    for (const stream of Object.keys(writers)) {
        writers[stream] = { anyOf: [{ type: "string" }, { type: "array", items: { type: "string" }, minItems: 1 }] };
    }
    const validate = new Ajv2020({ strict: false, allErrors: true, validateFormats: false }).compile(schema);
    cached = { path: file, validate };
    return validate;
}
