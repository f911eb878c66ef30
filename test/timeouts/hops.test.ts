// Every hop of an HTTP request (edge Envoy, HAProxy router, Synapse's
// listener) lets the longest request the plan allows finish: a /sync long-poll
// or an upload of max_upload_size at the slowest supported client speed.
import * as assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import * as path from "node:path";
import { HTTP_REQUEST_TIMEOUT_SECONDS, longestRequestSeconds, MIN_CLIENT_UPLOAD_BPS, SYNC_LONG_POLL_SECONDS } from "../../components/contracts";
import { edgeObjects, type EdgeSettings } from "../../components/edge/objects";
import { haproxyConfig } from "../../components/router/haproxy";
import { buildTopology } from "../../components/synapse/topology";
import { computePlan, TIER_CCUS } from "../../sizing";
import { crdValidator } from "../helpers/crds";
import { requireTool, venvProgram } from "../helpers/tools";

/** Gateway API / HAProxy durations in seconds ("900s", "15m", "1h30m", "250ms"). */
function seconds(d: string): number {
    const unit: Record<string, number> = { h: 3600, m: 60, s: 1, ms: 0.001 };
    let total = 0;
    const re = /(\d+)(ms|h|m|s)/g;
    let m: RegExpExecArray | null;
    let seen = "";
    while ((m = re.exec(d)) !== null) {
        total += Number(m[1]) * unit[m[2]];
        seen += m[0];
    }
    assert.equal(seen, d, `not a duration: ${d}`);
    return total;
}

const settings: EdgeSettings = {
    namespace: "matrix",
    serverName: "example.org",
    matrixHost: "matrix.example.org",
    elementHost: "element.example.org",
    adminNetworks: [],
    tls: { mode: "internalCa" },
    gatewayClassName: "envoy-gateway",
    router: { service: "synapse-router", port: 8008 },
    element: { service: "element-web", port: 8080 },
};

/** Every plan the program can deploy at the tiers (upload size is per tier). */
const plans = TIER_CCUS.map((ccu) => computePlan({ ccu, federation: false }));
const longest = Math.max(...plans.map((p) => longestRequestSeconds(p.synapse.maxUploadBytes)));

describe("request timeouts on every hop", () => {
    it("the longest request: a 30 s /sync or max_upload_size at the slowest client speed, plus processing", () => {
        for (const p of plans) {
            const upload = (p.synapse.maxUploadBytes * 8) / MIN_CLIENT_UPLOAD_BPS;
            assert.ok(longestRequestSeconds(p.synapse.maxUploadBytes) >= Math.max(upload, SYNC_LONG_POLL_SECONDS), `${p.ccu} CCU`);
        }
        // 100 MB at 1 Mbit/s is 800 s.
        assert.ok(longest >= 800);
        assert.ok(HTTP_REQUEST_TIMEOUT_SECONDS >= longest, `the shared timeout ${HTTP_REQUEST_TIMEOUT_SECONDS}s is below the longest request ${longest}s`);
    });

    it("edge: every routed rule and the client side allow the longest request (Envoy's default would cut at 15 s)", () => {
        const objs = edgeObjects(settings) as any[];
        const routes = objs.filter((o) => o.kind === "HTTPRoute");
        let routed = 0;
        for (const r of routes) {
            for (const rule of r.spec.rules) {
                if (!rule.backendRefs) continue;
                routed++;
                assert.ok(rule.timeouts, `HTTPRoute ${r.metadata.name}: no timeouts (Envoy Gateway's default is 15 s)`);
                assert.ok(seconds(rule.timeouts.request) >= longest, `${r.metadata.name} request ${rule.timeouts.request}`);
                assert.ok(seconds(rule.timeouts.backendRequest) >= longest, `${r.metadata.name} backendRequest ${rule.timeouts.backendRequest}`);
                assert.ok(seconds(rule.timeouts.backendRequest) <= seconds(rule.timeouts.request), "Gateway API: backendRequest <= request");
            }
        }
        assert.ok(routed >= 4);
        const ctp = objs.filter((o) => o.kind === "ClientTrafficPolicy");
        assert.equal(ctp.length, 1);
        assert.deepEqual(ctp[0].spec.targetRefs, [{ group: "gateway.networking.k8s.io", kind: "Gateway", name: "matrix" }]);
        const http = ctp[0].spec.timeout.http;
        assert.ok(seconds(http.requestReceivedTimeout) >= longest);
        // Defaults we rely on: Envoy's stream idle timeout (5 min) exceeds any silence of a legitimate request.
        assert.ok(http.streamIdleTimeout === undefined || seconds(http.streamIdleTimeout) >= SYNC_LONG_POLL_SECONDS);
    });

    it("edge: the timeout objects are valid for Envoy Gateway's CRDs", function () {
        const validate = crdValidator("envoy-gateway-v1.9.0/gateway.envoyproxy.io_clienttrafficpolicies.yaml", "v1alpha1");
        if (typeof validate === "string") {
            if (process.env.CI) throw new Error(validate);
            console.log(`    skipped: ${validate}`);
            this.skip();
        }
        const ctp = (edgeObjects(settings) as any[]).find((o) => o.kind === "ClientTrafficPolicy");
        assert.deepEqual(validate(ctp), []);
    });

    it("router: HAProxy's client and server inactivity limits allow the longest request; only headers are timed", () => {
        for (const p of plans) {
            const cfg = haproxyConfig(buildTopology(p), { maxBodyBytes: p.synapse.maxUploadBytes, trustedProxies: [], adminNetworks: [] });
            for (const which of ["client", "server"]) {
                const v = new RegExp(`^\\s*timeout ${which} (\\S+)$`, "m").exec(cfg)?.[1];
                assert.ok(v, `timeout ${which}`);
                assert.ok(seconds(v) >= longest, `${p.ccu} CCU: timeout ${which} ${v}`);
            }
            // With http-buffer-request, "timeout http-request" would also time the body (an upload).
            assert.doesNotMatch(cfg, /http-buffer-request/);
        }
    });

    it("Synapse's listener (twisted.web, as the pinned Synapse installs it): only an idle timeout while the request arrives, none while it is handled", function () {
        this.timeout(120_000);
        const python = requireTool(this, venvProgram("synapse", "python"), ".ci/install.d/20-synapse.sh");
        const r = spawnSync(python, [path.join(__dirname, "twisted-idle-proof.py")], { encoding: "utf8", timeout: 90_000 });
        assert.equal(r.status, 0, r.stderr);
        const out = JSON.parse(r.stdout.trim().split("\n").pop()!);
        assert.equal(out.synapseSitePassesTimeout, false, "SynapseSite sets its own timeout: re-check this hop");
        // The idle limit Synapse inherits is longer than any silence of a client that is sending.
        assert.ok(out.defaultIdleSeconds >= 30, `idle ${out.defaultIdleSeconds}s`);
        assert.match(out.longPoll, /^HTTP\/1\.1 200 [\s\S]*late/, "a long-poll outlived 3 idle periods");
        assert.match(out.slowUpload, /^HTTP\/1\.1 200 [\s\S]*got 8/, "a trickling upload outlived 4 idle periods");
        assert.doesNotMatch(out.stalledUpload, /^HTTP\/1\.1 200/, "a stalled upload is cut (the check can fail)");
    });
});
