// The policy pack over what the real program registers: every stack file and
// every tier must pass it with no violation. Any component added later is
// checked here with no extra work.
import * as assert from "assert";
import { listStacks, runProgram, stackConfigBlock } from "../../tools/mock-runtime";
import { policyViolations } from "../helpers/policy";

describe("policy pack over the real program", function () {
    this.timeout(600000);

    for (const stack of listStacks()) {
        it(`stack ${stack} passes every policy`, async () => {
            const run = await runProgram({ stack });
            assert.ok(run.resources.length > 0, "the program registered nothing: the check would be empty");
            assert.deepStrictEqual(await policyViolations(run.resources), []);
        });
    }

    for (const ccu of [100, 1000, 5000, 10000, 20000]) {
        for (const federation of [false, true]) {
            it(`${ccu} CCU, federation ${federation ? "on" : "off"}, passes every policy`, async () => {
                const run = await runProgram({ stack: "prod", config: { ...stackConfigBlock("prod"), "matrix:ccu": ccu, "matrix:federation": federation } });
                assert.deepStrictEqual(await policyViolations(run.resources), []);
            });
        }
    }
});
