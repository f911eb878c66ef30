// Synapse's own JSON Schema (reference copy outside the repo), with the one
// known quirk patched: it types stream_writers.<stream> as a string while
// Synapse accepts a list.
import * as fs from "node:fs";
import * as path from "node:path";
import Ajv2020, { type ValidateFunction } from "ajv/dist/2020";
import * as YAML from "yaml";

export const SCHEMA_PATH = path.resolve(__dirname, "../../../shared/reference/synapse-config.schema.yaml");

let cached: ValidateFunction | undefined;

/** The schema as published (unpatched), or undefined when the reference folder is absent. */
export function loadSynapseSchema(): any {
    if (!fs.existsSync(SCHEMA_PATH)) return undefined;
    return YAML.parse(fs.readFileSync(SCHEMA_PATH, "utf8"));
}

export function loadSynapseValidator(): ValidateFunction | undefined {
    if (cached) return cached;
    if (!fs.existsSync(SCHEMA_PATH)) return undefined;
    const schema = YAML.parse(fs.readFileSync(SCHEMA_PATH, "utf8"));
    delete schema.$schema;
    const writers = schema.properties.stream_writers.properties as Record<string, unknown>;
    for (const stream of Object.keys(writers)) {
        writers[stream] = { anyOf: [{ type: "string" }, { type: "array", items: { type: "string" }, minItems: 1 }] };
    }
    cached = new Ajv2020({ strict: false, allErrors: true, validateFormats: false }).compile(schema);
    return cached;
}
