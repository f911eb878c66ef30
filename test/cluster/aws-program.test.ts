// The real program (index.ts) with provider aws, under the project's mock
// runtime: the full inventory per tier, and every pair of tiers keeps each
// server's and volume's identity, zone and replacement-forcing inputs.
import { strict as assert } from "assert";
import { computePlan } from "../../sizing";
import { NODE_ROLES, TIER_CCUS } from "../../sizing/types";
import { ROLE_LABEL, ROLE_VALUES } from "../../components/contracts";
import { parse } from "yaml";
import { isSecret, runProgram, stackConfigBlock, unwrapSecrets, type ProgramRun, type RegisteredResource } from "../../tools/mock-runtime";
import { at, INSTANCE, REPLACING_INPUTS, VOLUME } from "./aws-replacement";

const instances = (run: ProgramRun) => run.resources.filter((r) => r.type === INSTANCE);

describe("aws node pools: the real program with provider aws", function () {
    this.timeout(600_000);
    const runs = new Map<number, ProgramRun>();

    before(async () => {
        for (const ccu of TIER_CCUS) runs.set(ccu, await runProgram({ stack: "prod", config: { ...stackConfigBlock("prod"), "matrix:ccu": ccu } }));
    });

    it("the stack files build the guide's inventory: 17 servers for dev, 53 for prod", async () => {
        assert.equal(instances(await runProgram({ stack: "dev" })).length, 17);
        assert.equal(instances(await runProgram({ stack: "prod" })).length, 53);
    });

    it("exports an admin kubeconfig built from the program's CA and client certificate, pointing at the internal API load balancer", () => {
        const run = runs.get(100) as ProgramRun;
        const kc = parse(unwrapSecrets(run.outputs.kubeconfig));
        assert.equal(kc.clusters[0].cluster.server, `https://${run.outputs.apiEndpoint}:6443`);
        const pem = (b64: string) => Buffer.from(b64, "base64").toString("utf8");
        assert.match(pem(kc.clusters[0].cluster["certificate-authority-data"]), /^-----BEGIN CERTIFICATE-----/);
        assert.match(pem(kc.users[0].user["client-certificate-data"]), /^-----BEGIN CERTIFICATE-----/);
        assert.match(pem(kc.users[0].user["client-key-data"]), /PRIVATE KEY-----/);
        assert.equal(kc["current-context"], kc.contexts[0].name);
        const csr = run.resources.find((r) => r.type === "tls:index/certRequest:CertRequest");
        assert.deepEqual(csr?.inputs.subject, { commonName: "matrix-scale-admin", organization: "system:masters" });
    });

    for (const ccu of TIER_CCUS) {
        it(`${ccu} CCU: the plan's count per role, data volumes for etcd, database and MinIO drives only, the kubeconfig a secret output, the account quotas an output`, () => {
            const run = runs.get(ccu) as ProgramRun;
            const plan = computePlan({ ccu, federation: false });
            for (const role of NODE_ROLES) {
                assert.equal(instances(run).filter((i) => i.inputs.tags[ROLE_LABEL] === ROLE_VALUES[role]).length, plan.nodePools[role].count, role);
            }
            assert.equal(
                run.resources.filter((r) => r.type === VOLUME).length,
                plan.nodePools.controlPlane.count + plan.nodePools.database.count + plan.nodePools.storage.count * plan.objectStore.drivesPerServer,
            );
            const quotas = run.outputs.awsQuotas as { elasticIps: number; onDemandStandardVcpus: number };
            assert.equal(quotas.elasticIps, run.resources.filter((r) => r.type === "aws:ec2/eip:Eip").length);
            assert.ok(quotas.onDemandStandardVcpus >= plan.totals.vcpu);
            assert.ok(isSecret(run.outputs.kubeconfig));
            assert.ok(typeof run.outputs.edgeHostname === "string" && run.outputs.edgeHostname.endsWith(".amazonaws.com"));
        });
    }

    for (const a of TIER_CCUS) {
        for (const b of TIER_CCUS) {
            if (a === b) continue;
            it(`${a} -> ${b}: every server and volume in both keeps its name and every replacement-forcing input`, () => {
                const to = new Map((runs.get(b) as ProgramRun).resources.map((r) => [`${r.type}::${r.name}`, r] as [string, RegisteredResource]));
                let compared = 0;
                for (const old of (runs.get(a) as ProgramRun).resources.filter((r) => r.type in REPLACING_INPUTS)) {
                    const next = to.get(`${old.type}::${old.name}`);
                    if (!next) {
                        assert.ok(b < a, `${old.name} disappears when growing from ${a} to ${b}`);
                        continue;
                    }
                    compared++;
                    for (const key of REPLACING_INPUTS[old.type]) {
                        assert.deepEqual(at(next.inputs, key), at(old.inputs, key), `${old.name}.${key} changes between ${a} and ${b}`);
                    }
                }
                assert.ok(compared >= 3 * 17, `only ${compared} resources compared`);
            });
        }
    }
});
