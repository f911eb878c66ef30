// `npm run images` against the program itself: every image and chart any
// registered resource names is in the listing, and with matrix:images.registry
// set, every one of them (and every chart) is under the registry and nothing
// names a public registry. The oracle here is deliberately broader than the
// tool's walker: any key that looks like an image field, in any resource.
import * as assert from "assert";
import { HELM_RELEASE_TYPE } from "../../components/images";
import { CHART_IMAGES, chartName } from "../../components/images/mirror";
import { runProgram, stackConfigBlock, unwrapSecrets, type ProgramRun } from "../../tools/mock-runtime";
import { imageInventory, renderInventory, runImages, type Inventory } from "../../tools/images";

const REG = "registry.internal.example:5000/mirror";
/** Public registries and chart repositories the program pulls from when no registry is set. */
const PUBLIC = /(quay\.io|ghcr\.io|docker\.io|registry\.k8s\.io|public\.ecr\.aws|helm\.cilium\.io|charts\.jetstack\.io|github\.io)/;

/** [path, value] of every string leaf whose key names an image, a repository or a registry. */
function imageFields(v: unknown, trail: string[] = []): [string, string][] {
    const key = trail[trail.length - 1] ?? "";
    // Field names only (a ConfigMap key such as "worker-synapse-media-repository-0.yaml" is a file, not a field).
    if (typeof v === "string") return /^[A-Za-z]+$/.test(key) && /image|repository|registry/i.test(key) && !/pull|policy|secret/i.test(key) ? [[trail.join("."), v]] : [];
    if (Array.isArray(v)) return v.flatMap((x, i) => imageFields(x, [...trail.slice(0, -1), `${key}[${i}]`]));
    if (typeof v === "object" && v !== null) return Object.entries(v).flatMap(([k, x]) => imageFields(x, [...trail, k]));
    return [];
}

const kubernetes = (run: ProgramRun) => run.resources.filter((r) => r.type.startsWith("kubernetes:") && r.custom);

function check(run: ProgramRun, inv: Inventory, registry: string | undefined): void {
    const refs = new Set(inv.images.map((i) => i.ref));
    const missing: string[] = [];
    for (const r of kubernetes(run)) {
        const inputs = unwrapSecrets(r.inputs);
        if (r.type === HELM_RELEASE_TYPE) {
            const chart = inv.charts.find((c) => c.chart === inputs.chart && c.version === inputs.version && c.repo === inputs.repositoryOpts?.repo);
            if (!chart) missing.push(`chart ${inputs.chart} ${inputs.version} (release ${r.name})`);
            assert.ok(CHART_IMAGES[chartName(inputs.chart)], `release ${r.name}: chart ${inputs.chart} has no CHART_IMAGES entry`);
            if (registry !== undefined) {
                assert.ok(String(inputs.chart).startsWith(`oci://${registry}/`), `release ${r.name}: chart ${inputs.chart} not under ${registry}`);
                assert.strictEqual(inputs.repositoryOpts, undefined, `release ${r.name} keeps repositoryOpts`);
            }
            for (const [p, value] of imageFields(inputs.values, ["values"])) {
                const leaf = p.split(".").pop()!;
                const listed = /registry/i.test(leaf)
                    ? inv.chartWide.some((c) => c.registry === value) || [...refs].some((ref) => ref.startsWith(`${value}/`))
                    : refs.has(value) || [...refs].some((ref) => ref.startsWith(`${value}:`));
                if (!listed) missing.push(`release ${r.name} ${p}=${value}`);
                if (registry !== undefined) assert.ok(value === registry || value.startsWith(`${registry}/`), `release ${r.name} ${p}=${value} not under ${registry}`);
            }
            continue;
        }
        for (const [p, value] of imageFields(inputs)) {
            if (!refs.has(value)) missing.push(`${r.type} ${r.name} ${p}=${value}`);
            if (registry !== undefined) assert.ok(value.startsWith(`${registry}/`), `${r.name} ${p}=${value} not under ${registry}`);
        }
    }
    assert.deepStrictEqual(missing, [], "registered but not listed");
    if (registry !== undefined) {
        for (const i of inv.images) assert.ok(i.ref.startsWith(`${registry}/`), `listed ${i.ref} not under ${registry}`);
        for (const c of inv.charts) assert.ok(c.chart.startsWith(`oci://${registry}/`) && c.repo === undefined, `listed chart ${c.chart} not under ${registry}`);
        for (const c of inv.chartWide) assert.strictEqual(c.registry, registry, `${c.chart} ${c.path}`);
        // Nothing any Kubernetes resource says (manifests, chart values) points at a public registry.
        const leaks = kubernetes(run).filter((r) => PUBLIC.test(JSON.stringify(unwrapSecrets(r.inputs)))).map((r) => `${r.type} ${r.name}: ${PUBLIC.exec(JSON.stringify(unwrapSecrets(r.inputs)))![0]}`);
        assert.deepStrictEqual(leaks, [], "resources naming a public registry");
    }
    // Sorted and de-duplicated.
    assert.deepStrictEqual(inv.images.map((i) => i.ref), [...refs].sort((a, b) => a.localeCompare(b)));
}

describe("npm run images lists what the program deploys", function () {
    this.timeout(300000);
    for (const stack of ["dev", "prod"]) {
        for (const registry of [undefined, REG]) {
            it(`${stack}, ${registry ? "with" : "without"} matrix:images.registry`, async () => {
                const config = { ...stackConfigBlock(stack), ...(registry ? { "matrix:images": { registry } } : {}) };
                const run = await runProgram({ stack, config });
                const inv = imageInventory(run, registry);
                check(run, inv, registry);
                assert.ok(inv.images.length > 20 && inv.charts.length >= 7, `${inv.images.length} images, ${inv.charts.length} charts`);
                if (!registry) {
                    // The listing is the mirror list: the program's own constants and the charts' images are in it.
                    for (const ref of ["quay.io/minio/minio:RELEASE.2025-09-07T16-13-09Z", "redis:7.0.15", "docker.io/envoyproxy/envoy", "quay.io/jetstack/cert-manager-controller"]) {
                        assert.ok(inv.images.some((i) => i.ref === ref), ref);
                    }
                } else {
                    assert.ok(inv.images.some((i) => i.ref === `${REG}/library/redis:7.0.15`));
                    assert.ok(renderInventory(inv).includes(`chart  oci://${REG}/charts/cert-manager  v1.17.2`));
                }
            });
        }
    }

    it("the check fails on an image the listing misses, or one outside the registry", async () => {
        const run = await runProgram({ stack: "dev", config: { ...stackConfigBlock("dev"), "matrix:images": { registry: REG } } });
        const inv = imageInventory(run, REG);
        const dropped = { ...inv, images: inv.images.filter((i) => !i.ref.includes("minio")) };
        assert.throws(() => check(run, dropped, REG), /registered but not listed/);
        const leaked = { ...run, resources: [...run.resources, { ...run.resources.find((r) => r.type === "kubernetes:apps/v1:Deployment")!, name: "leak", inputs: { kind: "Deployment", spec: { template: { spec: { containers: [{ image: "quay.io/x/y:1" }] } } } } }] };
        assert.throws(() => check(leaked, imageInventory(leaked, REG), REG), /not under/);
    });

    it("exits 2 on bad arguments and prints JSON with --json", async () => {
        for (const argv of [[], ["--stack"], ["--stack", "nope"], ["--stack", "dev", "--yaml"]]) {
            const r = await runImages(argv);
            assert.strictEqual(r.code, 2, argv.join(" "));
            assert.match(r.stderr, /usage: npm run images/);
        }
        const r = await runImages(["--stack", "dev", "--json"]);
        assert.strictEqual(r.code, 0);
        const inv = JSON.parse(r.stdout) as Inventory;
        assert.strictEqual(inv.stack, "dev");
        assert.ok(inv.images.length > 0 && inv.charts.length > 0);
    });
});
