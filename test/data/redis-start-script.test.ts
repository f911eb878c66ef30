// The Redis pod's start script decides master or replica from what Sentinel
// says; run it with sh and stand-ins for redis-cli/redis-server to check each
// decision (a pod returning after a failover must not become a second master).
import { strict as assert } from "assert";
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { configData } from "../../components/data/redis/manifests";
import { computePlan } from "../../sizing";
import { requireBinaries } from "../helpers/procs";

const inputs = {
    group: "synapse",
    namespace: "matrix",
    plan: computePlan({ ccu: 100, federation: false }).redis.synapse,
    storageClass: "matrix-ssd",
    volumeGiB: 6,
    downAfterMs: 5000,
    failoverTimeoutMs: 30000,
};
const fqdn = (o: number) => `redis-synapse-${o}.redis-synapse-nodes.matrix.svc.cluster.local`;

function runScript(podOrdinal: number, sentinelAnswer: string | undefined): string {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "redis-start-"));
    try {
        const bin = path.join(dir, "bin");
        fs.mkdirSync(bin);
        const stub = (name: string, body: string) => fs.writeFileSync(path.join(bin, name), `#!/bin/sh\n${body}\n`, { mode: 0o755 });
        stub("redis-cli", sentinelAnswer === undefined ? "exit 1" : `echo "${sentinelAnswer}"; echo 6379`);
        stub("redis-server", 'echo "redis-server $*"');
        stub("sleep", "exit 0");
        const script = path.join(dir, "start.sh");
        fs.writeFileSync(script, configData(inputs)["start-redis.sh"]!);
        const r = spawnSync("sh", [script], {
            encoding: "utf8",
            env: { PATH: `${bin}:/usr/bin:/bin`, REDIS_PASSWORD: "x", POD_NAME: `redis-synapse-${podOrdinal}`, POD_FQDN: fqdn(podOrdinal) },
            timeout: 10000,
        });
        assert.equal(r.status, 0, r.stderr);
        return r.stdout.trim();
    } finally {
        fs.rmSync(dir, { recursive: true, force: true });
    }
}

describe("Redis start script decisions", () => {
    before(function () {
        requireBinaries(this, ["sh"]);
    });
    it("first start, nobody knows a master: pod 0 is master, the others replicate pod 0", () => {
        assert.doesNotMatch(runScript(0, undefined), /--replicaof/);
        assert.match(runScript(1, undefined), new RegExp(`--replicaof ${fqdn(0)} 6379$`));
    });
    it("pod 0 returning after a failover follows the master Sentinel reports", () => {
        assert.match(runScript(0, fqdn(2)), new RegExp(`--replicaof ${fqdn(2)} 6379$`));
    });
    it("the pod Sentinel names as master starts as master", () => {
        assert.doesNotMatch(runScript(2, fqdn(2)), /--replicaof/);
    });
    it("announces its stable DNS name, not its IP", () => {
        assert.match(runScript(1, fqdn(0)), new RegExp(`--replica-announce-ip ${fqdn(1)}`));
    });
});

describe("Sentinel start script", () => {
    before(function () {
        requireBinaries(this, ["sh", "sed"]);
    });

    function runSentinel(sentinelAnswer: string | undefined): { args: string; conf: string } {
        const dir = fs.mkdtempSync(path.join(os.tmpdir(), "sentinel-start-"));
        try {
            const bin = path.join(dir, "bin");
            fs.mkdirSync(bin);
            const stub = (name: string, body: string) => fs.writeFileSync(path.join(bin, name), `#!/bin/sh\n${body}\n`, { mode: 0o755 });
            stub("redis-cli", sentinelAnswer === undefined ? "exit 1" : `echo "${sentinelAnswer}"; echo 6379`);
            stub("redis-sentinel", 'echo "redis-sentinel $*"');
            stub("sleep", "exit 0");
            const data = configData(inputs);
            fs.writeFileSync(path.join(dir, "sentinel.conf"), data["sentinel.conf"]!);
            fs.writeFileSync(path.join(dir, "auth.conf"), "sentinel auth-pass synapse x\nrequirepass x\n");
            fs.writeFileSync(path.join(dir, "start.sh"), data["start-sentinel.sh"]!);
            const conf = path.join(dir, "out.conf");
            const r = spawnSync("sh", [path.join(dir, "start.sh")], {
                encoding: "utf8",
                env: {
                    PATH: `${bin}:/usr/bin:/bin`,
                    REDIS_PASSWORD: "x",
                    POD_FQDN: "redis-synapse-sentinel-1.redis-synapse-sentinel-nodes.matrix.svc.cluster.local",
                    SENTINEL_TEMPLATE: path.join(dir, "sentinel.conf"),
                    SENTINEL_CONF: conf,
                    SENTINEL_AUTH: path.join(dir, "auth.conf"),
                },
                timeout: 10000,
            });
            assert.equal(r.status, 0, r.stderr);
            return { args: r.stdout.trim(), conf: fs.readFileSync(conf, "utf8") };
        } finally {
            fs.rmSync(dir, { recursive: true, force: true });
        }
    }

    it("monitors the master the other Sentinels report, not pod 0, and appends announce and auth lines", () => {
        const { args, conf } = runSentinel(fqdn(2));
        assert.match(args, /^redis-sentinel \S+out\.conf$/);
        const monitor = conf.split("\n").filter((l) => l.startsWith("sentinel monitor"));
        assert.deepEqual(monitor, [`sentinel monitor synapse ${fqdn(2)} 6379 2`]);
        assert.match(conf, /^sentinel announce-ip redis-synapse-sentinel-1\.redis-synapse-sentinel-nodes\.matrix\.svc\.cluster\.local$/m);
        assert.match(conf, /^sentinel auth-pass synapse x$/m);
        assert.match(conf, /^sentinel down-after-milliseconds synapse 5000$/m);
    });

    it("falls back to pod 0 when no Sentinel answers (first start)", () => {
        const { conf } = runSentinel(undefined);
        assert.match(conf, new RegExp(`^sentinel monitor synapse ${fqdn(0).replace(/\./g, "\\.")} 6379 2$`, "m"));
    });
});
