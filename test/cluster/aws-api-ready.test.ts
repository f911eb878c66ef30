// The readiness check the Kubernetes provider waits for, against a real HTTPS
// server on 127.0.0.1 with a certificate chain made by openssl: it verifies
// the cluster CA, retries a bounded number of times, and succeeds only on 200.
import { strict as assert } from "assert";
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as https from "https";
import type { AddressInfo } from "net";
import * as os from "os";
import * as path from "path";
import { readyzOnce, waitForReadyz } from "../../components/cluster/aws/api-ready";
import { requireTool } from "./aws-fixtures";

function openssl(dir: string, args: string[]): void {
    const r = spawnSync("openssl", args, { cwd: dir, encoding: "utf8" });
    assert.equal(r.status, 0, r.stderr);
}

/** A CA and a server certificate for 127.0.0.1 signed by it; plus an unrelated CA. */
function makeChain(dir: string): { ca: string; otherCa: string; key: string; cert: string } {
    for (const ca of ["ca", "other"]) {
        openssl(dir, ["req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", `${ca}.key`, "-out", `${ca}.crt`, "-days", "1", "-subj", `/CN=${ca}`]);
    }
    openssl(dir, ["req", "-newkey", "rsa:2048", "-nodes", "-keyout", "server.key", "-out", "server.csr", "-subj", "/CN=127.0.0.1"]);
    fs.writeFileSync(path.join(dir, "san.ext"), "subjectAltName=IP:127.0.0.1\n");
    openssl(dir, ["x509", "-req", "-in", "server.csr", "-CA", "ca.crt", "-CAkey", "ca.key", "-CAcreateserial", "-out", "server.crt", "-days", "1", "-extfile", "san.ext"]);
    const read = (f: string) => fs.readFileSync(path.join(dir, f), "utf8");
    return { ca: read("ca.crt"), otherCa: read("other.crt"), key: read("server.key"), cert: read("server.crt") };
}

describe("aws cluster: the API readiness gate", function () {
    this.timeout(30000);
    let dir: string;
    let server: https.Server | undefined;
    let url = "";
    let chain: ReturnType<typeof makeChain>;
    // /readyz answers 500 until `readyAfter` requests were made, then 200.
    let requests = 0;
    let readyAfter = 0;

    before(async function () {
        requireTool(this, "openssl");
        dir = fs.mkdtempSync(path.join(os.tmpdir(), "matrix-readyz-"));
        chain = makeChain(dir);
        server = https.createServer({ key: chain.key, cert: chain.cert }, (req, res) => {
            requests++;
            res.statusCode = req.url === "/readyz" && requests > readyAfter ? 200 : 500;
            res.end(res.statusCode === 200 ? "ok" : "[-]etcd failed");
        });
        await new Promise<void>((r) => (server as https.Server).listen(0, "127.0.0.1", r));
        url = `https://127.0.0.1:${(server.address() as AddressInfo).port}`;
    });
    after(async () => {
        if (server) await new Promise((r) => (server as https.Server).close(r));
        if (dir) fs.rmSync(dir, { recursive: true, force: true });
    });
    beforeEach(() => {
        requests = 0;
    });

    it("waits through not-ready answers and returns on the first 200", async () => {
        readyAfter = 2;
        assert.equal(await readyzOnce(url, chain.ca), 500);
        requests = 0;
        assert.equal(await waitForReadyz({ url, caCertPem: chain.ca, attempts: 5, intervalMs: 10 }), 3);
    });

    it("gives up after its bounded attempts, saying why", async () => {
        readyAfter = 100;
        await assert.rejects(waitForReadyz({ url, caCertPem: chain.ca, attempts: 3, intervalMs: 10 }), /not ready after 3 attempts \(last: HTTP 500\)/);
        assert.equal(requests, 3);
    });

    it("refuses an API whose certificate the cluster CA did not sign", async () => {
        readyAfter = 0;
        await assert.rejects(waitForReadyz({ url, caCertPem: chain.otherCa, attempts: 2, intervalMs: 10 }), /not ready after 2 attempts \(last: .*(self.signed|unable to verify|certificate)/i);
        assert.equal(requests, 0, "no request may reach an unverified server");
    });
});
