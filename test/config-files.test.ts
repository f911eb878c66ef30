// The files generated from the config schema (`npm run docs:config`): the
// stack-file JSON Schema editors use, and Pulumi.yaml's key declarations the
// CLI uses. Both must be fresh, accept the real stack files and say no to
// the mistakes users make.
import * as assert from "assert";
import Ajv from "ajv";
import * as fs from "fs";
import * as path from "path";
import { parse as parseYaml } from "yaml";
import { parseStackConfig } from "../config";
import { projectConfigDeclarations, renderStackSchema, STACK_SCHEMA_PATH, withProjectConfig } from "../config/stack-schema";
import { listStacks, stackConfigBlock, toRuntimeConfig } from "../tools/mock-runtime";

const ROOT = path.join(__dirname, "..");
const read = (f: string) => fs.readFileSync(path.join(ROOT, f), "utf8");

describe("stack-file JSON Schema (docs/stack-config.schema.json)", () => {
    const committed = read(STACK_SCHEMA_PATH);
    const ajv = new Ajv({ allErrors: true, strict: true, allowUnionTypes: true });
    const validate = ajv.compile(JSON.parse(committed));
    const errors = (doc: unknown) => (validate(doc) ? [] : (validate.errors ?? []).map((e) => `${e.instancePath} ${e.message} ${JSON.stringify(e.params)}`));
    const dev = parseYaml(read("Pulumi.dev.yaml"));
    const withCluster = (cluster: Record<string, unknown>, extra: Record<string, unknown> = {}) => ({
        config: { "matrix:ccu": 100, "matrix:domain": "example.org", "matrix:cluster": cluster, ...extra },
    });

    it("is what `npm run docs:config` generates from config/sections", () => {
        assert.ok(committed === renderStackSchema(), `${STACK_SCHEMA_PATH} is stale: run \`npm run docs:config\``);
    });

    for (const stack of ["dev", "prod"]) {
        it(`accepts Pulumi.${stack}.yaml, which names it in its yaml-language-server modeline`, () => {
            const text = read(`Pulumi.${stack}.yaml`);
            assert.ok(text.startsWith(`# yaml-language-server: $schema=./${STACK_SCHEMA_PATH}\n`), "modeline missing");
            assert.deepStrictEqual(errors(parseYaml(text)), []);
        });
    }

    it("accepts what the CLI writes: quoted scalars, JSON text, secrets as {secure}, other namespaces", () => {
        const ok = {
            encryptionsalt: "v1:abc",
            config: {
                "aws:region": "eu-central-1",
                "matrix:ccu": "5000",
                "matrix:federation": "true",
                "matrix:domain": "matrix.example.org",
                "matrix:cluster": { provider: "existing", kubeconfig: { secure: "v1:AAAA" } },
                "matrix:sizing": JSON.stringify({ workers: { synchrotron: 4 } }),
                "matrix:edge": { tls: { mode: "letsencrypt", email: "ops@example.org" } },
            },
        };
        assert.deepStrictEqual(errors(ok), []);
    });

    it("refuses unknown keys at any depth, wrong types, keys of another variant and plain-text secrets", () => {
        const bad: [string, unknown][] = [
            ["unknown top-level key", { config: { ...dev.config, "matrix:clustr": {} } }],
            ["unnamespaced key", { config: { ...dev.config, ccu: 5 } }],
            ["missing required key", { config: { "matrix:ccu": 100, "matrix:domain": "example.org" } }],
            ["nested typo", withCluster({ provider: "aws", regoin: "eu-central-1" })],
            ["out of range", { config: { ...dev.config, "matrix:ccu": 20001 } }],
            ["not an integer", { config: { ...dev.config, "matrix:ccu": "many" } }],
            ["bad enum", withCluster({ provider: "gcp" })],
            ["key of the other variant", withCluster({ provider: "existing", context: "kind", region: "eu-central-1" })],
            ["plain-text kubeconfig", withCluster({ provider: "existing", kubeconfig: "apiVersion: v1" })],
            ["bad TLS mode key", withCluster({ provider: "existing", context: "k" }, { "matrix:edge": { tls: { mode: "supplied" } } })],
            ["list of the wrong thing", withCluster({ provider: "aws", region: "eu-central-1", adminCidrs: "10.0.0.0/8" })],
            ["unknown top-level file key", { ...dev, confg: {} }],
        ];
        // Each case differs from a valid document by its one mistake.
        assert.deepStrictEqual(errors(withCluster({ provider: "existing", context: "k" }, { "matrix:edge": { tls: { mode: "supplied", secretName: "tls" } } })), []);
        assert.deepStrictEqual(errors(withCluster({ provider: "aws", region: "eu-central-1", adminCidrs: ["10.0.0.0/8"] })), []);
        for (const [what, doc] of bad) assert.notDeepStrictEqual(errors(doc), [], `${what} was accepted`);
    });
});

describe("Pulumi.yaml config declarations", () => {
    const text = read("Pulumi.yaml");
    const project = parseYaml(text);
    const declared = Object.fromEntries(Object.entries(project.config as Record<string, unknown>).filter(([k]) => k.startsWith("matrix:")));
    const schema = JSON.parse(read(STACK_SCHEMA_PATH));

    it("are what `npm run docs:config` generates", () => {
        assert.ok(withProjectConfig(text) === text, "Pulumi.yaml is stale: run `npm run docs:config`");
        assert.deepStrictEqual(project.config["pulumi:tags"], { value: { "pulumi:template": "none" } }, "other project config kept");
    });

    it("declare exactly the schema's top-level keys", () => {
        assert.deepStrictEqual(Object.keys(declared).sort(), Object.keys(schema.properties.config.properties).sort());
        assert.deepStrictEqual(Object.keys(declared).sort(), Object.keys(projectConfigDeclarations()).sort());
    });

    it("use only what Pulumi's project schema accepts, with defaults of the declared type", () => {
        // Pulumi's sdk/go/common/workspace/project.json: simpleConfigType is string, integer, boolean or array
        // (array needs items); configTypeDeclaration allows type, items, description, secret, default, value.
        const keysAllowed = ["type", "items", "description", "secret", "default", "value"];
        const ofType = (type: string, v: unknown): boolean =>
            type === "string" ? typeof v === "string"
            : type === "integer" ? Number.isInteger(v)
            : type === "boolean" ? typeof v === "boolean"
            : false;
        for (const [key, d] of Object.entries(declared) as [string, Record<string, any>][]) {
            for (const k of Object.keys(d)) assert.ok(keysAllowed.includes(k), `${key}: ${k}`);
            assert.strictEqual(typeof d.description, "string", key);
            if (d.type === undefined) continue;
            assert.ok(["string", "integer", "boolean", "array"].includes(d.type), `${key}: type ${d.type}`);
            if (d.type === "array") assert.ok(d.items && ["string", "integer", "boolean"].includes(d.items.type), `${key}: items`);
            if (d.default !== undefined) {
                const fits = d.type === "array" ? Array.isArray(d.default) && d.default.every((x: unknown) => ofType(d.items.type, x)) : ofType(d.type, d.default);
                assert.ok(fits, `${key}: default ${JSON.stringify(d.default)} is not a ${d.type}`);
            }
        }
        // The keys every stack must set have no default, so the CLI asks for them too.
        assert.deepStrictEqual(Object.keys(declared).filter((k) => declared[k] && (declared[k] as any).default === undefined).sort(), [...schema.properties.config.required].sort());
    });

    it("defaults that the CLI fills in parse to the same config as leaving the keys out", () => {
        for (const stack of listStacks()) {
            const block = stackConfigBlock(stack);
            const filled: Record<string, unknown> = { ...block };
            for (const [key, d] of Object.entries(declared) as [string, { default?: unknown }][]) if (!(key in filled) && d.default !== undefined) filled[key] = d.default;
            assert.ok(Object.keys(filled).length > Object.keys(block).length, "no default applied");
            const parse = (b: Record<string, unknown>) => JSON.stringify(parseStackConfig(toRuntimeConfig(b).config));
            assert.strictEqual(parse(filled), parse(block), stack);
        }
    });
});
