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

    it("with matrix:images.registry set, every image and chart comes from it (and the policy sees the ones that do not)", async () => {
        const registry = "registry.internal.example:5000/mirror";
        const config = { "images-from-configured-registry": { registry } };
        const mirrored = await runProgram({ stack: "prod", config: { ...stackConfigBlock("prod"), "matrix:images": { registry } } });
        assert.deepStrictEqual(await policyViolations(mirrored.resources, config), []);
        // The same policy over the stack without the registry: every image and chart is reported.
        const upstream = await runProgram({ stack: "prod" });
        const violations = (await policyViolations(upstream.resources, config)).filter((v) => v.startsWith("images-from-configured-registry"));
        assert.ok(violations.some((v) => /chart .* is not under/.test(v)), violations.join("\n"));
        assert.ok(violations.some((v) => /image quay\.io\/minio\/minio/.test(v)), violations.join("\n"));
    });

    for (const ccu of [100, 1000, 5000, 10000, 20000]) {
        for (const federation of [false, true]) {
            it(`${ccu} CCU, federation ${federation ? "on" : "off"}, passes every policy`, async () => {
                const run = await runProgram({ stack: "prod", config: { ...stackConfigBlock("prod"), "matrix:ccu": ccu, "matrix:federation": federation } });
                assert.deepStrictEqual(await policyViolations(run.resources), []);
            });
        }
    }
});
