// matrix-label-nodes, the control plane's labeller and serving-certificate
// approver, run in bash against stand-ins for kubectl and the AWS CLI (what
// EC2 says about each instance), with real CSRs made by openssl: a node gets
// its role and server labels only from its own instance's tags, and a kubelet
// serving certificate is approved only for that instance's own names.
import { strict as assert } from "assert";
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { nodeEnv, NODE_ENV_PATH, scriptSource } from "../../components/cluster/aws/bootstrap";
import { ROLE_LABEL, SERVER_LABEL } from "../../components/contracts";
import { requireTool } from "./aws-fixtures";

interface Instance {
    id: string;
    dns: string;
    ip: string;
    role: string;
    server: string;
    owned?: string;
    publicIp?: string;
    publicDns?: string;
}

interface Scenario {
    nodes: [string, string][]; // node name, providerID
    instances: Instance[];
    csrs?: { name: string; user: string; sans: string }[];
}

const KUBECTL = `#!/bin/bash
# Stand-in for kubectl: answers from files in $FAKE, records changes in $FAKE/log.
case "$1 $2" in
  "get nodes") cat "$FAKE/nodes" ;;
  "label node") shift 2; node="$1"; shift; printf 'label %s %s\\n' "$node" "$(printf '%s ' "$@" | sed 's/ $//')" >>"$FAKE/log" ;;
  "get csr")
    if [ "$3" = "-o" ]; then cat "$FAKE/csrs"; else cat "$FAKE/csr-$3.b64"; fi ;;
  "certificate approve") printf 'approve %s\\n' "$3" >>"$FAKE/log" ;;
  *) echo "unexpected kubectl $*" >&2; exit 1 ;;
esac
`;

const AWS = `#!/bin/bash
# Stand-in for aws ec2 describe-instances --instance-ids <id>: the instance's facts, tab-separated.
while [ $# -gt 0 ]; do
  if [ "$1" = "--instance-ids" ]; then id="$2"; fi
  shift
done
f="$FAKE/instance-$id"
[ -f "$f" ] || { echo "InvalidInstanceID.NotFound" >&2; exit 254; }
cat "$f"
`;

describe("aws cluster: node labels and serving certificates come from EC2, not from the node", function () {
    this.timeout(60000);
    let dir: string;

    before(function () {
        requireTool(this, "openssl");
        dir = fs.mkdtempSync(path.join(os.tmpdir(), "matrix-labels-"));
        fs.mkdirSync(path.join(dir, "bin"));
        fs.writeFileSync(path.join(dir, "bin", "kubectl"), KUBECTL, { mode: 0o755 });
        fs.writeFileSync(path.join(dir, "bin", "aws"), AWS, { mode: 0o755 });
        fs.writeFileSync(path.join(dir, "admin.conf"), "");
    });
    after(() => dir && fs.rmSync(dir, { recursive: true, force: true }));

    function csr(name: string, sans: string): string {
        const key = path.join(dir, `${name}.key`);
        const r = spawnSync("openssl", ["req", "-new", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes", "-keyout", key, "-subj", `/O=system:nodes/CN=${name}`, "-addext", `subjectAltName=${sans}`], {
            encoding: "utf8",
        });
        assert.equal(r.status, 0, r.stderr);
        return Buffer.from(r.stdout).toString("base64");
    }

    function run(s: Scenario): string[] {
        const fake = fs.mkdtempSync(path.join(dir, "run-"));
        fs.writeFileSync(path.join(fake, "nodes"), s.nodes.map(([n, p]) => `${n} ${p}\n`).join(""));
        for (const i of s.instances) {
            const facts = [i.id, i.dns, i.ip, i.role, i.server, i.owned ?? "owned", i.publicIp ?? "None", i.publicDns ?? "None"];
            fs.writeFileSync(path.join(fake, `instance-${i.id}`), facts.join("\t") + "\n");
        }
        fs.writeFileSync(path.join(fake, "csrs"), (s.csrs ?? []).map((c) => `${c.name} ${c.user} \n`).join(""));
        for (const c of s.csrs ?? []) fs.writeFileSync(path.join(fake, `csr-${c.name}.b64`), csr(c.name, c.sans));
        fs.writeFileSync(path.join(fake, "log"), "");
        const env = nodeEnv({
            clusterName: "matrix-test",
            role: "controlPlane",
            index: 0,
            serverName: "control-plane-0",
            region: "eu-central-1",
            apiEndpoint: "api.example",
            ssmPrefix: "/matrix-scale/matrix-test",
            caCertHash: "sha256:00",
            podCidr: "172.20.0.0/16",
            serviceCidr: "172.21.0.0/16",
        });
        const script = scriptSource("label").replace(`. ${NODE_ENV_PATH}`, env);
        assert.notEqual(script, scriptSource("label"));
        const r = spawnSync("bash", ["-c", script], {
            encoding: "utf8",
            env: { ...process.env, PATH: `${path.join(dir, "bin")}:${process.env.PATH}`, FAKE: fake, KUBECONFIG: path.join(dir, "admin.conf") },
        });
        assert.equal(r.status, 0, r.stderr);
        return fs.readFileSync(path.join(fake, "log"), "utf8").trim().split("\n").filter(Boolean);
    }

    const db0: Instance = { id: "i-0db0", dns: "ip-10-40-0-10.eu-central-1.compute.internal", ip: "10.40.0.10", role: "database", server: "database-0" };
    const app0: Instance = { id: "i-0app0", dns: "ip-10-40-0-20.eu-central-1.compute.internal", ip: "10.40.0.20", role: "app", server: "app-0" };

    it("labels each node from its own instance's tags, with the node-restricted keys", () => {
        const log = run({ nodes: [[db0.dns, `aws:///eu-central-1a/${db0.id}`], [app0.dns, `aws:///eu-central-1b/${app0.id}`], ["ip-10-40-0-30", ""]], instances: [db0, app0] });
        assert.deepEqual(log, [`label ${db0.dns} --overwrite ${ROLE_LABEL}=database ${SERVER_LABEL}=database-0`, `label ${app0.dns} --overwrite ${ROLE_LABEL}=app ${SERVER_LABEL}=app-0`]);
    });

    it("labels no node that claims another instance, an instance of another cluster, or an instance already claimed", () => {
        // A node named like app-0 but pointing at database-0's instance.
        assert.deepEqual(run({ nodes: [[app0.dns, `aws:///eu-central-1a/${db0.id}`]], instances: [db0, app0] }), []);
        // An instance not owned by this cluster.
        assert.deepEqual(run({ nodes: [[db0.dns, `aws:///eu-central-1a/${db0.id}`]], instances: [{ ...db0, owned: "None" }] }), []);
        // Two nodes naming the same instance: one lies; neither is labelled.
        assert.deepEqual(run({ nodes: [[db0.dns, `aws:///eu-central-1a/${db0.id}`], [db0.dns, `aws:///eu-central-1a/${db0.id}`]], instances: [db0] }), []);
    });

    it("approves a kubelet serving certificate only for the verified node's own names", () => {
        const calls: Instance = { id: "i-0calls0", dns: "ip-10-40-128-5.eu-central-1.compute.internal", ip: "10.40.128.5", role: "calls", server: "calls-0", publicIp: "198.51.100.7", publicDns: "ec2-198-51-100-7.eu-central-1.compute.amazonaws.com" };
        const log = run({
            nodes: [[db0.dns, `aws:///eu-central-1a/${db0.id}`], [calls.dns, `aws:///eu-central-1a/${calls.id}`]],
            instances: [db0, calls],
            csrs: [
                { name: "csr-good", user: `system:node:${db0.dns}`, sans: `DNS:${db0.dns},IP:${db0.ip}` },
                { name: "csr-public", user: `system:node:${calls.dns}`, sans: `DNS:${calls.dns},IP:${calls.ip},IP:${calls.publicIp},DNS:${calls.publicDns}` },
                { name: "csr-foreign-ip", user: `system:node:${db0.dns}`, sans: `DNS:${db0.dns},IP:10.40.0.99` },
                { name: "csr-public-on-private", user: `system:node:${db0.dns}`, sans: `DNS:${db0.dns},IP:198.51.100.7` },
                { name: "csr-unknown-node", user: "system:node:ip-10-40-0-66", sans: "DNS:ip-10-40-0-66,IP:10.40.0.66" },
            ],
        }).filter((l) => l.startsWith("approve"));
        assert.deepEqual(log, ["approve csr-good", "approve csr-public"]);
    });
});
