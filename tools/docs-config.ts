// `npm run docs:config`: regenerates everything derived from the config schema
// (config/sections): the README's config table, the stack-file JSON Schema
// under docs/ and the key declarations in Pulumi.yaml. Tests fail when any of
// them is stale.
import * as fs from "fs";
import * as path from "path";
import { withConfigReference } from "../config/docs";
import { renderStackSchema, STACK_SCHEMA_PATH, withProjectConfig } from "../config/stack-schema";

const root = path.resolve(__dirname, "..");

function rewrite(file: string, next: (before: string | undefined) => string): void {
    const full = path.join(root, file);
    const before = fs.existsSync(full) ? fs.readFileSync(full, "utf8") : undefined;
    const after = next(before);
    if (before !== after) fs.writeFileSync(full, after);
    console.log(before === after ? `${file} already up to date` : `${file} updated`);
}

rewrite("README.md", (text) => withConfigReference(text ?? ""));
rewrite(STACK_SCHEMA_PATH, () => renderStackSchema());
rewrite("Pulumi.yaml", (text) => withProjectConfig(text ?? ""));
