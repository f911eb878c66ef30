import * as assert from "assert";
import * as path from "path";
import { NAMESPACES } from "../components/contracts";
import { FAKE_SECRET_PREFIX, isSecret, runProgram, toRuntimeConfig, unwrapSecrets, type ProgramError, type RegisteredResource } from "../tools/mock-runtime";

const fixture = (name: string) => path.join(__dirname, "fixtures", `${name}.ts`);
/** The dev tier deployed into an existing cluster through a local context (the stack files build AWS clusters). */
const EXISTING_DEV = { ccu: 100, domain: "dev.matrix.example.org", cluster: { provider: "existing", context: "kind-matrix-dev" } };
const NS_TYPE = "kubernetes:core/v1:Namespace";

function only(resources: RegisteredResource[], type: string, name?: string): RegisteredResource {
    const hits = resources.filter((r) => r.type === type && (name === undefined || r.name === name));
    assert.strictEqual(hits.length, 1, `expected one ${type} ${name ?? ""}, got ${hits.map((r) => r.name).join(", ") || "none"}`);
    return hits[0];
}

describe("mock runtime", function () {
    this.timeout(120_000);

    it("registers the real program's resources, with their inputs, parents and providers (mocks set before import)", async () => {
        // Were the mocks installed after importing index.ts, the SDK would have no monitor and nothing below would be recorded.
        const run = await runProgram({ config: EXISTING_DEV });
        const stack = only(run.resources, "pulumi:pulumi:Stack");
        const cluster = only(run.resources, "matrix:cluster:Cluster");
        assert.strictEqual(cluster.parent, stack.urn);
        const provider = only(run.resources, "pulumi:providers:kubernetes");
        assert.strictEqual(provider.parent, cluster.urn);
        assert.strictEqual(provider.inputs.context, "kind-matrix-dev");
        const namespaces = run.resources.filter((r) => r.type === NS_TYPE);
        assert.deepStrictEqual(namespaces.map((n) => n.inputs.metadata.name).sort(), Object.values(NAMESPACES).sort());
        for (const ns of namespaces) {
            assert.strictEqual(ns.provider, `${provider.urn}::${provider.id}`, "namespaces must use the cluster's provider, not the ambient kubeconfig");
            assert.strictEqual(ns.parent, only(run.resources, "matrix:namespaces:Namespaces").urn);
            assert.strictEqual(ns.id, `${ns.name}-id`);
        }
        assert.strictEqual(run.outputs.plan.ccu, 100);
        assert.strictEqual(run.outputs.domain, "dev.matrix.example.org");
    });

    it("runs several stacks in one process without leaking state between them", async () => {
        const dev = await runProgram({ stack: "dev" });
        const prod = await runProgram({ stack: "prod" });
        const again = await runProgram({ stack: "dev" });
        assert.strictEqual(prod.outputs.plan.ccu, 20000);
        for (const run of [dev, prod]) {
            const types = new Set(run.resources.map((r) => r.type));
            for (const t of ["matrix:cluster:Cluster", "matrix:namespaces:Namespaces", "pulumi:providers:kubernetes", NS_TYPE]) assert.ok(types.has(t), `${run.stack} registers ${t}`);
        }
        assert.ok(prod.resources.every((r) => r.urn.startsWith("urn:pulumi:prod::matrix::")));
        assert.deepStrictEqual(again.resources.map((r) => r.urn), dev.resources.map((r) => r.urn));
        assert.deepStrictEqual(again.outputs, dev.outputs);
        assert.notDeepStrictEqual(prod.outputs.plan, dev.outputs.plan);
    });

    it("passes secure config values as secrets and exports the kubeconfig only as a secret", async () => {
        const kubeconfig = "apiVersion: v1\nkind: Config\n# token TOPSECRET";
        const run = await runProgram({ config: { ccu: 1000, domain: "m.example.org", cluster: { provider: "existing", kubeconfig: { secure: kubeconfig } } } });
        const provider = only(run.resources, "pulumi:providers:kubernetes");
        assert.ok(isSecret(provider.inputs.kubeconfig), "provider kubeconfig must be a secret input");
        assert.strictEqual(unwrapSecrets(provider.inputs.kubeconfig), kubeconfig);
        assert.ok(isSecret(run.outputs.kubeconfig), "the kubeconfig output must be secret");
        assert.strictEqual(unwrapSecrets(run.outputs.kubeconfig), kubeconfig);
        assert.ok(!isSecret(run.outputs.storageClasses) && !isSecret(run.outputs.plan), "only the kubeconfig is secret");
        const viaContext = await runProgram({ config: EXISTING_DEV });
        assert.ok(!("kubeconfig" in viaContext.outputs), "no kubeconfig output when deploying through a local context");
    });

    it("turns a stack file's config block into CLI-style strings and secret keys", () => {
        const { config, secretKeys } = toRuntimeConfig({ ccu: 100, "aws:region": "eu-west-1", cluster: { provider: "existing", kubeconfig: { secure: "x" } }, federation: false });
        assert.deepStrictEqual(config, {
            "matrix:ccu": "100",
            "aws:region": "eu-west-1",
            "matrix:cluster": JSON.stringify({ provider: "existing", kubeconfig: "x" }),
            "matrix:federation": "false",
        });
        assert.deepStrictEqual(secretKeys, ["matrix:cluster"]);
    });

    it("fails on invalid config before registering any of the program's resources", async () => {
        const err: ProgramError = await runProgram({ config: { ccu: 0, domain: "example.org", cluster: { provider: "existing", context: "x" }, sizng: {} } }).then(
            () => assert.fail("expected failure"),
            (e) => e,
        );
        assert.strictEqual(err.name, "ConfigError");
        assert.match(err.message, /matrix:ccu: out of range/);
        assert.match(err.message, /matrix:sizng: unknown key .*did you mean matrix:sizing\?/);
        assert.deepStrictEqual(err.registered?.map((r) => r.type), ["pulumi:pulumi:Stack"]);
    });

    it("reports sizing overrides that remove capacity as config errors", async () => {
        const err = await runProgram({ config: { ccu: 20000, domain: "example.org", cluster: { provider: "existing", context: "x" }, sizing: { postgresMaxConnections: 10 } } }).then(
            () => assert.fail("expected failure"),
            (e) => e,
        );
        assert.strictEqual(err.name, "ConfigError");
        assert.match(err.message, /matrix:sizing.postgresMaxConnections/);
    });

    it("builds provider aws, and reports an instance type below the plan before registering anything", async () => {
        const cluster = { provider: "aws", region: "eu-central-1", adminCidrs: ["203.0.113.0/24"] };
        const run = await runProgram({ config: { ccu: 100, domain: "example.org", cluster } });
        assert.strictEqual(run.resources.filter((r) => r.type === "aws:ec2/instance:Instance").length, 17);
        assert.ok(isSecret(run.outputs.kubeconfig), "the program-built kubeconfig is a secret output");
        const err = await runProgram({ config: { ccu: 20000, domain: "example.org", cluster: { ...cluster, instanceTypes: { database: "m7i.2xlarge" } } } }).then(
            () => assert.fail("expected failure"),
            (e) => e,
        );
        assert.strictEqual(err.name, "ConfigError");
        assert.match(err.message, /matrix:cluster\.instanceTypes\.database: "m7i\.2xlarge" \(8 vCPU \/ 32 GiB\) is smaller than the plan's 32 vCPU \/ 128 GiB/);
        assert.deepStrictEqual(err.registered.map((r: RegisteredResource) => r.type), ["pulumi:pulumi:Stack"]);
    });

    it("fakes random and tls outputs deterministically, as secrets where the provider marks them", async () => {
        const a = await runProgram({ program: fixture("secrets-program"), config: { "fixture:token": { secure: "t" } } });
        const b = await runProgram({ program: fixture("secrets-program"), config: { "fixture:token": { secure: "t" } } });
        assert.ok(isSecret(a.outputs.passwordOut) && isSecret(a.outputs.keyPem));
        const pw = unwrapSecrets(a.outputs.passwordOut);
        assert.ok(typeof pw === "string" && pw.startsWith(FAKE_SECRET_PREFIX));
        assert.match(unwrapSecrets(a.outputs.keyPem), /^-----BEGIN PRIVATE KEY-----\n/);
        assert.match(a.outputs.certPem, /^-----BEGIN CERTIFICATE-----\n/);
        assert.deepStrictEqual(a.outputs, b.outputs);
        const secretRes = only(a.resources, "kubernetes:core/v1:Secret");
        assert.ok(isSecret(secretRes.inputs.stringData), "a secret flowing into a Secret stays wrapped");
        assert.strictEqual(a.outputs.autonamedName, "autonamed", "an object left to autonaming gets its resource name");
        assert.strictEqual(a.outputs.releaseStatus, "deployed");
        assert.deepStrictEqual(a.outputs.zoneNames, ["eu-central-1a", "eu-central-1b", "eu-central-1c", "eu-central-1d", "eu-central-1e", "eu-central-1f"]);
    });

    it("throws on an invoke token the table does not know", async () => {
        await assert.rejects(runProgram({ program: fixture("unknown-invoke-program"), config: {} }), /no answer for invoke aws:index\/getBillingServiceAccount:getBillingServiceAccount/);
    });

    it("surfaces a failure that happens after the program body returned", async () => {
        await assert.rejects(runProgram({ program: fixture("failing-apply-program"), config: {} }), /computed input failed on purpose/);
        // And the runtime is usable again afterwards.
        const ok = await runProgram({ stack: "dev" });
        assert.ok(ok.resources.some((r) => r.type === NS_TYPE));
    });

    it("reports a throwing apply on a secret output that feeds a resource input", async function () {
        await assert.rejects(runProgram({ program: fixture("throwing-apply"), config: {} }), /refusing password of length/);
        const ok = await runProgram({ stack: "dev" });
        assert.ok(ok.resources.some((r) => r.type === NS_TYPE));
    });

    it("fails a run that never settles instead of hanging the test suite", async () => {
        await assert.rejects(runProgram({ program: fixture("never-settles"), config: {}, settleTimeoutMs: 3000 }), /did not settle within 3 s/);
        const ok = await runProgram({ stack: "dev" });
        assert.ok(ok.resources.some((r) => r.type === NS_TYPE));
    });
});
