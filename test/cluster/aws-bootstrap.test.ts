// The generated user data checked with the real tools: cloud-init's own
// schema validator for the document, shellcheck for every script it ships
// (each checked together with the generated environment it sources).
import { strict as assert } from "assert";
import { spawnSync } from "child_process";
import { generateKeyPairSync } from "crypto";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { parse, parseAllDocuments } from "yaml";
import {
    caCertHashFromPublicKeyPem,
    CONTROL_PLANE_SCRIPTS,
    JOIN_TOKEN_TTL_HOURS,
    NODE_ENV_PATH,
    NODE_SCRIPTS,
    nodeEnv,
    scriptSource,
    SCRIPTS,
    userData,
    writtenContent,
    type BootstrapInput,
} from "../../components/cluster/aws/bootstrap";
import { NODE_RESTRICTED_PREFIX, ROLE_LABEL, SERVER_LABEL } from "../../components/contracts";
import { NODE_ROLES, type NodeRole } from "../../sizing/types";
import { ROLE_VALUES } from "../../components/contracts";
import { requireTool } from "./aws-fixtures";

function input(role: NodeRole, index: number): BootstrapInput {
    return {
        clusterName: "matrix-dev",
        role,
        index,
        serverName: `${ROLE_VALUES[role]}-${index}`,
        region: "eu-central-1",
        apiEndpoint: "matrix-dev-api-0123456789.elb.eu-central-1.amazonaws.com",
        extraApiSans: ["matrix-dev-api-admin-0123.elb.eu-central-1.amazonaws.com"],
        ssmPrefix: "/matrix-scale/dev",
        caCertHash: "sha256:0f1e2d3c4b5a69788796a5b4c3d2e1f00f1e2d3c4b5a69788796a5b4c3d2e1f0",
        podCidr: "172.20.0.0/16",
        serviceCidr: "172.21.0.0/16",
        dataDisks:
            role === "database" && index === 2
                ? "instance-store"
                : { ebsVolumeIds: role === "storage" ? ["vol-0a1b2c3d4e5f60718", "vol-0a1b2c3d4e5f60719"] : ["vol-0a1b2c3d4e5f60718"] },
    };
}

interface WriteFile {
    path: string;
    content: string;
    permissions: string;
}

/** The user data's files as the server writes them (compressed scripts decoded). */
function files(ud: string): WriteFile[] {
    return (parse(ud) as { write_files: (WriteFile & { encoding?: string })[] }).write_files.map((f) => ({ ...f, content: writtenContent(f) }));
}

describe("aws node pools: bootstrap user data", function () {
    let dir: string;
    before(() => {
        dir = fs.mkdtempSync(path.join(os.tmpdir(), "matrix-bootstrap-"));
    });
    after(() => fs.rmSync(dir, { recursive: true, force: true }));

    const cases: [NodeRole, number][] = NODE_ROLES.flatMap((r) => [[r, 0], [r, 1]] as [NodeRole, number][]);
    cases.push(["database", 2]);

    for (const [role, index] of cases) {
        it(`is valid cloud-config for ${role}-${index} (cloud-init schema)`, function () {
            requireTool(this, "cloud-init");
            const file = path.join(dir, `${role}-${index}.yaml`);
            fs.writeFileSync(file, userData(input(role, index)));
            const r = spawnSync("cloud-init", ["schema", "--config-file", file], { encoding: "utf8", timeout: 60000 });
            assert.equal(r.status, 0, `${r.stdout}\n${r.stderr}`);
            assert.match(r.stdout, /Valid cloud-config/);
        });

        it(`ships scripts with no shellcheck findings for ${role}-${index}`, function () {
            requireTool(this, "shellcheck");
            const written = files(userData(input(role, index)));
            const env = written.find((f) => f.path === NODE_ENV_PATH)?.content;
            assert.ok(env);
            const scripts = written.filter((f) => f.content.startsWith("#!/bin/bash"));
            const expected = [...NODE_SCRIPTS, ...(role === "controlPlane" ? CONTROL_PLANE_SCRIPTS : [])];
            assert.deepEqual(scripts.map((s) => s.path).sort(), expected.map((n) => SCRIPTS[n].path).sort());
            for (const s of scripts) {
                assert.equal(s.permissions, "0755");
                // The script with its environment inlined where it sources it, so
                // the generated values' quoting is checked too.
                const combined = s.content.replace(`. ${NODE_ENV_PATH}`, env);
                assert.notEqual(combined, s.content, `${s.path} does not source ${NODE_ENV_PATH}`);
                const file = path.join(dir, `${role}-${index}-${path.basename(s.path)}.sh`);
                fs.writeFileSync(file, combined);
                const r = spawnSync("shellcheck", ["--severity=style", file], { encoding: "utf8", timeout: 60000 });
                assert.equal(r.status, 0, `${s.path}:\n${r.stdout}${r.stderr}`);
            }
        });
    }

    it("shellcheck and cloud-init do reject broken input (the checks can fail)", function () {
        requireTool(this, "shellcheck");
        requireTool(this, "cloud-init");
        const sh = path.join(dir, "bad.sh");
        fs.writeFileSync(sh, "#!/bin/bash\nrm -rf $1/*\n");
        assert.notEqual(spawnSync("shellcheck", [sh]).status, 0);
        const yml = path.join(dir, "bad.yaml");
        fs.writeFileSync(yml, "#cloud-config\nwrite_files:\n  - path: /x\n    mode: 644\n");
        assert.notEqual(spawnSync("cloud-init", ["schema", "--config-file", yml]).status, 0);
    });

    it("defines every variable the scripts read from the environment", () => {
        const written = files(userData(input("controlPlane", 0)));
        const env = written.find((f) => f.path === NODE_ENV_PATH)?.content ?? "";
        const defined = new Set([...env.matchAll(/^export ([A-Z_]+)=/gm)].map((m) => m[1]));
        for (const s of written.filter((f) => f.content.startsWith("#!/bin/bash"))) {
            const assignedInScript = new Set([...s.content.matchAll(/\b([A-Z_]+)="/g)].map((m) => m[1]));
            for (const m of s.content.matchAll(/\$\{([A-Z][A-Z_]+)\}/g)) {
                assert.ok(defined.has(m[1]) || assignedInScript.has(m[1]), `${s.path} reads \${${m[1]}} which node.env does not define`);
            }
        }
    });

    it("carries role, label, taint and first-server rules in the environment, and no secret", () => {
        const env = (role: NodeRole, i: number) =>
            files(userData(input(role, i))).find((f) => f.path === NODE_ENV_PATH)?.content ?? "";
        assert.match(env("database", 0), /ROLE_VALUE='database'\nexport SERVER_LABEL='node-restriction\.kubernetes\.io\/matrix-scale-server'\nexport SERVER_NAME='database-0'\nexport TAINTED='true'/);
        assert.match(env("app", 0), /TAINTED='false'/);
        assert.match(env("controlPlane", 0), /INIT_ALLOWED='true'/);
        assert.match(env("controlPlane", 1), /INIT_ALLOWED='false'\nexport JOIN_STAGGER_SECONDS='120'/);
        assert.match(env("controlPlane", 0), /DATA_DISKS='\/dev\/disk\/by-id\/nvme-Amazon_Elastic_Block_Store_vol0a1b2c3d4e5f60718=\/var\/lib\/etcd'\n/);
        assert.match(env("database", 2), /DATA_DISKS='\/dev\/disk\/by-id\/nvme-Amazon_EC2_NVMe_Instance_Storage_\*=\/var\/lib\/matrix-scale\/data\/disk-0'\n/);
        assert.match(
            env("storage", 1),
            /DATA_DISKS='\/dev\/disk\/by-id\/nvme-Amazon_Elastic_Block_Store_vol0a1b2c3d4e5f60718=\/var\/lib\/matrix-scale\/data\/disk-0 \/dev\/disk\/by-id\/nvme-Amazon_Elastic_Block_Store_vol0a1b2c3d4e5f60719=\/var\/lib\/matrix-scale\/data\/disk-1'\n/,
        );
        for (const role of NODE_ROLES) {
            const ud = userData(input(role, 0));
            assert.doesNotMatch(ud, /BEGIN (RSA |EC )?PRIVATE KEY/);
            assert.doesNotMatch(ud, /[a-z0-9]{6}\.[a-z0-9]{16}/, "a bootstrap token in user data");
        }
    });

    it("computes kubeadm's CA public-key hash like `openssl pkey -pubin -outform der | sha256sum`", function () {
        requireTool(this, "openssl");
        const { publicKey } = generateKeyPairSync("rsa", { modulusLength: 2048 });
        const pem = publicKey.export({ type: "spki", format: "pem" }).toString();
        const file = path.join(dir, "ca.pub");
        fs.writeFileSync(file, pem);
        const der = spawnSync("openssl", ["pkey", "-pubin", "-in", file, "-outform", "der"]);
        const sum = spawnSync("sha256sum", [], { input: der.stdout, encoding: "utf8" }).stdout.split(" ")[0];
        assert.equal(caCertHashFromPublicKeyPem(pem), `sha256:${sum}`);
    });

    // join-node.sh renders kubeadm's configuration with heredocs; run the real
    // functions in bash and read the result as kubeadm would.
    function render(role: NodeRole, index: number, fn: "render_init" | "render_join"): Record<string, any>[] {
        const env = nodeEnv(input(role, index));
        const script = scriptSource("join")
            .replace(`. ${NODE_ENV_PATH}`, env)
            .replace(/\nmain "\$@"\n$/, `\nNODE_NAME=ip-10-40-0-5.eu-central-1.compute.internal\nNODE_IP=10.40.0.5\nJOIN_TOKEN=abcdef.0123456789abcdef\n${fn}\n`);
        assert.ok(script.endsWith(`${fn}\n`), "could not replace the call to main");
        const r = spawnSync("bash", ["-c", script], { encoding: "utf8", timeout: 30000 });
        assert.equal(r.status, 0, r.stderr);
        return parseAllDocuments(r.stdout).map((d) => {
            assert.deepEqual(d.errors, []);
            return d.toJS() as Record<string, any>;
        });
    }

    it("renders kubeadm InitConfiguration + ClusterConfiguration (v1beta4) on the first control-plane server", () => {
        const [init, cluster] = render("controlPlane", 0, "render_init");
        assert.equal(init.apiVersion, "kubeadm.k8s.io/v1beta4");
        assert.equal(init.kind, "InitConfiguration");
        assert.deepEqual(init.bootstrapTokens[0].token, "abcdef.0123456789abcdef");
        // A finite lifetime: the control plane keeps a fresh token in SSM (matrix-rotate-token).
        assert.equal(init.bootstrapTokens[0].ttl, `${JOIN_TOKEN_TTL_HOURS}h0m0s`);
        assert.ok(JOIN_TOKEN_TTL_HOURS > 0 && JOIN_TOKEN_TTL_HOURS <= 24);
        assert.deepEqual(init.localAPIEndpoint, { advertiseAddress: "10.40.0.5", bindPort: 6443 });
        assert.deepEqual(init.nodeRegistration.taints, [{ key: "node-role.kubernetes.io/control-plane", effect: "NoSchedule" }]);
        // No node-labels: the kubelet may not set node-restriction.kubernetes.io/ labels (the control plane does).
        assert.deepEqual(init.nodeRegistration.kubeletExtraArgs, [
            { name: "cloud-provider", value: "external" },
            { name: "node-ip", value: "10.40.0.5" },
        ]);
        assert.equal(cluster.kind, "ClusterConfiguration");
        assert.equal(cluster.kubernetesVersion, "v1.34.2");
        assert.equal(cluster.controlPlaneEndpoint, "matrix-dev-api-0123456789.elb.eu-central-1.amazonaws.com:6443");
        assert.deepEqual(cluster.networking, { podSubnet: "172.20.0.0/16", serviceSubnet: "172.21.0.0/16" });
        assert.deepEqual(cluster.apiServer.certSANs, ["matrix-dev-api-0123456789.elb.eu-central-1.amazonaws.com", "matrix-dev-api-admin-0123.elb.eu-central-1.amazonaws.com"]);
    });

    it("asks kubelets for CA-signed serving certificates (metrics-server verifies them)", () => {
        const docs = render("controlPlane", 0, "render_init");
        const kubelet = docs.find((d) => d.kind === "KubeletConfiguration");
        assert.equal(kubelet?.apiVersion, "kubelet.config.k8s.io/v1beta1");
        assert.equal(kubelet?.serverTLSBootstrap, true);
    });

    it("renders JoinConfiguration with the role's label and taint, and a control-plane section only for control-plane servers", () => {
        const [cp] = render("controlPlane", 1, "render_join");
        assert.equal(cp.kind, "JoinConfiguration");
        assert.deepEqual(cp.controlPlane, { localAPIEndpoint: { advertiseAddress: "10.40.0.5", bindPort: 6443 } });
        assert.deepEqual(cp.discovery.bootstrapToken.caCertHashes, [input("controlPlane", 1).caCertHash]);
        const [db] = render("database", 0, "render_join");
        assert.equal(db.controlPlane, undefined);
        assert.deepEqual(db.nodeRegistration.taints, [{ key: ROLE_LABEL, value: "database", effect: "NoSchedule" }]);
        const [app] = render("app", 3, "render_join");
        assert.deepEqual(app.nodeRegistration.taints, []);
        for (const cfg of [cp, db, app]) {
            const labels = (cfg.nodeRegistration.kubeletExtraArgs as { name: string }[]).filter((a) => a.name === "node-labels");
            assert.deepEqual(labels, [], "a kubelet must not label itself");
        }
        assert.ok(ROLE_LABEL.startsWith(NODE_RESTRICTED_PREFIX) && SERVER_LABEL.startsWith(NODE_RESTRICTED_PREFIX));
        assert.equal(app.discovery.bootstrapToken.apiServerEndpoint, "matrix-dev-api-0123456789.elb.eu-central-1.amazonaws.com:6443");
    });
});
