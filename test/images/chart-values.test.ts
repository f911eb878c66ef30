// Every chart value path matrix:images.registry sets exists in that chart's
// values.yaml (../shared/reference/helm-values), holding the repository the
// mirror layout assumes: a renamed key would leave the chart pulling from the
// internet without any error. Absent reference data fails under CI.
import * as assert from "assert";
import * as fs from "fs";
import * as path from "path";
import { parse as parseYaml } from "yaml";
import { CHART_IMAGES } from "../../components/images/mirror";
import { requireReference } from "../helpers/reference";

/** Charts the reference data does not hold (their registry-wide key is documented in the README; the CRD chart has no image). */
const NOT_IN_REFERENCE = ["alloy", "kube-prometheus-stack", "loki", "prometheus-operator-crds"];

const at = (values: unknown, p: string): unknown =>
    p.split(".").reduce<unknown>((v, k) => (typeof v === "object" && v !== null && k in v ? (v as Record<string, unknown>)[k] : undefined), values);
const has = (values: unknown, p: string): boolean => {
    const parent = at(values, p.split(".").slice(0, -1).join(".") || ".");
    const leaf = p.split(".").pop()!;
    const container = p.includes(".") ? parent : values;
    return typeof container === "object" && container !== null && leaf in container;
};

describe("chart image values exist in the charts' values.yaml", function () {
    let dir = "";
    before(function () {
        dir = requireReference(this, "helm-values");
    });

    it("has reference values for every chart except the documented ones", function () {
        const present = Object.keys(CHART_IMAGES).filter((c) => fs.readdirSync(dir).some((d) => d.startsWith(`${c}-`)));
        assert.deepStrictEqual(Object.keys(CHART_IMAGES).filter((c) => !present.includes(c)).sort(), NOT_IN_REFERENCE);
    });

    for (const [chart, images] of Object.entries(CHART_IMAGES)) {
        if (NOT_IN_REFERENCE.includes(chart)) continue;
        it(`${chart}: ${images.map((i) => i.path).join(", ")}`, function () {
            const folder = fs.readdirSync(dir).find((d) => d.startsWith(`${chart}-`));
            assert.ok(folder, `no ${chart}-<version> folder in ${dir}`);
            const file = ["values.yaml", "values.tmpl.yaml"].map((f) => path.join(dir, folder, f)).find((f) => fs.existsSync(f));
            assert.ok(file, `no values.yaml in ${folder}`);
            const values = parseYaml(fs.readFileSync(file, "utf8"));
            for (const img of images) {
                switch (img.kind) {
                    case "repository":
                        assert.strictEqual(at(values, img.path), img.repository, `${folder} ${img.path}`);
                        break;
                    case "registry":
                        assert.strictEqual(at(values, `${img.path}.registry`), img.registry, `${folder} ${img.path}.registry`);
                        assert.strictEqual(at(values, `${img.path}.repository`), img.repository, `${folder} ${img.path}.repository`);
                        break;
                    case "image":
                    case "globalRegistry":
                        assert.ok(has(values, img.path), `${folder}: no ${img.path}`);
                        assert.strictEqual(typeof at(values, img.path), "string", `${folder} ${img.path}`);
                        break;
                }
            }
        });
    }

    it("catches a path the chart does not have", () => {
        const values = { image: { repository: "quay.io/x/y" } };
        assert.strictEqual(at(values, "webhook.image.repository"), undefined);
        assert.ok(!has(values, "global.imageRegistry"));
        assert.ok(has(values, "image.repository"));
    });
});
