// clamd and freshclam config from the plan, checked by ClamAV's own parser;
// the scanner module's unit tests (Python, in the pinned Synapse's venv); the
// Synapse image rules.
import { strict as assert } from "node:assert";
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { clamdConf, freshclamConf } from "../../components/antivirus/config";
import { synapseImageProblems } from "../../components/matrix-apps";
import { parseStackConfig } from "../../config";
import { PROJECT_SYNAPSE_IMAGE } from "../../config/sections/synapse";
import { computePlan, TIER_CCUS } from "../../sizing";
import { requireBinary } from "../helpers/binaries";
import { requireTool, venvProgram } from "../helpers/tools";

const BASE = { "matrix:ccu": "100", "matrix:domain": "dev.example.org", "matrix:cluster": JSON.stringify({ provider: "existing", context: "kind-dev" }) };

describe("antivirus config", () => {
    it("sizes clamd by the plan: at least 3 GiB, twice that as the limit, two replicas or more", () => {
        for (const ccu of TIER_CCUS) {
            const av = computePlan({ ccu, federation: false }).antivirus;
            assert.ok(av.memoryGiB >= 3 && av.memoryLimitGiB >= 2 * av.memoryGiB && av.replicas >= 2, JSON.stringify(av));
        }
    });

    it("lets clamd take the largest upload of every tier, and ClamAV's parser accepts both files", function () {
        requireBinary(this, "clamconf");
        for (const ccu of TIER_CCUS) {
            const plan = computePlan({ ccu, federation: false });
            const text = clamdConf(plan, 30);
            assert.ok(Number(/^StreamMaxLength (\d+)$/m.exec(text)![1]) >= plan.synapse.maxUploadBytes);
        }
        const dir = fs.mkdtempSync(path.join(os.tmpdir(), "clamconf-"));
        try {
            fs.writeFileSync(path.join(dir, "clamd.conf"), clamdConf(computePlan({ ccu: 20000, federation: false }), 30));
            fs.writeFileSync(path.join(dir, "freshclam.conf"), freshclamConf("https://clamav-mirror.example.org/", 12));
            const r = spawnSync("clamconf", ["-c", dir], { encoding: "utf8" });
            assert.equal(r.status, 0, r.stdout + r.stderr);
            assert.doesNotMatch(r.stdout + r.stderr, /^ERROR|unknown option|parse error/im);
            assert.match(r.stdout, /PrivateMirror = "https:\/\/clamav-mirror\.example\.org"/);
            assert.match(r.stdout, /StreamMaxLength = "?\d+/);
        } finally {
            fs.rmSync(dir, { recursive: true, force: true });
        }
    });

    it("refuses the official Synapse images and defaults to the project's", () => {
        assert.deepEqual(synapseImageProblems(parseStackConfig(BASE)), []);
        assert.equal(parseStackConfig(BASE).synapse.image, PROJECT_SYNAPSE_IMAGE);
        const official = parseStackConfig({ ...BASE, "matrix:synapse": JSON.stringify({ image: "ghcr.io/element-hq/synapse:v1.157.1" }) });
        assert.match(synapseImageProblems(official)[0], /^matrix:synapse\.image: an official Synapse image .*synapse-s3-storage-provider/);
        const dockerHub = parseStackConfig({ ...BASE, "matrix:synapse": JSON.stringify({ image: "matrixdotorg/synapse@sha256:" + "a".repeat(64) }) });
        assert.equal(synapseImageProblems(dockerHub).length, 1);
    });

    it("passes the scanner module's own unit tests in the pinned Synapse's Python", function () {
        this.timeout(180_000);
        const python = requireTool(this, venvProgram("synapse", "python"), ".ci/install.d/20-synapse.sh");
        const dir = path.resolve(__dirname, "../../synapse-modules/clamav_scanner");
        const r = spawnSync(python, ["-m", "unittest", "discover", "-s", dir, "-t", dir], { encoding: "utf8", timeout: 170_000 });
        assert.equal(r.status, 0, r.stdout + r.stderr);
        assert.match(r.stderr, /Ran \d+ tests[\s\S]*OK/);
    });
});
