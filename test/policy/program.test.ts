// The policy pack over what the real program registers: every stack file and
// every tier must pass it with no violation. Any component added later is
// checked here with no extra work.
import * as assert from "assert";
import type { ReportViolation } from "@pulumi/policy";
import { RESOURCE_POLICIES, STACK_POLICIES } from "../../policy/policies";
import { listStacks, ProgramRun, runProgram, stackConfigBlock, unwrapSecrets } from "../../tools/mock-runtime";

async function policyViolations(run: ProgramRun): Promise<string[]> {
    const found: string[] = [];
    const resources = run.resources.map((r) => ({ type: r.type, name: r.name, urn: r.urn, props: unwrapSecrets(r.inputs) }));
    for (const policy of RESOURCE_POLICIES) {
        const validators = Array.isArray(policy.validateResource) ? policy.validateResource : [policy.validateResource!];
        for (const r of resources) {
            const report: ReportViolation = (message) => found.push(`${policy.name}: ${r.type} ${r.name}: ${message}`);
            for (const validate of validators) await validate({ ...r, stackTags: new Map(), notApplicable: () => undefined as never } as never, report);
        }
    }
    for (const policy of STACK_POLICIES) {
        await policy.validateStack({ resources: resources as never, stackTags: new Map() } as never, (message) => found.push(`${policy.name}: ${message}`));
    }
    return found;
}

describe("policy pack over the real program", function () {
    this.timeout(600000);

    for (const stack of listStacks()) {
        it(`stack ${stack} passes every policy`, async () => {
            const run = await runProgram({ stack });
            assert.ok(run.resources.length > 0, "the program registered nothing: the check would be empty");
            assert.deepStrictEqual(await policyViolations(run), []);
        });
    }

    for (const ccu of [100, 1000, 5000, 10000, 20000]) {
        for (const federation of [false, true]) {
            it(`${ccu} CCU, federation ${federation ? "on" : "off"}, passes every policy`, async () => {
                const run = await runProgram({ stack: "prod", config: { ...stackConfigBlock("prod"), "matrix:ccu": ccu, "matrix:federation": federation } });
                assert.deepStrictEqual(await policyViolations(run), []);
            });
        }
    }
});
