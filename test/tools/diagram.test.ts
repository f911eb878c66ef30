// The picture of the plan: every server drawn, every pool's size and what runs
// there taken from the plan, and the committed pictures in docs/ current.
import * as assert from "assert";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { computePlan } from "../../sizing";
import { NODE_ROLES } from "../../sizing/types";
import { planDiagram } from "../../tools/diagram";
import { runPlan } from "../../tools/plan";

const DOCS = path.join(__dirname, "..", "..", "docs");

describe("plan diagram", () => {
    for (const ccu of [100, 20000]) {
        it(`docs/plan-${ccu}.svg is what \`npm run docs:diagrams\` draws today`, () => {
            const committed = fs.readFileSync(path.join(DOCS, `plan-${ccu}.svg`), "utf8");
            assert.ok(committed === planDiagram(computePlan({ ccu, federation: false })), `docs/plan-${ccu}.svg is stale: run npm run docs:diagrams`);
        });
    }

    it("draws one square per server, and each pool's count and size (literal figures of guide §3 at 20,000 CCU)", () => {
        const plan = computePlan({ ccu: 20000, federation: false });
        const svg = planDiagram(plan);
        assert.equal((svg.match(/<title>/g) ?? []).length, 53);
        for (const role of NODE_ROLES) assert.match(svg, new RegExp(`<g id="pool-${role}">`));
        assert.match(svg, /Application x 21</);
        assert.match(svg, /Database x 5</);
        assert.match(svg, /32 vCPU, 128 GiB, 4,000 GB NVME/);
        assert.match(svg, /LiveKit x 5 /);
        assert.match(svg, /UDP 50000-59999 \(LiveKit\)/);
        assert.match(svg, /synchrotron 18, generic 8,/);
    });

    it("escapes text and is a single well-formed svg element", () => {
        const svg = planDiagram(computePlan({ ccu: 1234, federation: true }));
        assert.ok(svg.startsWith("<svg ") && svg.trimEnd().endsWith("</svg>"));
        assert.equal((svg.match(/<g /g) ?? []).length, (svg.match(/<\/g>/g) ?? []).length);
        assert.doesNotMatch(svg.replace(/<[^>]*>/g, ""), /[<>]/, "no raw < or > in text");
        assert.match(svg, /between the 1,000 and 5,000 CCU tiers/);
    });

    it("npm run plan -- --diagram writes the file, and refuses a name that is not .svg", () => {
        const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), "diagram-")), "p.svg");
        assert.equal(runPlan(["--ccu", "5000", "--diagram", file]).code, 0);
        assert.equal(fs.readFileSync(file, "utf8"), planDiagram(computePlan({ ccu: 5000, federation: false })));
        const bad = runPlan(["--ccu", "5000", "--diagram", "p.png"]);
        assert.equal(bad.code, 2);
        assert.match(bad.stderr, /--diagram: got "p.png"; allowed: a file name ending in .svg/);
    });
});
