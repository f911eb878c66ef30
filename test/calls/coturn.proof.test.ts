// The generated turnserver.conf and start script in the real coturn (Debian's
// turnserver), on loopback: Synapse-style credentials allocate a relay inside
// the contract's range and relay data to an allowed loopback peer; a wrong
// secret, an expired username, a denied peer and a user over its quota are
// refused. One coturn for the whole file.
import { strict as assert } from "node:assert";
import { spawnSync, type ChildProcess } from "node:child_process";
import * as dgram from "node:dgram";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import * as tls from "node:tls";
import { clusterCoturnSettings, coturnStartScript, turnserverConf } from "../../components/calls/coturn";
import { CALL_PORTS } from "../../components/contracts";
import { computePlan } from "../../sizing";
import { turnserverForLoopback } from "../../tools/loopback/calls";
import { freePorts, ProcessGroup, requireBinaries, until } from "../helpers/procs";
import { synapseTurnCredentials, TurnClient } from "../helpers/turn-client";

const SECRET = "s3cretForTurnProof0123456789";
const USER = "@alice:example.org";
const PEER = "127.0.0.2";
const DENIED_PEER = "127.0.0.3";
const now = () => Math.floor(Date.now() / 1000);

describe("coturn proof: generated turnserver.conf in the real coturn", function () {
    this.timeout(60000);
    const procs = new ProcessGroup();
    let dir = "";
    let port = 0;
    let tlsPort = 0;
    let coturn: ChildProcess | undefined;
    const plan = computePlan({ ccu: 100, federation: false });
    const clients: TurnClient[] = [];
    const client = async () => {
        const c = await TurnClient.open({ address: "127.0.0.1", port });
        clients.push(c);
        return c;
    };

    before(async function () {
        requireBinaries(this, ["turnserver", "openssl"]);
        dir = fs.mkdtempSync(path.join(os.tmpdir(), "coturn-proof-"));
        [port, tlsPort] = await freePorts(2);
        const cert = path.join(dir, "tls.crt");
        const key = path.join(dir, "tls.key");
        const ossl = spawnSync("openssl", ["req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-days", "1", "-subj", "/CN=turn.example.org", "-keyout", key, "-out", cert], { encoding: "utf8" });
        assert.equal(ossl.status, 0, ossl.stderr);
        const generated = turnserverConf(
            clusterCoturnSettings({
                realm: "example.org",
                tls: { certFile: "/certs/tls.crt", keyFile: "/certs/tls.key" },
                userQuota: plan.coturn.userQuota,
                totalQuota: plan.coturn.allocationsPerInstance,
                clusterCidrs: ["172.20.0.0/16", "172.21.0.0/16"],
            }),
        );
        const conf = turnserverForLoopback(generated, { port, tlsPort, tls: { certFile: cert, keyFile: key }, allowedPeers: [PEER], dropMetrics: true, stateDir: dir });
        fs.writeFileSync(path.join(dir, "template.conf"), conf);
        fs.writeFileSync(path.join(dir, "secret"), SECRET);
        const binary = spawnSync("sh", ["-c", "command -v turnserver"], { encoding: "utf8" }).stdout.trim();
        const script = coturnStartScript({ template: path.join(dir, "template.conf"), secret: path.join(dir, "secret"), rendered: path.join(dir, "turnserver.conf"), binary });
        fs.writeFileSync(path.join(dir, "start.sh"), script);
        coturn = procs.start("sh", [path.join(dir, "start.sh")], { env: { ...process.env, RELAY_IP: "127.0.0.1" } });
        const ready = await until(async () => {
            const c = await TurnClient.open({ address: "127.0.0.1", port });
            try {
                const r = await Promise.race([c.allocate("x", "y"), new Promise<never>((_, rej) => setTimeout(() => rej(new Error("t")), 400))]);
                return r.error?.code === 401;
            } finally {
                c.close();
            }
        }, 15000, 300);
        assert.ok(ready, `coturn did not answer:\n${procs.output(coturn)}`);
    });

    after(async () => {
        for (const c of clients) c.close();
        await procs.stopAll();
        if (dir) fs.rmSync(dir, { recursive: true, force: true });
    });

    it("the start script appended the secret and the relay address to the template", () => {
        const rendered = fs.readFileSync(path.join(dir, "turnserver.conf"), "utf8");
        assert.match(rendered, new RegExp(`^static-auth-secret=${SECRET}$`, "m"));
        assert.match(rendered, /^relay-ip=127\.0\.0\.1$/m);
        assert.doesNotMatch(fs.readFileSync(path.join(dir, "template.conf"), "utf8"), /^static-auth-secret/m);
    });

    it("Synapse-style credentials allocate relays inside the contract's relay range", async () => {
        for (let i = 0; i < 3; i++) {
            const { username, password } = synapseTurnCredentials(SECRET, USER, now() + 3600);
            const r = await (await client()).allocate(username, password);
            assert.ok(r.success, `allocation refused: ${JSON.stringify(r.error)}\n${procs.output(coturn!)}`);
            assert.equal(r.relayed?.address, "127.0.0.1");
            assert.ok(r.relayed!.port >= CALL_PORTS.turnRelay.from && r.relayed!.port <= CALL_PORTS.turnRelay.to, `relay port ${r.relayed!.port} outside ${JSON.stringify(CALL_PORTS.turnRelay)}`);
        }
    });

    it("relays data both ways between the client and an allowed loopback peer", async () => {
        const peer = dgram.createSocket("udp4");
        await new Promise<void>((r) => peer.bind(0, PEER, r));
        try {
            const peerAddr = { address: PEER, port: peer.address().port };
            const c = await client();
            const { username, password } = synapseTurnCredentials(SECRET, USER, now() + 3600);
            const alloc = await c.allocate(username, password);
            assert.ok(alloc.success);
            const perm = await c.createPermission(peerAddr);
            assert.ok(perm.success, `permission refused: ${JSON.stringify(perm.error)}`);
            const got = new Promise<{ msg: Buffer; from: dgram.RemoteInfo }>((resolve) => peer.once("message", (msg, from) => resolve({ msg, from })));
            c.send(peerAddr, Buffer.from("hello peer"));
            const { msg, from } = await got;
            assert.equal(msg.toString(), "hello peer");
            assert.deepEqual({ address: from.address, port: from.port }, alloc.relayed);
            peer.send(Buffer.from("hello client"), from.port, from.address);
            assert.ok(await until(async () => c.received().some((d) => d.data.toString() === "hello client"), 5000));
        } finally {
            peer.close();
        }
    });

    it("refuses a password made with another secret (401)", async () => {
        const { username, password } = synapseTurnCredentials("not-the-secret", USER, now() + 3600);
        const r = await (await client()).allocate(username, password);
        assert.equal(r.success, false);
        assert.equal(r.error?.code, 401);
    });

    it("refuses an expired username (401)", async () => {
        const { username, password } = synapseTurnCredentials(SECRET, USER, now() - 60);
        const r = await (await client()).allocate(username, password);
        assert.equal(r.success, false);
        assert.equal(r.error?.code, 401);
    });

    it("refuses a permission towards a denied peer (127.0.0.0/8 from Synapse's list) with 403", async () => {
        const c = await client();
        const { username, password } = synapseTurnCredentials(SECRET, USER, now() + 3600);
        assert.ok((await c.allocate(username, password)).success);
        const r = await c.createPermission({ address: DENIED_PEER, port: 9 });
        assert.equal(r.success, false);
        assert.equal(r.error?.code, 403);
    });

    it("stops one user at the plan's user-quota", async () => {
        const user = "@quota:example.org";
        const { username, password } = synapseTurnCredentials(SECRET, user, now() + 3600);
        const results = [];
        for (let i = 0; i <= plan.coturn.userQuota; i++) results.push(await (await client()).allocate(username, password));
        assert.equal(results.filter((r) => r.success).length, plan.coturn.userQuota);
        assert.equal(results[results.length - 1].error?.code, 486);
    });

    it("serves TURN over TLS on the TLS port with the mounted certificate", async () => {
        const subject = await new Promise<string>((resolve, reject) => {
            const s = tls.connect({ host: "127.0.0.1", port: tlsPort, rejectUnauthorized: false }, () => {
                const cn = s.getPeerCertificate().subject?.CN ?? "";
                s.end();
                resolve(String(cn));
            });
            s.once("error", reject);
        });
        assert.equal(subject, "turn.example.org");
    });
});
