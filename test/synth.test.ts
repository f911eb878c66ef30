import * as assert from "assert";
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { parse as parseYaml } from "yaml";
import { kubernetesKind, synth } from "../tools/synth";
import { REPO_ROOT } from "../tools/mock-runtime";

function filesUnder(dir: string): string[] {
    return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? filesUnder(path.join(dir, e.name)) : [path.join(dir, e.name)]));
}

function tmpDir(): string {
    return fs.mkdtempSync(path.join(os.tmpdir(), "synth-test-"));
}

describe("synth", function () {
    this.timeout(180_000);
    const dirs: string[] = [];
    after(() => dirs.forEach((d) => fs.rmSync(d, { recursive: true, force: true })));

    it("maps resource types to apiVersion and kind", () => {
        assert.deepStrictEqual(kubernetesKind("kubernetes:core/v1:Namespace"), { apiVersion: "v1", kind: "Namespace" });
        assert.deepStrictEqual(kubernetesKind("kubernetes:rbac.authorization.k8s.io/v1:Role"), { apiVersion: "rbac.authorization.k8s.io/v1", kind: "Role" });
        assert.strictEqual(kubernetesKind("kubernetes:helm.sh/v3:Release"), undefined);
        assert.strictEqual(kubernetesKind("pulumi:providers:kubernetes"), undefined);
    });

    it("writes the dev stack's manifests, cloud.json and plan.json", async () => {
        const out = tmpDir();
        dirs.push(out);
        const r = await synth("dev", out);
        // Five namespaces, the three StorageClasses of the AWS cluster, a local
        // PersistentVolume per database disk (3) and MinIO drive (4 servers x 2),
        // and the components' objects (the data layer's, ...).
        assert.ok(r.manifests.length > 8 + 3 + 4 * 2, `${r.manifests.length} manifests`);
        const pvDir = path.join(out, "manifests", "_cluster", "persistentvolume");
        assert.deepStrictEqual(fs.readdirSync(pvDir).length, 3 + 4 * 2, "one PersistentVolume per database disk and MinIO drive");
        assert.ok(fs.existsSync(path.join(pvDir, "storage-3-disk-1.yaml")), "storage-3-disk-1 PV manifest");
        const nsFile = path.join(out, "manifests", "_cluster", "namespace", "matrix.yaml");
        const text = fs.readFileSync(nsFile, "utf8");
        assert.deepStrictEqual(Object.keys(parseYaml(text)), ["apiVersion", "kind", "metadata"]);
        assert.ok(text.startsWith("apiVersion: v1\nkind: Namespace\nmetadata:\n"), text);
        assert.strictEqual(parseYaml(text).metadata.labels["pod-security.kubernetes.io/enforce"], "restricted");
        const cloud = JSON.parse(fs.readFileSync(path.join(out, "cloud.json"), "utf8"));
        const keys = cloud.map((c: { type: string; name: string }) => `${c.type} ${c.name}`);
        assert.deepStrictEqual(keys, [...keys].sort((a: string, b: string) => a.localeCompare(b)));
        assert.ok(keys.includes("pulumi:providers:kubernetes cluster-k8s"));
        assert.strictEqual(keys.filter((k: string) => k.startsWith("aws:ec2/instance:Instance ")).length, 17, "the guide's 17 servers at 100 CCU");
        assert.ok(!keys.some((k: string) => k.startsWith("kubernetes:core/")), "Kubernetes objects belong in manifests/, not cloud.json");
        const plan = JSON.parse(fs.readFileSync(path.join(out, "plan.json"), "utf8"));
        assert.strictEqual(plan.ccu, 100);
        assert.ok(plan.synapse && plan.postgres, "plan.json holds the whole plan");
    });

    it("redacts every secret: wrapped values, Secret data, Helm values and random/tls outputs", async () => {
        const out = tmpDir();
        dirs.push(out);
        const r = await synth("fixture", out, { program: path.join(__dirname, "fixtures", "secrets-program.ts"), config: { "fixture:token": { secure: "plan-secret-value" } } });
        assert.strictEqual(r.helm.length, 1);
        const all = filesUnder(out).map((f) => [f, fs.readFileSync(f, "utf8")] as const);
        const leaks = ["mocksecret-", "BEGIN PRIVATE KEY", "plan-secret-value", Buffer.from("not-wrapped-but-still-secret").toString("base64")];
        for (const [file, text] of all) {
            for (const leak of leaks) assert.ok(!text.includes(leak), `${path.relative(out, file)} leaks ${leak}`);
        }
        const secret = parseYaml(fs.readFileSync(path.join(out, "manifests", "matrix", "secret", "db-credentials.yaml"), "utf8"));
        assert.deepStrictEqual(secret.data, { "plain-by-mistake": "[secret]" });
        assert.deepStrictEqual(secret.stringData, { password: "[secret]", username: "[secret]" });
        const helm = parseYaml(fs.readFileSync(path.join(out, "manifests", "helm", "matrix", "cache.yaml"), "utf8"));
        assert.deepStrictEqual(
            { chart: helm.chart, version: helm.version, repo: helm.repo, namespace: helm.namespace, replicas: helm.values.replicas, password: helm.values.auth.password },
            { chart: "example", version: "1.2.3", repo: "https://charts.example.org", namespace: "matrix", replicas: 2, password: "[secret]" },
        );
        assert.ok(fs.existsSync(path.join(out, "manifests", "default", "configmap", "autonamed.yaml")), "a namespaced object without namespace goes to default/");
        // A public certificate is not a secret and stays readable.
        const ca = parseYaml(fs.readFileSync(path.join(out, "manifests", "matrix", "configmap", "ca.yaml"), "utf8"));
        assert.match(ca.data["ca.crt"], /BEGIN CERTIFICATE/);
        assert.deepStrictEqual(JSON.parse(fs.readFileSync(path.join(out, "plan.json"), "utf8")), { fixture: true, fromConfig: "[secret]", generated: "[secret]" });
    });

    it("redacts the kubeconfig of an existing cluster", async () => {
        const out = tmpDir();
        dirs.push(out);
        await synth("dev", out, { config: { ccu: 100, domain: "a.example.org", cluster: { provider: "existing", kubeconfig: { secure: "kubeconfig-TOPSECRET" } } } });
        for (const f of filesUnder(out)) assert.ok(!fs.readFileSync(f, "utf8").includes("TOPSECRET"), f);
        const cloud = JSON.parse(fs.readFileSync(path.join(out, "cloud.json"), "utf8"));
        assert.strictEqual(cloud.find((c: { type: string }) => c.type === "pulumi:providers:kubernetes").inputs.kubeconfig, "[secret]");
    });

    it("exits 2 on invalid stack config, one problem per stderr line, writing nothing", () => {
        const stackDir = tmpDir();
        const out = path.join(tmpDir(), "out");
        dirs.push(stackDir, path.dirname(out));
        fs.writeFileSync(
            path.join(stackDir, "Pulumi.typo.yaml"),
            "config:\n  matrix:ccu: 30000\n  matrix:domain: example.org\n  matrix:federaton: true\n  matrix:cluster:\n    provider: existing\n    contxt: kind\n",
        );
        const res = spawnSync(process.execPath, [require.resolve("ts-node/dist/bin.js"), "--transpile-only", path.join(REPO_ROOT, "tools", "synth.ts"), "--stack", "typo", "--stack-dir", stackDir, "--out", out], {
            cwd: REPO_ROOT,
            encoding: "utf8",
            timeout: 120_000,
        });
        assert.strictEqual(res.status, 2, `status ${res.status}\nstdout: ${res.stdout}\nstderr: ${res.stderr}`);
        const lines = res.stderr.trim().split("\n");
        assert.ok(lines.some((l) => l.startsWith("matrix:ccu: out of range")), res.stderr);
        assert.ok(lines.some((l) => l.startsWith("matrix:federaton: unknown key") && l.includes("did you mean matrix:federation?")), res.stderr);
        assert.ok(lines.some((l) => l.startsWith("matrix:cluster.contxt: unknown key") && l.includes("did you mean matrix:cluster.context?")), res.stderr);
        assert.ok(!fs.existsSync(out), "no output for an invalid config");
    });
});
