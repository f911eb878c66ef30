import { strict as assert } from "assert";
import { groupsOf, ingressRules, INTERNET_V4, INTERNET_V6, publicPorts, unexpectedInternetRules, type IngressRule } from "../../components/cluster/aws/security";
import { CALL_PORTS } from "../../components/contracts";
import { options } from "./aws-fixtures";

function portsOverlap(r: IngressRule, from: number, to: number): boolean {
    return r.protocol !== "icmp" && r.fromPort <= to && from <= r.toPort;
}

describe("aws node pools: security-group rule model", () => {
    {
        for (const edgeHttp of [false, true]) {
            const opts = options({ edgeHttp });
            const rules = ingressRules(opts);
            const label = `edgeHttp ${edgeHttp}`;

            it(`opens exactly the public ports written here to the internet (${label})`, () => {
                // The oracle is this literal table, not publicPorts(): HTTPS (and HTTP only with edgeHttp) on the edge
                // load balancer; TURN 3478 UDP/TCP and 5349 TLS, LiveKit ICE/TCP 7881, LiveKit UDP 50000-59999 and the
                // TURN relay range 60000-65535 on the call servers.
                const expected = [
                    "edgeLb tcp 443-443",
                    ...(edgeHttp ? ["edgeLb tcp 80-80"] : []),
                    "calls udp 3478-3478",
                    "calls tcp 3478-3478",
                    "calls tcp 5349-5349",
                    "calls tcp 7881-7881",
                    "calls udp 50000-59999",
                    "calls udp 60000-65535",
                ].sort();
                for (const world of [INTERNET_V4, INTERNET_V6]) {
                    const open = rules.filter((r) => "cidr" in r.source && r.source.cidr === world).map((r) => `${r.group} ${r.protocol} ${r.fromPort}-${r.toPort}`);
                    assert.deepEqual(open.sort(), expected, world);
                }
                assert.deepEqual(unexpectedInternetRules(rules, publicPorts(opts)), []);
                const internet = rules.filter((r) => "cidr" in r.source && [INTERNET_V4, INTERNET_V6].includes(r.source.cidr));
                // Federation arrives on 443 through .well-known delegation: 8448 stays closed.
                assert.equal(internet.some((r) => r.fromPort === 8448), false);
                assert.equal(internet.some((r) => r.fromPort === 80), edgeHttp);
            });

            it(`keeps the API, etcd, kubelet, SSH and LI private (${label})`, () => {
                const reaching = (from: number, to: number) => rules.filter((r) => portsOverlap(r, from, to));
                // No SSH anywhere: administration is through SSM.
                assert.deepEqual(reaching(22, 22), []);
                for (const r of reaching(2379, 2380)) assert.deepEqual(r.source, { group: "controlPlane" });
                for (const r of reaching(6443, 6443)) {
                    assert.ok(
                        ("group" in r.source && ["nodes", "apiLb"].includes(r.source.group)) || ("cidr" in r.source && opts.adminCidrs.includes(r.source.cidr)),
                        JSON.stringify(r),
                    );
                }
                for (const r of reaching(10250, 10250)) assert.deepEqual(r.source, { group: "nodes" });
                for (const r of rules.filter((x) => x.group === "li" && "cidr" in x.source)) {
                    assert.ok("cidr" in r.source && opts.liAdminCidrs.includes(r.source.cidr));
                }
                // The VXLAN overlay carries every pod's traffic: only nodes may inject into it.
                for (const r of reaching(8472, 8472).filter((x) => x.protocol === "udp")) assert.deepEqual(r.source, { group: "nodes" });
            });
        }
    }

    it("detects a rule that opens an internal port to the internet (the check can fail)", () => {
        const opts = options();
        const bad: IngressRule = { group: "nodes", protocol: "tcp", fromPort: 10250, toPort: 10250, source: { cidr: INTERNET_V6 }, description: "oops" };
        assert.deepEqual(unexpectedInternetRules([...ingressRules(opts), bad], publicPorts(opts)), [bad]);
    });

    it("keeps LiveKit's and coturn's UDP ranges apart (they share call servers at 100 CCU)", () => {
        assert.ok(CALL_PORTS.turnRelay.to < CALL_PORTS.livekitUdp.from || CALL_PORTS.livekitUdp.to < CALL_PORTS.turnRelay.from);
    });

    it("puts only the right roles into the special groups", () => {
        assert.deepEqual(groupsOf("controlPlane"), ["nodes", "controlPlane"]);
        assert.deepEqual(groupsOf("database"), ["nodes"]);
        assert.deepEqual(groupsOf("calls"), ["nodes", "calls"]);
        assert.deepEqual(groupsOf("li"), ["nodes", "li"]);
    });
});
