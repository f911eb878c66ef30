// `npm run synth -- --stack <name> [--out <dir>]`: runs the program under
// mocks and writes what it would create, so a reviewer can read every
// Kubernetes object and cloud resource without a cloud account.
//   <out>/manifests/<namespace|_cluster>/<kind>/<name>.yaml  one Kubernetes object each
//   <out>/manifests/helm/<namespace>/<release>.yaml          Helm releases (chart, version, repo, values)
//   <out>/cloud.json                                         every other resource, {type, name, inputs}, sorted
//   <out>/plan.json                                          the sizing plan
// Secrets never reach these files: they are written as "[secret]".
import * as fs from "fs";
import * as path from "path";
import { stringify } from "yaml";
import { isConfigError } from "../config";
import { FAKE_SECRET_PREFIX, REPO_ROOT, runProgram, unwrapSecrets, type ProgramRun, type RegisteredResource, type RunOptions } from "./mock-runtime";

export const REDACTED = "[secret]";
const HELM_RELEASE = "kubernetes:helm.sh/v3:Release";

/**
 * Redaction: every secret-wrapped value becomes "[secret]". Where a whole
 * property is wrapped (Pulumi lifts secretness to the top-level input, e.g. a
 * Helm release's `values`), the property is unwrapped so it stays readable and
 * every string carrying a known secret is replaced instead: fake provider
 * outputs (random, tls), private keys, the config's secure values, and their
 * base64 forms.
 */
export function makeRedactor(knownSecrets: readonly string[]): { value: (v: unknown) => any; liftedProperty: (v: unknown) => any } {
    const known = knownSecrets.filter((s) => s.length >= 4);
    const looksSecret = (x: string): boolean => {
        if (x.includes(FAKE_SECRET_PREFIX) || /-----BEGIN [A-Z ]*PRIVATE KEY-----/.test(x) || known.some((k) => x.includes(k))) return true;
        if (/^[A-Za-z0-9+/=\s]{8,}$/.test(x)) {
            const decoded = Buffer.from(x, "base64").toString("utf8");
            return decoded.includes(FAKE_SECRET_PREFIX) || known.some((k) => decoded.includes(k));
        }
        return false;
    };
    const scrub = (x: unknown): any => {
        if (typeof x === "string") return looksSecret(x) ? REDACTED : x;
        if (Array.isArray(x)) return x.map(scrub);
        if (x && typeof x === "object") return Object.fromEntries(Object.entries(x).map(([k, y]) => [k, scrub(y)]));
        return x;
    };
    return {
        value: (v) => scrub(unwrapSecrets(v, () => REDACTED)),
        liftedProperty: (v) => scrub(unwrapSecrets(unwrapSecrets(v, (inner) => unwrapSecrets(inner, () => REDACTED)), () => REDACTED)),
    };
}

/** `kubernetes:apps/v1:Deployment` -> { apiVersion: "apps/v1", kind: "Deployment" }; undefined for non-objects. */
export function kubernetesKind(type: string): { apiVersion: string; kind: string } | undefined {
    const m = /^kubernetes:([^:]+)\/([^:/]+):([A-Za-z]+)$/.exec(type);
    if (!m || type === HELM_RELEASE || m[1] === "helm.sh" || m[1] === "yaml" || m[1] === "kustomize") return undefined;
    return { apiVersion: m[1] === "core" ? m[2] : `${m[1]}/${m[2]}`, kind: m[3] };
}

const TOP_ORDER = ["apiVersion", "kind", "metadata"];

/** Kinds without a namespace; anything else with no namespace set lands in "default", as kubectl would put it. */
const CLUSTER_SCOPED = new Set([
    "Namespace", "Node", "PersistentVolume", "StorageClass", "CSIDriver", "RuntimeClass", "PriorityClass",
    "ClusterRole", "ClusterRoleBinding", "CustomResourceDefinition", "APIService", "IngressClass", "GatewayClass",
    "ValidatingWebhookConfiguration", "MutatingWebhookConfiguration", "ValidatingAdmissionPolicy",
    "ValidatingAdmissionPolicyBinding", "ClusterIssuer", "VolumeSnapshotClass",
]);

type Redactor = ReturnType<typeof makeRedactor>;

function k8sObject(r: RegisteredResource, kind: { apiVersion: string; kind: string }, redact: Redactor): Record<string, unknown> {
    const inputs = { ...r.inputs };
    if (kind.kind === "Secret") {
        // Every value of a Secret is secret, whether or not the program wrapped it; the keys stay readable.
        for (const field of ["data", "stringData"]) {
            const d = unwrapSecrets(inputs[field]);
            if (d && typeof d === "object") inputs[field] = Object.fromEntries(Object.keys(d).map((k) => [k, REDACTED]));
            else if (d !== undefined) inputs[field] = REDACTED;
        }
    }
    const clean = redact.value(inputs) as Record<string, unknown>;
    const metadata = { ...((clean.metadata as Record<string, unknown>) ?? {}) };
    // Under mocks there is no autonaming; the provider would add a random suffix to the resource name.
    if (metadata.name === undefined) metadata.name = r.name;
    const ordered: Record<string, unknown> = { apiVersion: kind.apiVersion, kind: kind.kind, metadata };
    for (const key of Object.keys(clean).filter((k) => !TOP_ORDER.includes(k)).sort(specFirst)) ordered[key] = clean[key];
    return ordered;
}

function specFirst(a: string, b: string): number {
    const rank = (k: string) => (k === "spec" ? 0 : k === "data" || k === "stringData" ? 2 : 1);
    return rank(a) - rank(b) || a.localeCompare(b);
}

function safe(segment: string): string {
    return segment.replace(/[^A-Za-z0-9._-]/g, "_");
}

function helmDoc(r: RegisteredResource, redact: Redactor): Record<string, unknown> {
    const i = redact.value({ ...r.inputs, values: redact.liftedProperty(r.inputs.values) }) as Record<string, any>;
    return {
        release: i.name ?? r.name,
        namespace: i.namespace ?? "default",
        chart: i.chart,
        version: i.version,
        repo: i.repositoryOpts?.repo,
        values: i.values ?? {},
        ...Object.fromEntries(Object.entries(i).filter(([k]) => !["name", "namespace", "chart", "version", "repositoryOpts", "values"].includes(k))),
    };
}

export interface SynthResult {
    readonly manifests: string[];
    readonly helm: string[];
    readonly cloud: number;
}

export async function synth(stack: string, outDir: string, options: Omit<RunOptions, "stack"> = {}): Promise<SynthResult> {
    return synthRun(await runProgram({ ...options, stack }), outDir);
}

/** Writes one finished run's objects; lets gates that already ran the program (tests) render without running it again. */
export function synthRun(run: ProgramRun, outDir: string): SynthResult {
    const manifestsDir = path.join(outDir, "manifests");
    fs.rmSync(outDir, { recursive: true, force: true });
    fs.mkdirSync(manifestsDir, { recursive: true });
    const manifests: string[] = [];
    const helm: string[] = [];
    const cloud: { type: string; name: string; inputs: unknown }[] = [];
    const redact = makeRedactor(run.configSecrets);
    for (const r of run.resources) {
        const kind = kubernetesKind(r.type);
        if (kind) {
            const obj = k8sObject(r, kind, redact);
            const meta = obj.metadata as { name: string; namespace?: string };
            const file = path.join(manifestsDir, safe(meta.namespace ?? (CLUSTER_SCOPED.has(kind.kind) ? "_cluster" : "default")), safe(kind.kind.toLowerCase()), `${safe(meta.name)}.yaml`);
            fs.mkdirSync(path.dirname(file), { recursive: true });
            if (fs.existsSync(file)) throw new Error(`two objects map to ${path.relative(outDir, file)}`);
            fs.writeFileSync(file, stringify(obj, { sortMapEntries: false }));
            manifests.push(file);
        } else if (r.type === HELM_RELEASE) {
            const doc = helmDoc(r, redact);
            const file = path.join(manifestsDir, "helm", safe(String(doc.namespace)), `${safe(String(doc.release))}.yaml`);
            fs.mkdirSync(path.dirname(file), { recursive: true });
            fs.writeFileSync(file, stringify(doc));
            helm.push(file);
        } else if (r.type !== "pulumi:pulumi:Stack") {
            cloud.push({ type: r.type, name: r.name, inputs: redact.value(r.inputs) });
        }
    }
    cloud.sort((a, b) => a.type.localeCompare(b.type) || a.name.localeCompare(b.name));
    fs.writeFileSync(path.join(outDir, "cloud.json"), JSON.stringify(cloud, null, 2) + "\n");
    fs.writeFileSync(path.join(outDir, "plan.json"), JSON.stringify(redact.liftedProperty(run.outputs.plan), null, 2) + "\n");
    return { manifests, helm, cloud: cloud.length };
}

function parseArgs(argv: string[]): { stack: string; out: string; stackDir?: string } {
    let stack: string | undefined;
    let out: string | undefined;
    let stackDir: string | undefined;
    for (let i = 0; i < argv.length; i++) {
        const a = argv[i];
        if (a === "--stack") stack = argv[++i];
        else if (a.startsWith("--stack=")) stack = a.slice(8);
        else if (a === "--out") out = argv[++i];
        else if (a.startsWith("--out=")) out = a.slice(6);
        else if (a === "--stack-dir") stackDir = argv[++i];
        else throw new UsageError(`unknown argument ${a}`);
    }
    if (!stack) throw new UsageError("--stack <name> is required");
    return { stack, out: out ?? path.join(REPO_ROOT, "out", stack), ...(stackDir ? { stackDir } : {}) };
}

class UsageError extends Error {}

async function main(): Promise<number> {
    try {
        const { stack, out, stackDir } = parseArgs(process.argv.slice(2));
        const r = await synth(stack, out, stackDir ? { stackDir } : {});
        console.log(`${stack}: ${r.manifests.length} Kubernetes objects, ${r.helm.length} Helm releases, ${r.cloud} other resources -> ${out}`);
        return 0;
    } catch (e) {
        if (isConfigError(e)) {
            for (const p of e.problems) process.stderr.write(`${p}\n`);
            return 2;
        }
        if (e instanceof UsageError) {
            process.stderr.write(`${e.message}\nusage: npm run synth -- --stack <name> [--out <dir>] [--stack-dir <dir with Pulumi.<name>.yaml>]\n`);
            return 64;
        }
        process.stderr.write(`${e instanceof Error ? e.stack ?? e.message : String(e)}\n`);
        return 1;
    }
}

if (require.main === module) {
    main().then((code) => process.exit(code));
}
