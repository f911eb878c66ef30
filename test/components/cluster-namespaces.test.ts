import * as assert from "assert";
import { NAMESPACES } from "../../components/contracts";
import { POD_SECURITY_EXCEPTIONS, podSecurityLabels, type NamespaceKey } from "../../components/namespaces";
import { runProgram } from "../../tools/mock-runtime";

const ENFORCE = "pod-security.kubernetes.io/enforce";

describe("cluster and namespaces components", function () {
    this.timeout(120_000);

    it("enforce restricted everywhere except the documented exceptions, and audit/warn restricted everywhere", async () => {
        const run = await runProgram({ stack: "prod" });
        const byName = new Map(run.resources.filter((r) => r.type === "kubernetes:core/v1:Namespace").map((r) => [r.inputs.metadata.name, r]));
        for (const key of Object.keys(NAMESPACES) as NamespaceKey[]) {
            const ns = byName.get(NAMESPACES[key]);
            assert.ok(ns, `namespace ${NAMESPACES[key]} registered`);
            const labels = ns.inputs.metadata.labels;
            const exception = POD_SECURITY_EXCEPTIONS[key];
            // Written out: only the call servers' media relays, node-exporter and the LI proxy's host port need host access.
            const enforced: Partial<Record<NamespaceKey, string>> = { calls: "privileged", monitoring: "privileged", liProxy: "privileged" };
            assert.strictEqual(labels[ENFORCE], enforced[key] ?? "restricted", key);
            assert.strictEqual(labels["pod-security.kubernetes.io/audit"], "restricted");
            assert.strictEqual(labels["pod-security.kubernetes.io/warn"], "restricted");
            if (exception) assert.strictEqual(ns.inputs.metadata.annotations["matrix-scale.io/pod-security-exception"], exception.reason);
        }
        // Exceptions stay few: the data layer, Synapse and LI run restricted; only the LI proxy, alone in its
        // namespace, binds the LI server's host port.
        assert.deepStrictEqual(Object.keys(POD_SECURITY_EXCEPTIONS).sort(), ["calls", "liProxy", "monitoring"]);
        assert.strictEqual(podSecurityLabels("matrix")[ENFORCE], "restricted");
        assert.strictEqual(podSecurityLabels("li")[ENFORCE], "restricted");
    });

    it("carries the existing cluster's StorageClass names to the stack outputs", async () => {
        const run = await runProgram({
            config: { ccu: 5000, domain: "chat.example.org", cluster: { provider: "existing", context: "prod", storageClasses: { nvme: "local-nvme" } } },
        });
        assert.deepStrictEqual(run.outputs.storageClasses, { ssd: "matrix-ssd", nvme: "local-nvme", hdd: "matrix-hdd" });
        assert.strictEqual(run.outputs.plan.ccu, 5000);
    });

    it("runs as a preview too (outputs known at preview time still show)", async () => {
        const run = await runProgram({ stack: "dev", preview: true });
        assert.strictEqual(run.outputs.plan.ccu, 100);
        assert.strictEqual(run.resources.filter((r) => r.type === "kubernetes:core/v1:Namespace").length, Object.keys(NAMESPACES).length);
    });
});
