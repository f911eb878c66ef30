// Proof in real MinIO (the pinned server and mc): the credentials synapse-li
// gets (`li-media-ro`, registered by the data layer's own bootstrap script
// with its generated policy) read media Synapse stored, and every write or
// delete through them is refused by the store itself.
import { strict as assert } from "assert";
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { API_SERVICE, bootstrapScript, MINIO_PORT } from "../../components/data/objectstore/minio";
import { accessKeyId, bucketPolicy, policyName } from "../../components/data/objectstore/policies";
import { programs } from "../../tools/local/prerequisites";
import { rewriteBootstrapScript } from "../../tools/local/rewrite";
import { freePorts, ProcessGroup, requireBinaries, until } from "../helpers/procs";

const BUCKET = "synapse-media";
const SECRETS = { root: "proofMinioRoot0", synapse: "proofSynapseMediaKey0", li: "proofLiMediaKey00" };

describe("LI media credentials in real MinIO", function () {
    this.timeout(120_000);
    const procs = new ProcessGroup();
    let dir = "";
    let endpoint = "";
    let mc = "";

    const mcAs = (...args: string[]) =>
        spawnSync(mc, ["--config-dir", path.join(dir, "mc"), ...args], { encoding: "utf8", timeout: 30000, env: { PATH: "/usr/bin:/bin", HOME: dir } as NodeJS.ProcessEnv });
    const alias = (name: string, user: string, secret: string) => {
        const r = mcAs("alias", "set", name, endpoint, user, secret);
        assert.equal(r.status, 0, r.stdout + r.stderr);
    };

    before(async function () {
        const p = programs();
        requireBinaries(this, [p.minio, p.mc, "sh"]);
        mc = p.mc;
        dir = fs.mkdtempSync(path.join(os.tmpdir(), "li-media-"));
        const [port, consolePort] = await freePorts(2);
        endpoint = `http://127.0.0.1:${port}`;
        fs.mkdirSync(path.join(dir, "data"));
        procs.start(p.minio, ["server", "--address", `127.0.0.1:${port}`, "--console-address", `127.0.0.1:${consolePort}`, path.join(dir, "data")], {
            env: { PATH: "/usr/bin:/bin", MINIO_ROOT_USER: "minio-root", MINIO_ROOT_PASSWORD: SECRETS.root, HOME: dir },
        });
        assert.ok(await until(async () => (await fetch(`${endpoint}/minio/health/ready`)).ok, 60000), "MinIO ready");
        // The data layer's bootstrap script and policies, pointed at this server.
        const policies = path.join(dir, "policies");
        fs.mkdirSync(policies);
        for (const c of ["synapse", "li"] as const) fs.writeFileSync(path.join(policies, `${policyName(c)}.json`), JSON.stringify(bucketPolicy(BUCKET, c)));
        fs.mkdirSync(path.join(dir, "mc-home"));
        const script = rewriteBootstrapScript(bootstrapScript(BUCKET, ["synapse", "li"]), { serviceUrl: `http://${API_SERVICE}:${MINIO_PORT}`, endpoint, policiesDir: policies, home: path.join(dir, "mc-home") });
        fs.writeFileSync(path.join(dir, "bootstrap.sh"), script);
        const r = spawnSync("sh", [path.join(dir, "bootstrap.sh")], {
            encoding: "utf8",
            timeout: 60000,
            env: { PATH: `${path.dirname(mc)}:/usr/bin:/bin`, MINIO_ROOT_USER: "minio-root", MINIO_ROOT_PASSWORD: SECRETS.root, SYNAPSE_SECRET_KEY: SECRETS.synapse, LI_SECRET_KEY: SECRETS.li },
        });
        assert.equal(r.status, 0, r.stdout + r.stderr);
        alias("syn", accessKeyId("synapse"), SECRETS.synapse);
        alias("li", accessKeyId("li"), SECRETS.li);
        fs.writeFileSync(path.join(dir, "media.bin"), "a picture someone sent");
        const put = mcAs("cp", path.join(dir, "media.bin"), `syn/${BUCKET}/local_content/ab/cd/efgh`);
        assert.equal(put.status, 0, put.stdout + put.stderr);
    });

    after(async () => {
        await procs.stopAll();
        if (dir) fs.rmSync(dir, { recursive: true, force: true });
    });

    it("reads what Synapse stored", () => {
        const r = mcAs("cat", `li/${BUCKET}/local_content/ab/cd/efgh`);
        assert.equal(r.status, 0, r.stderr);
        assert.equal(r.stdout, "a picture someone sent");
    });

    it("cannot upload, overwrite or delete through them", () => {
        for (const args of [
            ["cp", path.join(dir, "media.bin"), `li/${BUCKET}/local_content/zz/zz/new`],
            ["cp", path.join(dir, "media.bin"), `li/${BUCKET}/local_content/ab/cd/efgh`],
            ["rm", `li/${BUCKET}/local_content/ab/cd/efgh`],
        ]) {
            const r = mcAs(...args);
            assert.notEqual(r.status, 0, `${args.join(" ")} was allowed`);
            assert.match(r.stdout + r.stderr, /Access Denied|Insufficient permissions/i, `${args.join(" ")}: ${r.stdout}${r.stderr}`);
        }
        const still = mcAs("cat", `syn/${BUCKET}/local_content/ab/cd/efgh`);
        assert.equal(still.stdout, "a picture someone sent");
        assert.notEqual(mcAs("stat", `syn/${BUCKET}/local_content/zz/zz/new`).status, 0, "nothing was created");
    });
});
