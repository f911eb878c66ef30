// Runs the real index.ts under Pulumi mocks and records every resource it
// registers. Mocks are installed BEFORE the program is imported (otherwise the
// SDK talks to no monitor and resources are silently dropped), and the
// program's modules are reloaded on each run so several stacks can run in one
// mocha process.
import { createHash } from "crypto";
import * as fs from "fs";
import * as path from "path";
import * as pulumi from "@pulumi/pulumi";
import { parse as parseYaml } from "yaml";
import { MOCK_INVOKES } from "./mock-invokes";

export const REPO_ROOT = path.resolve(__dirname, "..");
export const PROJECT = "matrix";

/** Pulumi's marker key and value for a secret in serialized properties. */
const SIG_KEY = pulumi.runtime.specialSigKey;
const SECRET_SIG = pulumi.runtime.specialSecretSig;

/** Every fake secret the mock hands out starts with this, so tests can search output trees for leaks. */
export const FAKE_SECRET_PREFIX = "mocksecret-";

/** Default for RunOptions.settleTimeoutMs. */
const SETTLE_TIMEOUT_MS = 60000;

export interface RegisteredResource {
    readonly type: string;
    readonly name: string;
    /** Inputs as the engine receives them: secret values stay wrapped (see isSecret / unwrapSecrets). */
    readonly inputs: Record<string, any>;
    /** URN of the parent resource, if any (the stack for top-level resources). */
    readonly parent?: string;
    /** Provider reference `<provider urn>::<id>` for custom resources with an explicit provider. */
    readonly provider?: string;
    readonly urn: string;
    readonly id?: string;
    /** false for component resources. */
    readonly custom: boolean;
    /** URNs this resource waits for (explicit dependsOn, expanded through components to their custom resources, plus inputs' dependencies), as sent to the engine. */
    readonly dependencies: readonly string[];
}

export interface ProgramRun {
    readonly resources: RegisteredResource[];
    /** Stack outputs as the engine would store them (secret values wrapped). */
    readonly outputs: Record<string, any>;
    readonly stack: string;
    /** Plain values of the config's secure entries, so output writers can check nothing shows them. */
    readonly configSecrets: readonly string[];
}

export interface RunOptions {
    /** Stack whose Pulumi.<stack>.yaml supplies the config; default "dev". */
    readonly stack?: string;
    /** A config block in Pulumi.<stack>.yaml form, used instead of the file. Keys without a namespace get `matrix:`.
     * `{ secure: "text" }` is taken as the plain secret "text" and marks the key secret, as the CLI does after decrypting. */
    readonly config?: Record<string, unknown>;
    /** Directory holding Pulumi.<stack>.yaml; default the repository root. */
    readonly stackDir?: string;
    /** Entry module to run instead of index.ts (absolute path), e.g. a test fixture that builds one component. */
    readonly program?: string;
    /** Run as `pulumi preview` (unknown outputs stay unknown). Default false. */
    readonly preview?: boolean;
    /** How long the run may take to settle after the program returns before it fails as stuck. */
    readonly settleTimeoutMs?: number;
}

export function isSecret(v: unknown): v is { value: unknown } {
    return typeof v === "object" && v !== null && (v as Record<string, unknown>)[SIG_KEY] === SECRET_SIG;
}

/** Deep copy with every secret wrapper replaced by `replace(value)` (default: the plain value). */
export function unwrapSecrets(v: unknown, replace: (secret: unknown) => unknown = (s) => unwrapSecrets(s)): any {
    if (isSecret(v)) return replace(v.value);
    if (Array.isArray(v)) return v.map((x) => unwrapSecrets(x, replace));
    if (typeof v === "object" && v !== null) {
        return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, unwrapSecrets(x, replace)]));
    }
    return v;
}

export function secret(value: unknown): Record<string, unknown> {
    return { [SIG_KEY]: SECRET_SIG, value };
}

/** Reads the config block of Pulumi.<stack>.yaml. */
export function stackConfigBlock(stack: string, dir = REPO_ROOT): Record<string, unknown> {
    const file = path.join(dir, `Pulumi.${stack}.yaml`);
    if (!fs.existsSync(file)) throw new Error(`no stack file ${file} (stacks: ${listStacks(dir).join(", ") || "none"})`);
    const doc = parseYaml(fs.readFileSync(file, "utf8")) ?? {};
    return (doc.config ?? {}) as Record<string, unknown>;
}

export function listStacks(dir = REPO_ROOT): string[] {
    return fs
        .readdirSync(dir)
        .map((f) => /^Pulumi\.(.+)\.yaml$/.exec(f)?.[1])
        .filter((s): s is string => s !== undefined)
        .sort();
}

/** Turns a Pulumi.<stack>.yaml config block into what the CLI hands the program: string values and secret key names. */
export function toRuntimeConfig(block: Record<string, unknown>): { config: Record<string, string>; secretKeys: string[]; secretValues: string[] } {
    const config: Record<string, string> = {};
    const secretKeys: string[] = [];
    const secretValues: string[] = [];
    for (const [rawKey, rawValue] of Object.entries(block)) {
        const key = rawKey.includes(":") ? rawKey : `${PROJECT}:${rawKey}`;
        let hasSecret = false;
        const strip = (v: unknown): unknown => {
            if (typeof v === "object" && v !== null && !Array.isArray(v) && Object.keys(v).length === 1 && "secure" in v) {
                hasSecret = true;
                secretValues.push(String((v as { secure: unknown }).secure));
                return (v as { secure: unknown }).secure;
            }
            if (Array.isArray(v)) return v.map(strip);
            if (typeof v === "object" && v !== null) return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, strip(x)]));
            return v;
        };
        const value = strip(rawValue);
        config[key] = typeof value === "string" ? value : typeof value === "object" && value !== null ? JSON.stringify(value) : String(value);
        if (hasSecret) secretKeys.push(key);
    }
    return { config, secretKeys, secretValues };
}

function fakeSecret(kind: string, name: string): string {
    return `${FAKE_SECRET_PREFIX}${kind}-${createHash("sha256").update(`${kind}/${name}`).digest("hex").slice(0, 16)}`;
}

function pem(label: string, name: string): string {
    return `-----BEGIN ${label}-----\n${Buffer.from(fakeSecret(label, name)).toString("base64")}\n-----END ${label}-----\n`;
}

/** Outputs a real provider would compute, faked deterministically; secret ones wrapped as the engine would. */
export function fakeOutputs(type: string, name: string): Record<string, unknown> {
    const s = (kind: string) => secret(fakeSecret(kind, name));
    switch (type) {
        case "random:index/randomPassword:RandomPassword":
            return { result: s("password"), bcryptHash: s("bcrypt") };
        case "random:index/randomString:RandomString":
            return { result: s("string") };
        case "random:index/randomBytes:RandomBytes":
            return { base64: s("bytes-b64"), hex: s("bytes-hex") };
        case "random:index/randomId:RandomId": {
            const hex = createHash("sha256").update(name).digest("hex").slice(0, 16);
            return { hex, b64Std: Buffer.from(hex, "hex").toString("base64"), b64Url: Buffer.from(hex, "hex").toString("base64url"), dec: BigInt(`0x${hex}`).toString() };
        }
        case "random:index/randomUuid:RandomUuid": {
            const h = createHash("sha256").update(name).digest("hex");
            return { result: `${h.slice(0, 8)}-${h.slice(8, 12)}-4${h.slice(13, 16)}-8${h.slice(17, 20)}-${h.slice(20, 32)}` };
        }
        case "random:index/randomPet:RandomPet":
            return { id: `mock-pet-${name}` };
        case "random:index/randomInteger:RandomInteger":
            return {};
        case "tls:index/privateKey:PrivateKey":
            return {
                privateKeyPem: secret(pem("PRIVATE KEY", name)),
                privateKeyPemPkcs8: secret(pem("PRIVATE KEY", `${name}-pkcs8`)),
                privateKeyOpenssh: secret(pem("OPENSSH PRIVATE KEY", name)),
                publicKeyPem: pem("PUBLIC KEY", name),
                publicKeyOpenssh: `ssh-ed25519 ${Buffer.from(name).toString("base64")} mock`,
                publicKeyFingerprintSha256: `SHA256:${createHash("sha256").update(name).digest("base64")}`,
            };
        case "tls:index/selfSignedCert:SelfSignedCert":
        case "tls:index/locallySignedCert:LocallySignedCert":
            return { certPem: pem("CERTIFICATE", name) };
        case "tls:index/certRequest:CertRequest":
            return { certRequestPem: pem("CERTIFICATE REQUEST", name) };
        // AWS outputs the cluster wiring reads (the API endpoint goes into user data, ARNs into IAM policies).
        case "aws:lb/loadBalancer:LoadBalancer": {
            const h = createHash("sha256").update(name).digest("hex");
            return { dnsName: `${name}-${h.slice(0, 10)}.elb.eu-central-1.amazonaws.com`, arn: `arn:aws:elasticloadbalancing:eu-central-1:123456789012:loadbalancer/net/${name}/${h.slice(0, 16)}` };
        }
        case "aws:lb/targetGroup:TargetGroup":
            return { arn: `arn:aws:elasticloadbalancing:eu-central-1:123456789012:targetgroup/${name}/${createHash("sha256").update(name).digest("hex").slice(0, 16)}` };
        case "aws:ssm/parameter:Parameter":
            return { arn: `arn:aws:ssm:eu-central-1:123456789012:parameter${"/"}${name}` };
        // IAM and KMS ARNs end up in policy documents (key policy principals, resources).
        case "aws:iam/role:Role":
            return { arn: `arn:aws:iam::123456789012:role/${name}`, name };
        case "aws:kms/key:Key": {
            const h = createHash("sha256").update(name).digest("hex");
            return { arn: `arn:aws:kms:eu-central-1:123456789012:key/${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20, 32)}`, keyId: h.slice(0, 32) };
        }
        case "aws:ec2/eip:Eip": {
            const h = createHash("sha256").update(name).digest();
            return { publicIp: `198.51.100.${h[0] % 254 + 1}`, allocationId: `eipalloc-${h.toString("hex").slice(0, 17)}` };
        }
        default:
            return {};
    }
}

/**
 * What the Kubernetes provider adds on create: the object's name when the
 * program left it to autonaming (the mock uses the resource name, without the
 * provider's random suffix), and a Helm release's status.
 */
function kubernetesOutputs(type: string, name: string, state: Record<string, any>): void {
    if (type === "kubernetes:helm.sh/v3:Release") {
        state.status = { name: state.name ?? name, namespace: state.namespace ?? "default", chart: state.chart, version: state.version, status: "deployed", revision: 1 };
        if (state.name === undefined) state.name = name;
        return;
    }
    if (state.metadata && typeof state.metadata === "object" && state.metadata.name === undefined) {
        state.metadata = { ...state.metadata, name };
    } else if (state.metadata === undefined && state.kind !== undefined) {
        state.metadata = { name };
    }
}

const mocks: pulumi.runtime.Mocks = {
    newResource(args) {
        const extra = fakeOutputs(args.type, args.name);
        // random:RandomInteger's result must be a number within its inputs' range.
        if (args.type === "random:index/randomInteger:RandomInteger") extra.result = args.inputs.min ?? 0;
        const state: Record<string, any> = { ...args.inputs, ...extra };
        if (args.type.startsWith("kubernetes:") && args.custom !== false) kubernetesOutputs(args.type, args.name, state);
        return { id: `${args.name}-id`, state };
    },
    call(args) {
        const handler = MOCK_INVOKES[args.token];
        if (!handler) {
            const err = new Error(`mock runtime: no answer for invoke ${args.token}; add it to tools/mock-invokes.ts`);
            // The SDK rebuilds invoke errors from gRPC's `details` field only.
            throw Object.assign(err, { details: err.message });
        }
        return handler(args.inputs ?? {});
    },
};

/**
 * Each run reloads the program's modules (so config read at load time is the
 * run's), which makes ts-node transpile every file again: memoise its output by
 * file and source text, so a reload costs a lookup (the source is unchanged).
 */
function memoiseTranspilation(): void {
    const service = (process as any)[Symbol.for("ts-node.register.instance")];
    if (!service || service.__matrixMemoised) return;
    const compile = service.compile.bind(service);
    const memo = new Map<string, string>();
    service.compile = (code: string, fileName: string, lineOffset?: number) => {
        const key = `${fileName}\0${lineOffset ?? 0}\0${code}`;
        let out = memo.get(key);
        if (out === undefined) {
            out = compile(code, fileName, lineOffset) as string;
            memo.set(key, out);
        }
        return out;
    };
    service.__matrixMemoised = true;
}

/**
 * The SDK takes a stack trace for every promise and resource (`new Error().stack`,
 * no message); with ts-node's source-map-support installed each one was mapped
 * back to TypeScript, and formatting them at all cost most of a run. During a
 * run those message-less traces are empty (the mock needs no source positions);
 * errors with a message keep V8's own trace (positions in the transpiled
 * JavaScript, which keeps its lines).
 */
function plainStackTrace(error: Error, frames: NodeJS.CallSite[]): string {
    const head = error.message === "" && error.name === "Error" ? "" : `${error.name}: ${error.message}`;
    if (head === "") return "";
    return [head, ...frames.map((f) => `    at ${f.toString()}`)].join("\n");
}

function withPlainStackTraces<T>(body: () => Promise<T>): Promise<T> {
    const saved = Error.prepareStackTrace;
    Error.prepareStackTrace = plainStackTrace;
    return body().finally(() => {
        Error.prepareStackTrace = saved;
    });
}

function clearProgramModules(): void {
    const nodeModules = `${path.sep}node_modules${path.sep}`;
    const keep = new Set([__filename, path.join(__dirname, "mock-invokes.ts")]);
    for (const id of Object.keys(require.cache)) {
        if (id.startsWith(REPO_ROOT + path.sep) && !id.includes(nodeModules) && !keep.has(id)) delete require.cache[id];
    }
}

/** Error thrown when the program fails; carries what had been registered by then. */
export interface ProgramError extends Error {
    registered?: RegisteredResource[];
}

// One run at a time: the Pulumi runtime's state is process-global.
let queue: Promise<unknown> = Promise.resolve();

export function runProgram(options: RunOptions = {}): Promise<ProgramRun> {
    const run = queue.then(() => withPlainStackTraces(() => runOnce(options)));
    queue = run.catch(() => undefined);
    return run;
}

async function runOnce(options: RunOptions): Promise<ProgramRun> {
    const stack = options.stack ?? "dev";
    const block = options.config ?? stackConfigBlock(stack, options.stackDir);
    const { config, secretKeys, secretValues } = toRuntimeConfig(block);

    await pulumi.runtime.setMocks(mocks, PROJECT, stack, options.preview ?? false);
    pulumi.runtime.setAllConfig(config, secretKeys);
    const monitor = (pulumi.runtime as any).getMonitor() as any;

    const resources: RegisteredResource[] = [];
    const pending: Promise<void>[] = [];
    let stackOutputs: Record<string, any> = {};
    let stackUrn: string | undefined;
    const registerResource = monitor.registerResource.bind(monitor);
    monitor.registerResource = (req: any, callback: (err: any, resp: any) => void) => {
        const p = registerResource(req, (err: any, resp: any) => {
            if (!err) {
                const urn: string = resp.getUrn();
                if (req.getType() === "pulumi:pulumi:Stack") stackUrn = urn;
                resources.push({
                    type: req.getType(),
                    name: req.getName(),
                    inputs: pulumi.runtime.deserializeProperties(req.getObject()),
                    ...(req.getParent() ? { parent: req.getParent() } : {}),
                    ...(req.getProvider() ? { provider: req.getProvider() } : {}),
                    urn,
                    ...(resp.getId() ? { id: resp.getId() } : {}),
                    custom: req.getCustom(),
                    dependencies: req.getDependenciesList() as string[],
                });
            }
            callback(err, resp);
        });
        pending.push(p);
        return p;
    };
    const registerResourceOutputs = monitor.registerResourceOutputs.bind(monitor);
    monitor.registerResourceOutputs = (req: any, callback: (err: any, resp: any) => void) => {
        if (req.getUrn() === stackUrn && req.getOutputs()) stackOutputs = pulumi.runtime.deserializeProperties(req.getOutputs());
        return registerResourceOutputs(req, callback);
    };

    // The real language host turns unhandled rejections (a failed registration,
    // a throwing apply) into a failed update; do the same instead of losing them.
    const failures: unknown[] = [];
    const onRejection = (reason: unknown) => failures.push(reason);
    process.on("unhandledRejection", onRejection);

    memoiseTranspilation();
    clearProgramModules();
    let programError: unknown;
    try {
        await pulumi.runtime.runInPulumiStack(async () => {
            const program = require(options.program ?? path.join(REPO_ROOT, "index.ts"));
            return await programOutputs(program);
        });
    } catch (e) {
        programError = e;
    }
    // A resource whose input came from a throwing apply never finishes registering, so the SDK's waits
    // never return: bound them, and report what failed instead of hanging the test run.
    const settleTimeoutMs = options.settleTimeoutMs ?? SETTLE_TIMEOUT_MS;
    let timer: NodeJS.Timeout | undefined;
    const stalled = new Promise<"stalled">((resolve) => {
        timer = setTimeout(() => resolve("stalled"), settleTimeoutMs);
    });
    try {
        const settled = await Promise.race([
            (async () => {
                await pulumi.runtime.awaitStackRegistrations();
                await (pulumi.runtime as any).waitForRPCs();
                await Promise.allSettled(pending);
                // Let rejections of abandoned outputs reach the handler before it is removed.
                await new Promise((r) => setImmediate(r));
                return "settled" as const;
            })(),
            stalled,
        ]);
        if (settled === "stalled" && programError === undefined && failures.length === 0) {
            failures.push(new Error(`the program did not settle within ${settleTimeoutMs / 1000} s (a registration waits on an output that never resolves)`));
        }
    } finally {
        clearTimeout(timer);
        process.off("unhandledRejection", onRejection);
    }
    // The SDK re-raises a program's error through its resource promises; report each distinct failure once.
    const distinct = [programError, ...failures].filter(
        (f, i, all) => f !== undefined && all.findIndex((g) => g === f || String(g) === String(f)) === i,
    );
    if (distinct.length > 0) {
        const error = distinct[0];
        const err: ProgramError = error instanceof Error ? error : new Error(String(error));
        if (distinct.length > 1) err.message += `\n(and ${distinct.length - 1} more failure(s): ${distinct.slice(1).map(String).join("; ")})`;
        Object.defineProperty(err, "registered", { value: resources, enumerable: false });
        throw err;
    }
    return { resources, outputs: stackOutputs, stack, configSecrets: secretValues };
}

/** What Pulumi's Node.js host does with the entry module: a default export (called if a function) or the named exports. */
async function programOutputs(program: Record<string, unknown>): Promise<unknown> {
    if (Object.getOwnPropertyDescriptor(program, "default") !== undefined) {
        const named = Object.keys(program).filter((k) => k !== "default" && k !== "__esModule");
        if (named.length > 0) throw new Error(`entry module has a default export and named exports (${named.join(", ")}); Pulumi refuses both`);
        const main = program.default;
        return main instanceof Function ? await main() : main;
    }
    return program;
}

/** Finds resources by type token (and name, if given). */
export function byType(run: ProgramRun, type: string, name?: string): RegisteredResource[] {
    return run.resources.filter((r) => r.type === type && (name === undefined || r.name === name));
}

/**
 * Every resource a resource waits for before the engine creates it: its own
 * dependencies and, since the SDK registers a child only once its parent is
 * registered (and a component only after its dependencies exist), its
 * parents' dependencies, transitively.
 */
export function transitiveDependencies(run: ProgramRun, urn: string): Set<string> {
    const byUrn = new Map(run.resources.map((r) => [r.urn, r]));
    const seen = new Set<string>();
    const stack = [urn];
    while (stack.length > 0) {
        const r = byUrn.get(stack.pop()!);
        if (!r) continue;
        for (const next of [...r.dependencies, ...(r.parent ? [r.parent] : [])]) {
            if (!seen.has(next)) {
                seen.add(next);
                stack.push(next);
            }
        }
    }
    seen.delete(urn);
    return seen;
}
