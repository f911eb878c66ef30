// The LI instance as the real program registers it under mocks (dev stack,
// provider aws, with a key_vault image): placement on the LI server only, the
// claims on the ssd class, default-deny policies, the proxy's host port and
// admin networks against the AWS security group (both sides of the agreement),
// the CronJob running the generated script against the replica service, and
// the config checks.
import * as assert from "node:assert/strict";
import { KEY_VAULT_SERVICE, LI_ADMIN_HOST_PORT, NAMESPACES, ROLE_LABEL, ROLE_VALUES } from "../../components/contracts";
import { REPLICA_SERVICE } from "../../components/data/postgres/manifests";
import { maxIntervalSeconds } from "../../components/li/cron";
import { LI_NAMES } from "../../components/li/manifests";
import { LI_PROXY_PORT } from "../../components/li/proxy";
import { liSizing } from "../../components/li/sizing";
import { syncScript } from "../../components/li/sync-script";
import { LI_DEFAULTS } from "../../config/sections/li";
import { computePlan } from "../../sizing";
import { policyViolations } from "../helpers/policy";
import { runProgram, stackConfigBlock, unwrapSecrets, type ProgramRun, type RegisteredResource } from "../../tools/mock-runtime";

const LI_NS = [NAMESPACES.li, NAMESPACES.liProxy];
const KEY_VAULT_IMAGE = "registry.example.org/key-vault:1.4.2";
const inLi = (r: RegisteredResource) => LI_NS.includes(r.inputs?.metadata?.namespace);
const podSpecs = (run: ProgramRun) =>
    run.resources
        .filter(inLi)
        .flatMap((r) => {
            if (["kubernetes:apps/v1:Deployment", "kubernetes:apps/v1:StatefulSet"].includes(r.type)) return [[r, r.inputs.spec.template.spec] as const];
            if (r.type === "kubernetes:batch/v1:CronJob") return [[r, r.inputs.spec.jobTemplate.spec.template.spec] as const];
            return [];
        });

describe("LI instance under the real program (dev stack, provider aws)", function () {
    this.timeout(300_000);
    let run: ProgramRun;
    const plan = computePlan({ ccu: 100, federation: false });
    const dev = stackConfigBlock("dev") as Record<string, any>;

    before(async () => {
        run = await runProgram({ config: { ...dev, "matrix:li": { keyVault: { image: KEY_VAULT_IMAGE } } } });
    });

    const one = (type: string, name: string, ns: string = NAMESPACES.li) => {
        const hits = run.resources.filter((r) => r.type === type && r.inputs?.metadata?.name === name && r.inputs?.metadata?.namespace === ns);
        assert.equal(hits.length, 1, `${type} ${ns}/${name}`);
        return hits[0]!;
    };

    it("registers one matrix:li:LawfulIntercept and runs every LI pod on the LI server only, unprivileged", () => {
        assert.equal(run.resources.filter((r) => r.type === "matrix:li:LawfulIntercept").length, 1);
        const pods = podSpecs(run);
        assert.ok(pods.length >= 8, `LI workloads: ${pods.length}`);
        for (const [r, spec] of pods) {
            assert.deepEqual(spec.nodeSelector, { [ROLE_LABEL]: ROLE_VALUES.li }, r.name);
            assert.deepEqual(spec.tolerations, [{ key: ROLE_LABEL, operator: "Equal", value: ROLE_VALUES.li, effect: "NoSchedule" }], r.name);
            assert.equal(spec.securityContext.runAsNonRoot, true, r.name);
            for (const c of [...(spec.initContainers ?? []), ...spec.containers]) {
                assert.deepEqual(c.securityContext.capabilities, { drop: ["ALL"] }, `${r.name}/${c.name}`);
                assert.equal(c.securityContext.allowPrivilegeEscalation, false, `${r.name}/${c.name}`);
            }
        }
        // Nothing else of the program lands on the LI server.
        const elsewhere = run.resources.filter((r) => !inLi(r) && JSON.stringify(r.inputs?.spec ?? {}).includes(`"${ROLE_LABEL}":"${ROLE_VALUES.li}"`));
        assert.deepEqual(elsewhere.map((r) => r.name), []);
    });

    it("keeps LI data on claims of the ssd class sized from the plan's LI server", () => {
        const size = liSizing(plan);
        const pvc = one("kubernetes:core/v1:PersistentVolumeClaim", `data-${LI_NAMES.postgres}-0`);
        assert.equal(pvc.inputs.spec.storageClassName, "matrix-ssd");
        assert.equal(pvc.inputs.spec.resources.requests.storage, `${size.postgres.storageGB}G`);
        assert.equal(one("kubernetes:core/v1:PersistentVolumeClaim", LI_NAMES.syncWork).inputs.spec.resources.requests.storage, `${size.dumpStorageGB}G`);
        assert.equal(one("kubernetes:core/v1:PersistentVolumeClaim", LI_NAMES.keyVaultData).inputs.spec.storageClassName, "matrix-ssd");
        assert.equal(one("kubernetes:core/v1:PersistentVolumeClaim", LI_NAMES.accessLog, NAMESPACES.liProxy).inputs.spec.storageClassName, "matrix-ssd");
        const pg = one("kubernetes:apps/v1:StatefulSet", LI_NAMES.postgres).inputs.spec.template.spec.containers[0];
        assert.ok(pg.args.includes(`shared_buffers=${size.postgres.parameters.shared_buffers}`));
    });

    it("exposes only the proxy, on LI_ADMIN_HOST_PORT, to exactly the networks the AWS security group admits (both sides)", () => {
        const hostPorts = podSpecs(run).flatMap(([r, spec]) => spec.containers.flatMap((c: any) => (c.ports ?? []).filter((p: any) => p.hostPort).map((p: any) => [r.inputs.metadata.name, p.hostPort, p.containerPort])));
        assert.deepEqual(hostPorts, [[LI_NAMES.proxy, LI_ADMIN_HOST_PORT, LI_PROXY_PORT]]);
        for (const r of run.resources.filter((x) => inLi(x) && x.type === "kubernetes:core/v1:Service")) {
            assert.ok(!["LoadBalancer", "NodePort"].includes(r.inputs.spec.type), r.name);
        }
        const sgRules = run.resources.filter((r) => r.type === "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule" && /-sg-li-/.test(r.name));
        assert.ok(sgRules.length > 0);
        for (const r of sgRules) assert.deepEqual([r.inputs.fromPort, r.inputs.toPort, r.inputs.ipProtocol], [LI_ADMIN_HOST_PORT, LI_ADMIN_HOST_PORT, "tcp"], r.name);
        const sgCidrs = sgRules.map((r) => r.inputs.cidrIpv4).sort();
        assert.deepEqual(sgCidrs, [...dev["matrix:cluster"].liAdminCidrs].sort());
        const cfg = one("kubernetes:core/v1:ConfigMap", LI_NAMES.proxyConfig, NAMESPACES.liProxy).inputs.data["haproxy.cfg"] as string;
        assert.match(cfg, new RegExp(`tcp-request connection reject unless \\{ src ${sgCidrs.join(" ").replace(/\./g, "\\.")} \\}`));
        const np = one("kubernetes:networking.k8s.io/v1:NetworkPolicy", LI_NAMES.proxy, NAMESPACES.liProxy).inputs.spec;
        assert.deepEqual(np.ingress, [{ from: sgCidrs.map((cidr) => ({ ipBlock: { cidr } })), ports: [{ protocol: "TCP", port: LI_PROXY_PORT }] }]);
    });

    it("denies by default in both LI namespaces; key_vault admits only the proxy and the main Synapse processes", () => {
        for (const ns of LI_NS) {
            const deny = one("kubernetes:networking.k8s.io/v1:NetworkPolicy", "default-deny", ns).inputs.spec;
            assert.deepEqual(deny, { podSelector: {}, policyTypes: ["Ingress", "Egress"], ingress: [], egress: [] });
        }
        const kv = one("kubernetes:networking.k8s.io/v1:NetworkPolicy", KEY_VAULT_SERVICE).inputs.spec;
        assert.deepEqual(kv.ingress[0].from, [
            { namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": NAMESPACES.liProxy } }, podSelector: { matchLabels: { "app.kubernetes.io/name": LI_NAMES.proxy } } },
            { namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": NAMESPACES.matrix } }, podSelector: { matchLabels: { "app.kubernetes.io/name": "synapse" } } },
        ]);
        // The main Synapse pods carry that label (and synapse-li does not).
        const mainPods = run.resources.filter((r) => r.type === "kubernetes:apps/v1:StatefulSet" && r.inputs.metadata.name === "synapse-main");
        assert.equal(mainPods[0]!.inputs.spec.template.metadata.labels["app.kubernetes.io/name"], "synapse");
        assert.equal(one("kubernetes:apps/v1:Deployment", LI_NAMES.synapse).inputs.spec.template.metadata.labels["app.kubernetes.io/name"], LI_NAMES.synapse);
        const syn = one("kubernetes:networking.k8s.io/v1:NetworkPolicy", LI_NAMES.synapse).inputs.spec;
        const egressTo = syn.egress.map((e: any) => JSON.stringify(e.to));
        assert.equal(syn.egress.length, 3, "DNS, its database, the object store: nothing else");
        assert.ok(egressTo.some((t: string) => t.includes(LI_NAMES.postgres)));
        assert.ok(egressTo.some((t: string) => t.includes(NAMESPACES.storage) && t.includes("minio")));
    });

    it("syncs with the generated script from the replica service, with the read-only role and credentials the data layer made", () => {
        const cron = one("kubernetes:batch/v1:CronJob", LI_NAMES.sync).inputs.spec;
        assert.equal(cron.schedule, LI_DEFAULTS.schedule);
        const pod = cron.jobTemplate.spec.template.spec;
        const env = Object.fromEntries(pod.initContainers[0].env.map((e: any) => [e.name, e.value]));
        assert.equal(env.SOURCE_HOST, `${REPLICA_SERVICE}.${NAMESPACES.matrix}.svc.cluster.local`);
        const sourceSecret = pod.volumes.find((v: any) => v.name === "source").secret.secretName;
        one("kubernetes:core/v1:Secret", sourceSecret); // the data layer's copy in the LI namespace
        const media = one("kubernetes:apps/v1:Deployment", LI_NAMES.synapse).inputs.spec.template.spec.containers[0].env.find((e: any) => e.name === "AWS_ACCESS_KEY_ID");
        const mediaSecret = one("kubernetes:core/v1:Secret", media.valueFrom.secretKeyRef.name);
        assert.equal(unwrapSecrets(mediaSecret.inputs).stringData.AWS_ACCESS_KEY_ID, "li-media-ro");
        const script = one("kubernetes:core/v1:ConfigMap", LI_NAMES.syncScripts).inputs.data["li-sync.sh"];
        assert.equal(script, syncScript({ jobs: liSizing(plan).syncJobs, maxSeconds: LI_DEFAULTS.maxDurationMinutes * 60, intervalSeconds: maxIntervalSeconds(LI_DEFAULTS.schedule) }));
        assert.ok(cron.jobTemplate.spec.activeDeadlineSeconds > LI_DEFAULTS.maxDurationMinutes * 60);
    });

    it("passes the policy pack (secrets, images, host ports, exposure, stateful identity)", async () => {
        assert.deepStrictEqual(await policyViolations(run.resources), []);
    });

    it("rejects a bad schedule, a bound longer than the interval, and LI admin networks outside the cluster section with aws", async () => {
        const bad = { ...dev, "matrix:li": { sync: { schedule: "0 */2 * * *", maxDurationMinutes: 180 }, adminCidrs: ["10.9.0.0/16"] } };
        await assert.rejects(runProgram({ config: bad }), (e: Error) => /maxDurationMinutes/.test(e.message) && /7200|120 minutes/.test(e.message));
        await assert.rejects(runProgram({ config: { ...dev, "matrix:li": { sync: { schedule: "every day" } } } }), /matrix:li.sync.schedule/);
        await assert.rejects(runProgram({ config: { ...dev, "matrix:li": { adminCidrs: ["10.9.0.0/16"] } } }), /matrix:li.adminCidrs/);
    });

    it("deploys nothing of LI when matrix:li.enabled is false", async () => {
        const off = await runProgram({ config: { ...dev, "matrix:li": { enabled: false } } });
        assert.equal(off.resources.filter((r) => r.type === "matrix:li:LawfulIntercept").length, 0);
        // The namespace itself stays (namespaces are never deleted) with its default-deny policy; nothing runs there.
        const inProxyNs = off.resources.filter((r) => r.inputs?.metadata?.namespace === NAMESPACES.liProxy);
        assert.deepEqual(inProxyNs.map((r) => r.type), ["kubernetes:networking.k8s.io/v1:NetworkPolicy"]);
        assert.deepEqual(inProxyNs[0]!.inputs.spec, { podSelector: {}, policyTypes: ["Ingress"] });
    });
});
