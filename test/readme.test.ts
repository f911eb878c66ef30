import * as assert from "assert";
import * as fs from "fs";
import * as path from "path";
import { configReference, withConfigReference } from "../config/docs";
import { CONFIG_FIELDS } from "../config";

describe("README config reference", () => {
    const readme = fs.readFileSync(path.join(__dirname, "..", "README.md"), "utf8");

    it("is what `npm run docs:config` generates from the schema", () => {
        assert.ok(withConfigReference(readme) === readme, "README.md is stale: run `npm run docs:config`");
    });

    it("lists every top-level key", () => {
        const table = configReference();
        for (const key of Object.keys(CONFIG_FIELDS)) assert.ok(table.includes(`| \`matrix:${key}\` |`), key);
        assert.ok(table.includes("`matrix:cluster.zones`"));
    });
});
