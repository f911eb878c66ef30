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
                assert.match(cfg, /server-template synchrotron \d+ synapse-synchrotron\.matrix\.svc\.cluster\.local:8008 .*resolvers kube/);
                assert.equal(/server-template synchrotron (\d+) /.exec(cfg)?.[1], String(plan.synapse.workers.synchrotron.maxReplicas));
                assert.doesNotMatch(cfg, /:9093|:9000/);
            });
        }
    }

    it("rejects a config haproxy would not accept (the check can fail)", () => {
        assert.equal(checkConfig("frontend x\n    bind 127.0.0.1:notaport\n").ok, false);
    });
});
