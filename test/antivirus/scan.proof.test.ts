// Proof with the real software: Debian's clamd started with the generated
// clamd.conf and a signature database made here (EICAR + one custom
// signature), the pinned Synapse with the scanner module configured exactly
// as homeserver.yaml carries it, and MinIO behind the S3 storage provider.
// Infected uploads are refused and never reach the object store; clean files
// upload and download; a download is not scanned again; a hung or stopped
// clamd refuses uploads within the timeout (fail closed).
import { strict as assert } from "node:assert";
import { spawnSync, type ChildProcess } from "node:child_process";
import { createHash } from "node:crypto";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import * as YAML from "yaml";
import { clamdConf } from "../../components/antivirus/config";
import { antivirusModule } from "../../components/synapse/homeserver";
import { computePlan } from "../../sizing";
import { MINIO_BIN, MINIO_INSTALL, rclone, rcloneRemote, s3ClientEnv, startMinio, type TempMinio } from "../helpers/minio";
import { freePort, ProcessGroup, requireBinaries, until } from "../helpers/procs";
import { requireTool, venvProgram } from "../helpers/tools";

const EICAR = "X5O!P%@AP[4\\PZX54(P^)7CC)7}$EICAR-STANDARD-ANTIVIRUS-TEST-FILE!$H+H*";
const CUSTOM = "MATRIX-SCALE-TEST-MALWARE-PAYLOAD";
const BUCKET = "synapse-media";
const TIMEOUT_SECONDS = 3;
const MODULE_DIR = path.resolve(__dirname, "../../synapse-modules/clamav_scanner");

describe("ClamAV scanning of uploads in a real Synapse (clamd, S3 provider, MinIO)", function () {
    this.timeout(300_000);
    const procs = new ProcessGroup();
    let dir: string;
    let minio: TempMinio;
    let clamd: ChildProcess | undefined;
    let clamdPort = 0;
    let clamdConfPath = "";
    let base = "";
    let metricsUrl = "";
    let token = "";
    let synapse: ChildProcess | undefined;

    const startClamd = async () => {
        clamd = procs.start("clamd", [`--config-file=${clamdConfPath}`]);
        const up = await until(async () => spawnSync("clamdscan", [`--config-file=${clamdConfPath}`, "--ping", "1"]).status === 0, 120_000, 250);
        assert.ok(up, `clamd did not answer PING:\n${procs.output(clamd)}`);
    };
    const objects = () => rclone(["lsf", "-R", "--files-only", `m:${BUCKET}`], rcloneRemote("m", minio)).toString().split("\n").filter(Boolean).sort();
    const scans = async (result: string) => {
        const text = await (await fetch(metricsUrl)).text();
        const m = new RegExp(`^synapse_clamav_scans_total\\{result="${result}"\\} ([0-9.]+)`, "m").exec(text);
        return m ? Number(m[1]) : 0;
    };
    const upload = async (body: string | Buffer) => {
        const started = Date.now();
        const r = await fetch(`${base}/_matrix/media/v3/upload?filename=f.bin`, {
            method: "POST",
            headers: { Authorization: `Bearer ${token}`, "Content-Type": "application/octet-stream" },
            body: typeof body === "string" ? Buffer.from(body) : body,
        });
        return { status: r.status, body: (await r.json()) as { content_uri?: string; errcode?: string }, ms: Date.now() - started };
    };

    before(async function () {
        requireBinaries(this, ["clamd", "clamdscan", "sigtool", "rclone"]);
        requireTool(this, MINIO_BIN, MINIO_INSTALL);
        const python = requireTool(this, venvProgram("synapse", "python"), ".ci/install.d/20-synapse.sh");
        dir = fs.mkdtempSync(path.join(os.tmpdir(), "av-proof-"));
        // Signatures made here: the EICAR file by its MD5 (hdb), a custom body signature (ndb).
        const db = path.join(dir, "db");
        fs.mkdirSync(db);
        const md5 = createHash("md5").update(EICAR).digest("hex");
        fs.writeFileSync(path.join(db, "test.hdb"), `${md5}:${EICAR.length}:Matrix-Scale-Test.EICAR\n`);
        fs.writeFileSync(path.join(db, "test.ndb"), `Matrix-Scale-Test.Custom:0:*:${Buffer.from(CUSTOM).toString("hex")}\n`);
        clamdPort = await freePort();
        const plan = computePlan({ ccu: 100, federation: false });
        clamdConfPath = path.join(dir, "clamd.conf");
        fs.writeFileSync(clamdConfPath, clamdConf(plan, TIMEOUT_SECONDS, { databaseDir: db, tcpAddr: "127.0.0.1", port: clamdPort }));
        await startClamd();

        minio = await startMinio(procs, "av-media");
        rclone(["mkdir", `m:${BUCKET}`], rcloneRemote("m", minio));

        const port = await freePort();
        const metricsPort = await freePort();
        base = `http://127.0.0.1:${port}`;
        metricsUrl = `http://127.0.0.1:${metricsPort}/_synapse/metrics`;
        const hs = {
            server_name: "av.test",
            public_baseurl: `${base}/`,
            report_stats: false,
            listeners: [
                { type: "http", port, bind_addresses: ["127.0.0.1"], resources: [{ names: ["client"] }] },
                { type: "metrics", port: metricsPort, bind_addresses: ["127.0.0.1"] },
            ],
            enable_metrics: true,
            database: { name: "sqlite3", args: { database: path.join(dir, "homeserver.db") } },
            media_store_path: path.join(dir, "media"),
            signing_key_path: path.join(dir, "signing.key"),
            registration_shared_secret: "proof-registration-secret",
            macaroon_secret_key: "proof-macaroon-secret",
            form_secret: "proof-form-secret",
            enable_registration: false,
            rc_login: { address: { per_second: 100, burst_count: 100 }, account: { per_second: 100, burst_count: 100 } },
            media_storage_providers: [
                {
                    module: "s3_storage_provider.S3StorageProviderBackend",
                    store_local: true,
                    store_remote: true,
                    store_synchronous: true,
                    config: { bucket: BUCKET, region_name: "us-east-1", endpoint_url: minio.url },
                },
            ],
            // The entry homeserver.yaml carries, pointed at this clamd.
            modules: [antivirusModule({ host: "127.0.0.1", port: clamdPort, timeoutSeconds: TIMEOUT_SECONDS, onError: "reject" })],
        };
        const cfg = path.join(dir, "homeserver.yaml");
        fs.writeFileSync(cfg, YAML.stringify(hs));
        const env = { ...s3ClientEnv(), PYTHONPATH: MODULE_DIR, AWS_ACCESS_KEY_ID: minio.user, AWS_SECRET_ACCESS_KEY: minio.password };
        const keys = spawnSync(python, ["-m", "synapse.app.homeserver", "--config-path", cfg, "--generate-keys"], { env, encoding: "utf8", timeout: 120_000 });
        assert.equal(keys.status, 0, keys.stderr);
        synapse = procs.start(python, ["-m", "synapse.app.homeserver", "--config-path", cfg], { env, cwd: dir });
        const up = await until(async () => (await fetch(`${base}/health`)).ok, 180_000, 500);
        assert.ok(up, `Synapse did not start:\n${procs.output(synapse)}`);
        const reg = spawnSync(venvProgram("synapse", "register_new_matrix_user"), ["-u", "alice", "-p", "alice-password-0", "--no-admin", "-k", "proof-registration-secret", base], {
            env, encoding: "utf8", timeout: 120_000,
        });
        assert.equal(reg.status, 0, `${reg.stdout}${reg.stderr}`);
        const login = await fetch(`${base}/_matrix/client/v3/login`, {
            method: "POST",
            body: JSON.stringify({ type: "m.login.password", identifier: { type: "m.id.user", user: "alice" }, password: "alice-password-0" }),
        });
        token = ((await login.json()) as { access_token: string }).access_token;
        assert.ok(token);
    });

    after(async () => {
        if (clamd?.pid) {
            try {
                process.kill(clamd.pid, "SIGCONT");
            } catch {
                /* already gone */
            }
        }
        await procs.stopAll();
        if (dir) fs.rmSync(dir, { recursive: true, force: true });
        if (minio) fs.rmSync(minio.dir, { recursive: true, force: true });
    });

    it("stores and serves a clean file, and a download does not scan it again", async () => {
        const clean = Buffer.concat([Buffer.from("a clean attachment\n"), Buffer.alloc(200_000, 65)]);
        const before = await scans("clean");
        const r = await upload(clean);
        assert.equal(r.status, 200, JSON.stringify(r.body));
        assert.equal(await scans("clean"), before + 1);
        const mediaId = r.body.content_uri!.split("/").pop()!;
        // Synapse's layout: local_content/<2>/<2>/<rest of the media id>.
        const key = `local_content/${mediaId.slice(0, 2)}/${mediaId.slice(2, 4)}/${mediaId.slice(4)}`;
        assert.ok(objects().includes(key), `the clean file is not in the object store: ${objects().join(", ")}`);
        for (let i = 0; i < 2; i++) {
            const d = await fetch(`${base}/_matrix/client/v1/media/download/av.test/${mediaId}`, { headers: { Authorization: `Bearer ${token}` } });
            assert.equal(d.status, 200);
            assert.ok(Buffer.from(await d.arrayBuffer()).equals(clean));
        }
        assert.equal(await scans("clean"), before + 1, "a download was scanned again");
    });

    it("refuses the EICAR file and a custom-signature file; nothing reaches the object store", async () => {
        const stored = objects();
        const before = await scans("infected");
        for (const body of [EICAR, `prefix ${CUSTOM} suffix`]) {
            const r = await upload(body);
            assert.equal(r.status, 400, JSON.stringify(r.body));
        }
        assert.equal(await scans("infected"), before + 2);
        assert.deepEqual(objects(), stored);
        const log = procs.output(synapse!);
        assert.match(log, /clamav: REJECTED infected media local\/\w+ from @alice:av\.test: Matrix-Scale-Test\.EICAR/);
        assert.match(log, /clamav: REJECTED infected media local\/\w+ from @alice:av\.test: Matrix-Scale-Test\.Custom/);
    });

    it("refuses uploads within the timeout when clamd hangs, and at once when it is stopped (fail closed)", async () => {
        const stored = objects();
        process.kill(clamd!.pid!, "SIGSTOP");
        try {
            const hung = await upload("a clean file while clamd hangs");
            assert.equal(hung.status, 400, JSON.stringify(hung.body));
            assert.ok(hung.ms >= TIMEOUT_SECONDS * 1000 - 200 && hung.ms < TIMEOUT_SECONDS * 1000 + 5000, `answered after ${hung.ms} ms`);
        } finally {
            process.kill(clamd!.pid!, "SIGCONT");
        }
        clamd!.kill("SIGTERM");
        await until(async () => clamd!.exitCode !== null || clamd!.signalCode !== null, 10_000);
        const down = await upload("a clean file while clamd is down");
        assert.equal(down.status, 400, JSON.stringify(down.body));
        assert.ok(down.ms < TIMEOUT_SECONDS * 1000 + 5000);
        assert.deepEqual(objects(), stored);
    });
});
