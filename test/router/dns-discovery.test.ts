// DNS service discovery for real: the generated config's server-templates
// resolve the autoscaled pools' SRV records (as Kubernetes publishes them for a
// headless Service) from a stand-in DNS server on loopback. Pods appear and
// disappear the way an HPA adds and removes them; traffic follows.
import * as assert from "node:assert/strict";
import { computePlan, type WorkerType } from "../../sizing";
import { haproxyConfig, srvName } from "../../components/router/haproxy";
import { buildTopology } from "../../components/synapse/topology";
import { startFakeDns, type FakeDns, type SrvTarget } from "../../tools/loopback/dns";
import { startHaproxy, type RunningHaproxy } from "../../tools/loopback/haproxy";
import { send } from "../../tools/loopback/request";
import { startStub, type Stub } from "../../tools/loopback/stubs";
import { requireBinary } from "../helpers/binaries";
import { freePorts } from "../helpers/ports";

async function waitFor<T>(what: string, fn: () => Promise<T | undefined>, timeoutMs = 40000): Promise<T> {
    const deadline = Date.now() + timeoutMs;
    for (let i = 0; Date.now() < deadline && i < 2000; i++) {
        const v = await fn();
        if (v !== undefined) return v;
        await new Promise((res) => setTimeout(res, 250));
    }
    throw new Error(`timed out waiting for ${what}`);
}

describe("router DNS service discovery (real haproxy, stand-in cluster DNS)", function () {
    this.timeout(180000);
    const plan = computePlan({ ccu: 1000, federation: false });
    const topo = buildTopology(plan);
    const sync = topo.pools.find((p) => p.def.type === "synchrotron")!;
    let dns: FakeDns | undefined;
    let haproxy: RunningHaproxy | undefined;
    const stubs: Stub[] = [];
    let port = 0;
    const syncStubs: Stub[] = [];
    const target = (s: Stub, i: number): SrvTarget => ({ target: `10-0-0-${i + 1}.synapse-synchrotron.matrix.svc.cluster.local`, port: s.port, address: "127.0.0.1" });

    before(async function () {
        requireBinary(this, "haproxy");
        dns = await startFakeDns();
        const start = async (name: string) => {
            const s = await startStub(name);
            stubs.push(s);
            return s;
        };
        const main = await start("main");
        const pools: Partial<Record<WorkerType, string[]>> = {};
        // Everything but the synchrotrons is fixed; the synchrotrons come from DNS.
        for (const p of topo.pools) {
            if (p.def.type === "synchrotron") continue;
            const n = p.def.scalable ? 2 : p.instances.length;
            pools[p.def.type] = [];
            for (let i = 0; i < n; i++) pools[p.def.type]!.push((await start(`${p.def.type}#${i}`)).address);
        }
        for (let i = 0; i < 3; i++) syncStubs.push(await start(`synchrotron#${i}`));
        dns.setSrv(srvName(sync, topo), syncStubs.slice(0, 2).map(target));
        const [p, health, metricsPort] = await freePorts(3);
        port = p;
        const cfg = haproxyConfig(topo, {
            maxBodyBytes: plan.synapse.maxUploadBytes,
            trustedProxies: ["127.0.0.1/32"],
            adminNetworks: [],
            bindAddress: "127.0.0.1",
            port,
            healthPort: health,
            metricsPort,
            staticServers: { main: main.address, pools },
            nameservers: [`127.0.0.1:${dns.port}`],
        });
        assert.match(cfg, new RegExp(`server-template synchrotron ${plan.synapse.workers.synchrotron.maxReplicas} ${srvName(sync, topo).replace(/\./g, "\\.")}`));
        haproxy = await startHaproxy(cfg, `http://127.0.0.1:${health}/`);
    });
    after(async () => {
        await haproxy?.stop();
        await dns?.stop();
        await Promise.all(stubs.map((s) => s.stop()));
    });

    const TOKENS = Array.from({ length: 60 }, (_, i) => `syt_ZG5z${i}_tok_${i * 31}`);
    const owners = async () => {
        const m = new Map<string, string>();
        for (const t of TOKENS) m.set(t, (await send(port, "GET", "/_matrix/client/v3/sync?timeout=0", { authorization: `Bearer ${t}` })).stub!);
        return m;
    };
    const seen = (m: Map<string, string>) => new Set(m.values());

    it("finds the pods the SRV record lists, and only those", async () => {
        const m = await waitFor("both resolved synchrotrons to get traffic", async () => {
            const o = await owners();
            return seen(o).size === 2 && !seen(o).has("main") ? o : undefined;
        });
        assert.deepEqual([...seen(m)].sort(), ["synchrotron#0", "synchrotron#1"]);
        assert.ok(dns!.queries() > 0);
    });

    it("sends users to a pod the HPA adds, moving only the users it takes over", async () => {
        const before = await owners();
        dns!.setSrv(srvName(sync, topo), syncStubs.map(target));
        const after = await waitFor("the new synchrotron to get traffic", async () => {
            const o = await owners();
            return seen(o).has("synchrotron#2") ? o : undefined;
        });
        for (const t of TOKENS) {
            if (after.get(t) !== "synchrotron#2") assert.equal(after.get(t), before.get(t), `${t} moved between two pods that both stayed`);
        }
    });

    it("stops sending to a pod whose record disappears", async () => {
        dns!.setSrv(srvName(sync, topo), [syncStubs[0], syncStubs[2]].map((s) => target(s, syncStubs.indexOf(s))));
        const after = await waitFor("the removed synchrotron to get no traffic", async () => {
            const o = await owners();
            return !seen(o).has("synchrotron#1") ? o : undefined;
        });
        assert.deepEqual([...seen(after)].sort(), ["synchrotron#0", "synchrotron#2"]);
    });
});
