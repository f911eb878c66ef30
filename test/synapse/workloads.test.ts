import * as assert from "node:assert/strict";
import * as YAML from "yaml";
import { computePlan, TIER_CCUS } from "../../sizing";
import { ROLE_LABEL } from "../../components/contracts";
import { synapseConfigFiles } from "../../components/synapse/homeserver";
import { buildTopology } from "../../components/synapse/topology";
import { CHECKSUM_ANNOTATION, mainProcess, poolProcess, type WorkloadInputs } from "../../components/synapse/workloads";
import { SETTINGS } from "../fixtures/synapse-settings";

const W: WorkloadInputs = {
    image: "registry.example/synapse:v1.157.1",
    checksum: "abc",
    postgresPassword: { name: "synapse-db-app", key: "password" },
    redisPassword: { name: "redis-synapse", key: "password" },
    mediaCredentialsSecret: "synapse-media-s3",
    mediaCacheGiB: 20,
};

describe("Synapse workload specs", () => {
    for (const ccu of TIER_CCUS) {
        it(`${ccu} CCU: one workload per pool with the plan's replicas, sizes and autoscaling bounds`, () => {
            const plan = computePlan({ ccu, federation: true });
            const topo = buildTopology(plan);
            const files = synapseConfigFiles(plan, topo, SETTINGS);
            const specs = [mainProcess(plan.synapse.main, W), ...topo.pools.map((p) => poolProcess(p, W))];
            assert.equal(specs[0].kind, "StatefulSet");
            assert.equal(specs[0].replicas, 1);
            for (const pool of topo.pools) {
                const s = specs.find((x) => x.name === pool.def.name)!;
                const wp = plan.synapse.workers[pool.def.type];
                if (pool.def.scalable) {
                    assert.equal(s.kind, "Deployment");
                    assert.deepEqual(s.hpa, { min: wp.count, max: wp.maxReplicas });
                } else {
                    assert.equal(s.kind, "StatefulSet");
                    assert.equal(s.replicas, wp.count);
                    assert.equal(s.hpa, undefined);
                    // Each pod of the StatefulSet finds its own worker file: Kubernetes expands $(POD_NAME) to <pool>-<ordinal>.
                    const cmd = ((s.pod.spec.containers as any[])[0].command as string[]).join(" ");
                    assert.match(cmd, /\$\(POD_NAME\)/);
                    for (const name of pool.instances) {
                        const file = /--config-path \/conf\/(\S+)$/.exec(cmd.split("$(POD_NAME)").join(name))![1];
                        assert.ok(files[file], `${name} would read /conf/${file}, which the ConfigMap lacks`);
                        assert.equal(YAML.parse(files[file]).worker_name, name);
                    }
                }
                const c = (s.pod.spec.containers as any[])[0];
                assert.equal(c.resources.requests.cpu, `${Math.round(wp.cpu * 1000)}m`);
                assert.equal(c.resources.requests.memory, `${Math.round(wp.memoryGiB * 1024)}Mi`);
                assert.equal(c.resources.limits.memory, c.resources.requests.memory);
                assert.equal((s.pod.spec.nodeSelector as any)[ROLE_LABEL], "app");
                assert.ok((s.pod.spec.affinity as any).podAntiAffinity);
                assert.equal((s.pod.metadata.annotations as any)[CHECKSUM_ANNOTATION], "abc");
                // Secrets only by reference; object-store credentials only where the media repository runs.
                for (const e of c.env) assert.equal(e.value, undefined, e.name);
                assert.equal(Boolean(c.envFrom), pool.def.type === "mediaRepository", pool.def.type);
                const ports = (c.ports as any[]).map((p) => p.name);
                assert.equal(ports.includes("replication"), pool.def.streams.length > 0, pool.def.type);
            }
        });
    }

    it("keeps every stateful name independent of the tier (a tier change never renames or replaces a StatefulSet)", () => {
        const names = (ccu: number) =>
            new Map(buildTopology(computePlan({ ccu, federation: true })).pools.filter((p) => !p.def.scalable).map((p) => [p.def.name, p.instances] as const));
        for (const a of TIER_CCUS) {
            for (const b of TIER_CCUS) {
                const [na, nb] = [names(a), names(b)];
                for (const [pool, inst] of na) {
                    const other = nb.get(pool);
                    if (!other) continue;
                    const shared = Math.min(inst.length, other.length);
                    assert.deepEqual(inst.slice(0, shared), other.slice(0, shared), `${a} -> ${b}: ${pool}`);
                }
            }
        }
    });
});

describe("autoscaled pool start command", () => {
    it("renders the pool's worker file with the pod's own name before exec'ing Synapse (run with sh and a stand-in python)", function () {
        const fs = require("node:fs") as typeof import("node:fs");
        const os = require("node:os") as typeof import("node:os");
        const path = require("node:path") as typeof import("node:path");
        const { spawnSync } = require("node:child_process") as typeof import("node:child_process");
        const YAML = require("yaml") as typeof import("yaml");
        const plan = computePlan({ ccu: 1000, federation: false });
        const topo = buildTopology(plan);
        const files = synapseConfigFiles(plan, topo, SETTINGS);
        const pool = topo.pools.find((p) => p.def.type === "synchrotron")!;
        const c = (poolProcess(pool, W).pod.spec.containers as any[])[0];
        assert.deepEqual(c.command, ["/bin/sh", "-c"]);
        const dir = fs.mkdtempSync(path.join(os.tmpdir(), "synapse-cmd-"));
        try {
            fs.mkdirSync(path.join(dir, "conf"));
            fs.mkdirSync(path.join(dir, "bin"));
            for (const [k, v] of Object.entries(files)) fs.writeFileSync(path.join(dir, "conf", k), v);
            // Stand-in for python: prints the config paths it was given.
            fs.writeFileSync(path.join(dir, "bin", "python"), '#!/bin/sh\necho "$@"\n', { mode: 0o755 });
            const script = (c.args[0] as string).split("/conf/").join(`${dir}/conf/`).split("/tmp/worker.yaml").join(`${dir}/worker.yaml`);
            const r = spawnSync("/bin/sh", ["-c", script], { encoding: "utf8", env: { PATH: `${dir}/bin:/usr/bin:/bin`, POD_NAME: "synapse-synchrotron-7d9f-x2k4q" } });
            assert.equal(r.status, 0, r.stderr);
            assert.match(r.stdout, /synapse\.app\.generic_worker --config-path .*homeserver\.yaml --config-path .*worker\.yaml/);
            const rendered = YAML.parse(fs.readFileSync(path.join(dir, "worker.yaml"), "utf8"));
            assert.equal(rendered.worker_name, "synapse-synchrotron-7d9f-x2k4q");
            assert.equal(rendered.database.args.cp_max, plan.synapse.workers.synchrotron.cpMax);
        } finally {
            fs.rmSync(dir, { recursive: true, force: true });
        }
    });
});
