import * as assert from "assert";
import { parseStackConfig } from "../config";
import { listStacks, stackConfigBlock, toRuntimeConfig } from "../tools/mock-runtime";

describe("stack files", () => {
    const stacks = listStacks();

    it("include dev (100 CCU) and prod (20,000 CCU)", () => {
        assert.ok(stacks.includes("dev") && stacks.includes("prod"), stacks.join(", "));
        const ccu = (s: string) => parseStackConfig(toRuntimeConfig(stackConfigBlock(s)).config).ccu;
        assert.strictEqual(ccu("dev"), 100);
        assert.strictEqual(ccu("prod"), 20000);
    });

    for (const stack of stacks) {
        it(`Pulumi.${stack}.yaml is a valid stack config`, () => {
            const { config, secretKeys } = toRuntimeConfig(stackConfigBlock(stack));
            parseStackConfig(config, "matrix", { secretKeys });
        });
    }
});
