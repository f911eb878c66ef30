// npm run images -- --stack <name> [--json]
// Renders the stack under the mock runtime and lists every container image and
// Helm chart it deploys, read from the resources the program registers (never
// a hand-kept list): what to copy into the registry of matrix:images.registry,
// or, with it set, what the cluster will pull from there. Exit 0, or 2 on bad
// arguments.
import { CHART_IMAGES, chartName, IMAGE_KEYS, REPOSITORY_KEYS, type ChartImage } from "../components/images/mirror";
import { HELM_RELEASE_TYPE } from "../components/images";
import { listStacks, runProgram, stackConfigBlock, unwrapSecrets, type ProgramRun } from "./mock-runtime";

export interface ImageEntry {
    /** A full reference (tag and/or digest), or a bare repository when the tag is chosen elsewhere (see `tag`). */
    readonly ref: string;
    /** "pinned": the program names the tag or digest; otherwise who picks the tag. */
    readonly tag: "pinned" | string;
    /** Which resources (kind/name) or chart value paths name it. */
    readonly from: readonly string[];
}

export interface ChartEntry {
    readonly chart: string;
    readonly version: string;
    /** Classic repository; absent for an oci:// chart. */
    readonly repo?: string;
    readonly releases: readonly string[];
}

/** A chart whose images follow one registry-wide value: every image its templates name. */
export interface ChartWideEntry {
    readonly chart: string;
    readonly version: string;
    /** The value path, and what it is set to (absent: the chart's own registries). */
    readonly path: string;
    readonly registry?: string;
}

export interface Inventory {
    readonly stack: string;
    readonly registry?: string;
    readonly images: readonly ImageEntry[];
    readonly charts: readonly ChartEntry[];
    readonly chartWide: readonly ChartWideEntry[];
}

const at = (values: unknown, path: string): unknown =>
    path.split(".").reduce<unknown>((v, k) => (typeof v === "object" && v !== null ? (v as Record<string, unknown>)[k] : undefined), values);

/** The image a chart will pull for one CHART_IMAGES entry: the value the release sets, else the chart's default. */
function chartImage(img: Exclude<ChartImage, { kind: "globalRegistry" }>, values: unknown, version: string): { ref: string; tag: string } {
    const chartDefault = "the chart's default";
    switch (img.kind) {
        case "repository": {
            const set = at(values, img.path);
            const repository = typeof set === "string" ? set : img.repository;
            // A release that pins the tag next to the repository (the cloud controller's image.tag).
            const tag = img.path.endsWith(".repository") ? at(values, img.path.replace(/repository$/, "tag")) : undefined;
            return typeof tag === "string" && tag !== "" ? { ref: `${repository}:${tag}`, tag: "pinned" } : { ref: repository, tag: chartDefault };
        }
        case "registry": {
            const set = at(values, `${img.path}.registry`);
            return { ref: `${typeof set === "string" ? set : img.registry}/${img.repository}`, tag: chartDefault };
        }
        case "image": {
            const set = at(values, img.path);
            return { ref: typeof set === "string" ? set : img.image(version), tag: "pinned" };
        }
    }
}

/** Every image and chart the run registered, de-duplicated and sorted. */
export function imageInventory(run: ProgramRun, registry?: string): Inventory {
    const images = new Map<string, { tag: string; from: Set<string> }>();
    const addImage = (ref: string, tag: string, from: string) => {
        const e = images.get(ref) ?? { tag, from: new Set<string>() };
        e.from.add(from);
        images.set(ref, e);
    };
    const charts = new Map<string, { chart: string; version: string; repo?: string; releases: Set<string> }>();
    const chartWide = new Map<string, ChartWideEntry>();

    for (const r of run.resources) {
        if (!r.type.startsWith("kubernetes:") || !r.custom) continue;
        const inputs = unwrapSecrets(r.inputs);
        if (r.type === HELM_RELEASE_TYPE) {
            const chart = String(inputs.chart);
            const version = String(inputs.version);
            const repo = typeof inputs.repositoryOpts?.repo === "string" ? (inputs.repositoryOpts.repo as string) : undefined;
            const key = JSON.stringify([chart, version, repo]);
            const c = charts.get(key) ?? { chart, version, ...(repo !== undefined ? { repo } : {}), releases: new Set<string>() };
            c.releases.add(r.name);
            charts.set(key, c);
            const name = chartName(chart);
            for (const img of CHART_IMAGES[name] ?? []) {
                if (img.kind === "globalRegistry") {
                    const set = at(inputs.values, img.path);
                    chartWide.set(`${name}\0${version}\0${img.path}`, { chart: name, version, path: img.path, ...(typeof set === "string" && set !== "" ? { registry: set } : {}) });
                    continue;
                }
                const { ref, tag } = chartImage(img, inputs.values, version);
                addImage(ref, tag === "pinned" ? tag : `${tag} (${name} ${version})`, `chart ${name} ${img.path}`);
            }
            continue;
        }
        const where = `${inputs.kind ?? r.type.split(":").pop()}/${r.name}`;
        const walk = (v: unknown, key?: string): void => {
            if (typeof v === "string") {
                if (key !== undefined && IMAGE_KEYS.has(key)) addImage(v, "pinned", where);
                else if (key !== undefined && REPOSITORY_KEYS.has(key)) addImage(v, "the controller's default", where);
            } else if (Array.isArray(v)) v.forEach((x) => walk(x));
            else if (typeof v === "object" && v !== null) for (const [k, x] of Object.entries(v)) walk(x, k);
        };
        walk(inputs);
    }
    return {
        stack: run.stack,
        ...(registry !== undefined ? { registry } : {}),
        images: [...images.entries()].sort(([a], [b]) => a.localeCompare(b)).map(([ref, e]) => ({ ref, tag: e.tag, from: [...e.from].sort() })),
        charts: [...charts.values()]
            .sort((a, b) => a.chart.localeCompare(b.chart) || a.version.localeCompare(b.version))
            .map((c) => ({ chart: c.chart, version: c.version, ...(c.repo !== undefined ? { repo: c.repo } : {}), releases: [...c.releases].sort() })),
        chartWide: [...chartWide.values()].sort((a, b) => a.chart.localeCompare(b.chart)),
    };
}

export function renderInventory(inv: Inventory): string {
    const L: string[] = [
        `# ${inv.stack}: ${inv.registry ? `pulled from ${inv.registry} (matrix:images.registry)` : "pulled from the internet (matrix:images.registry unset); mirror these for an air-gapped install"}`,
        `# images (${inv.images.length})`,
        ...inv.images.map((i) => `image  ${i.ref}${i.tag === "pinned" ? "" : `  (tag: ${i.tag})`}`),
        `# charts (${inv.charts.length})`,
        ...inv.charts.map((c) => `chart  ${c.chart}  ${c.version}${c.repo ? `  ${c.repo}` : ""}`),
        `# charts whose every image (as \`helm template\` of that version names them) follows one registry value`,
        ...inv.chartWide.map((c) => `chart-images  ${c.chart}  ${c.version}  ${c.path}${c.registry ? `=${c.registry}` : " (unset: the chart's registries)"}`),
    ];
    return L.join("\n") + "\n";
}

const USAGE = "usage: npm run images -- --stack <name> [--json]";

export async function runImages(argv: readonly string[]): Promise<{ code: number; stdout: string; stderr: string }> {
    let stack: string | undefined;
    let json = false;
    const problems: string[] = [];
    for (let i = 0; i < argv.length; i++) {
        if (argv[i] === "--stack" && argv[i + 1] !== undefined && !argv[i + 1].startsWith("--")) stack = argv[++i];
        else if (argv[i] === "--json") json = true;
        else problems.push(`${argv[i]}: unknown or incomplete argument; allowed: --stack <${listStacks().join("|")}>, --json`);
    }
    if (stack === undefined) problems.push(`--stack is required; allowed: ${listStacks().join(", ")}`);
    else if (!listStacks().includes(stack)) problems.push(`--stack: got ${JSON.stringify(stack)}; allowed: ${listStacks().join(", ")}`);
    if (problems.length > 0) return { code: 2, stdout: "", stderr: `${problems.join("\n")}\n${USAGE}\n` };
    const config = stackConfigBlock(stack!);
    const inv = await inventoryOf(stack!, config);
    return { code: 0, stdout: json ? JSON.stringify(inv, null, 2) + "\n" : renderInventory(inv), stderr: "" };
}

/** Runs the program for a stack config and lists what it deploys. */
export async function inventoryOf(stack: string, config: Record<string, unknown>): Promise<Inventory> {
    const run = await runProgram({ stack, config });
    const images = (config["matrix:images"] ?? config["images"]) as { registry?: unknown } | undefined;
    return imageInventory(run, typeof images?.registry === "string" ? images.registry : undefined);
}

if (require.main === module) {
    runImages(process.argv.slice(2)).then(
        (r) => {
            process.stdout.write(r.stdout);
            process.stderr.write(r.stderr);
            process.exit(r.code);
        },
        (e) => {
            console.error(e instanceof Error ? e.stack : e);
            process.exit(1);
        },
    );
}
