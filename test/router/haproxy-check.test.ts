import * as assert from "node:assert/strict";
import { computePlan, TIER_CCUS } from "../../sizing";
import { haproxyConfig, type RouterSettings } from "../../components/router/haproxy";
import { buildTopology } from "../../components/synapse/topology";
import { checkConfig } from "../../tools/loopback/haproxy";
import { requireBinary } from "../helpers/binaries";

const settings = (maxBodyBytes: number): RouterSettings => ({ maxBodyBytes, trustedProxies: ["10.0.0.0/8"], adminNetworks: ["10.20.0.0/16"] });

describe("haproxy -c accepts the generated router config", () => {
    before(function () {
        requireBinary(this, "haproxy");
    });
    for (const ccu of TIER_CCUS) {
        for (const federation of [false, true]) {
            it(`${ccu} CCU, federation ${federation ? "on" : "off"}`, () => {
                const plan = computePlan({ ccu, federation });
                const cfg = haproxyConfig(buildTopology(plan), settings(plan.synapse.maxUploadBytes));
                const r = checkConfig(cfg);
                assert.ok(r.ok, r.output);
                // Every pool with routes is addressed pod by pod, never via one ClusterIP name.
                assert.match(cfg, /server-template synchrotron \d+ _http\._tcp\.synapse-synchrotron\.matrix\.svc\.cluster\.local .*resolvers kube/);
                assert.equal(/server-template synchrotron (\d+) /.exec(cfg)?.[1], String(plan.synapse.workers.synchrotron.maxReplicas));
                assert.doesNotMatch(cfg, /:9093|:9000/);
            });
        }
    }

    it("rejects a config haproxy would not accept (the check can fail)", () => {
        assert.equal(checkConfig("frontend x\n    bind 127.0.0.1:notaport\n").ok, false);
    });
});

describe("test mode changes only where servers come from", () => {
    it("has the same frontend rules and backend balancing with static servers as with DNS discovery", () => {
        const plan = computePlan({ ccu: 20000, federation: true });
        const topo = buildTopology(plan);
        const s = settings(plan.synapse.maxUploadBytes);
        const pools = Object.fromEntries(topo.pools.map((p) => [p.def.type, (p.def.scalable ? [1, 2, 3] : p.instances).map((_, i) => `127.0.0.1:${10000 + i}`)]));
        const dns = haproxyConfig(topo, s);
        const fixed = haproxyConfig(topo, { ...s, staticServers: { main: "127.0.0.1:9999", pools } });
        // Everything but server lines and the resolvers section (which only DNS mode needs).
        const logic = (cfg: string) =>
            cfg
                .replace(/resolvers kube\n(    .*\n)*\n/, "")
                .split("\n")
                .filter((l) => !/^\s+(server|server-template) /.test(l))
                .join("\n");
        assert.equal(logic(fixed), logic(dns));
        assert.match(dns, /server-template/);
        assert.doesNotMatch(fixed, /server-template|resolvers/);
    });
});
