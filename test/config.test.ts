import * as assert from "assert";
import { ConfigError, isConfigError, parseStackConfig, SecretValue, type StackConfig } from "../config";

const CLUSTER = JSON.stringify({ provider: "existing", context: "kind-dev" });
const BASE = { "matrix:ccu": "100", "matrix:domain": "dev.example.org", "matrix:cluster": CLUSTER };

function problemsOf(raw: Record<string, string>, secretKeys: string[] = []): string[] {
    try {
        parseStackConfig(raw, "matrix", { secretKeys });
    } catch (e) {
        assert.ok(e instanceof ConfigError, `expected ConfigError, got ${e}`);
        assert.ok(isConfigError(e));
        return [...e.problems];
    }
    assert.fail("expected a ConfigError");
}

function one(problems: string[], path: string): string {
    const hits = problems.filter((p) => p.startsWith(`${path}:`));
    assert.strictEqual(hits.length, 1, `expected exactly one problem for ${path} in:\n${problems.join("\n")}`);
    return hits[0];
}

describe("stack config", () => {
    it("fills every default for a minimal config and ignores other namespaces", () => {
        const cfg: StackConfig = parseStackConfig({ ...BASE, "aws:region": "eu-west-1", "pulumi:tags": "{}" });
        assert.deepStrictEqual(JSON.parse(JSON.stringify(cfg)), {
            ccu: 100,
            domain: "dev.example.org",
            federation: false,
            // No registry: images and charts come from their upstream registries.
            images: {},
            cluster: {
                provider: "existing",
                context: "kind-dev",
                storageClasses: { ssd: "matrix-ssd", nvme: "matrix-nvme", hdd: "matrix-hdd" },
            },
            sizing: { ccu: 100, federation: false },
            data: {
                postgres: {},
                redis: { sentinelDownAfterMs: 5000, sentinelFailoverTimeoutMs: 30000, haproxyReplicas: 2, haproxyCheckIntervalMs: 1000 },
                objectStore: { backend: "minio", bucket: "synapse-media", region: "us-east-1" },
            },
            synapse: { image: "ghcr.io/matrix-scale/synapse:v1.163.2-mx1" },
            router: { image: "haproxy:2.6.22", replicas: 2, trustedProxies: ["10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16"] },
            element: { image: "vectorim/element-web:v1.12.32", replicas: 2 },
            edge: { tls: { mode: "internalCa" }, adminNetworks: [], gatewayClassName: "envoy-gateway" },
            controllers: { envoyGatewayVersion: "v1.10.0", certManagerVersion: "v1.17.2", preinstalledCrds: [] },
            monitoring: { alertmanager: {} },
            calls: {
                livekitImage: "livekit/livekit-server:v1.13.5",
                lkJwtServiceImage: "ghcr.io/element-hq/lk-jwt-service:0.4.4",
                coturnImage: "coturn/coturn:4.6.1",
                lkJwtServiceReplicas: 2,
                turnUserLifetime: "1h",
                turnTls: { mode: "internalCa" },
                nodeCidrs: [],
                internalCidrs: [],
            },
            li: {
                enabled: true,
                adminImage: "awesometechnologies/synapse-admin:0.11.1",
                webServerImage: "nginxinc/nginx-unprivileged:1.29.3-alpine",
                proxyImage: "haproxy:2.6.22",
                postgresImage: "postgres:15.17-bookworm",
                hosts: {},
                sync: { schedule: "17 */6 * * *", maxDurationMinutes: 300 },
                keyVault: { port: 8080, storageGiB: 10 },
                accessLogRetentionDays: 365,
                adminCidrs: [],
            },
            backup: {
                postgres: { schedule: "0 0 3 * * *", retention: "30d" },
                media: { schedule: "17 * * * *", holdDays: 30 },
                li: { schedule: "30 3 * * *", retentionDays: 30 },
                keyVault: { schedule: "45 3 * * *", retentionDays: 90 },
                rcloneImage: "rclone/rclone:1.60.1",
            },
            antivirus: { enabled: true, checksPerDay: 12, onError: "reject", timeoutSeconds: 30, image: "clamav/clamav-debian:1.4.3_base" },
        });
    });

    it("maps matrix:sizing to the plan's overrides and federation into the sizing input", () => {
        const cfg = parseStackConfig({
            ...BASE,
            "matrix:federation": "true",
            "matrix:sizing": JSON.stringify({ workers: { synchrotron: 4, eventPersister: 2 }, postgresMaxConnections: 500 }),
        });
        assert.deepStrictEqual(cfg.sizing, {
            ccu: 100,
            federation: true,
            overrides: { workers: { synchrotron: 4, eventPersister: 2 }, postgresMaxConnections: 500 },
        });
    });

    it("defaults the aws variant's zones, networks, families and disks", () => {
        const cfg = parseStackConfig({ ...BASE, "matrix:cluster": JSON.stringify({ provider: "aws", region: "eu-central-1", adminCidrs: ["203.0.113.0/24"] }) });
        assert.deepStrictEqual(cfg.cluster, {
            provider: "aws",
            region: "eu-central-1",
            zones: 3,
            adminCidrs: ["203.0.113.0/24"],
            apiAccess: "public",
            sshCidrs: [],
            sshPublicKeys: [],
            natGateways: "perZone",
            liAdminCidrs: [],
            vpcCidr: "10.40.0.0/16",
            podCidr: "172.20.0.0/16",
            serviceCidr: "172.21.0.0/16",
            rootVolumeGiB: 40,
            families: { controlPlane: "c7i", app: "m7i", database: "m7i", storage: "c7i", calls: "c7i", li: "m7i", monitoring: "m7i" },
            instanceTypes: {},
            databaseVolume: { type: "io2", iops: 12000, throughputMiBps: 500 },
            databaseInstanceStore: false,
            edgeHttp: false,
        });
    });

    it("names a misspelt top-level key and suggests the right one", () => {
        const p = one(problemsOf({ ...BASE, "matrix:federaton": "true" }), "matrix:federaton");
        assert.match(p, /unknown key/);
        assert.match(p, /did you mean matrix:federation\?/);
    });

    it("names a misspelt nested key with its full path", () => {
        const problems = problemsOf({ ...BASE, "matrix:cluster": JSON.stringify({ provider: "aws", region: "eu-central-1", zone: 3 }) });
        assert.match(one(problems, "matrix:cluster.zone"), /did you mean matrix:cluster.zones\?/);
        const deeper = problemsOf({ ...BASE, "matrix:sizing": JSON.stringify({ workers: { synchrotrons: 3 } }) });
        assert.match(one(deeper, "matrix:sizing.workers.synchrotrons"), /did you mean matrix:sizing.workers.synchrotron\?/);
    });

    it("says which provider a key belongs to when it is set for the other", () => {
        const p = one(problemsOf({ ...BASE, "matrix:cluster": JSON.stringify({ provider: "existing", context: "x", region: "eu-west-1" }) }), "matrix:cluster.region");
        assert.match(p, /only applies when provider is "aws"/);
    });

    it("rejects CCU outside 1..20000 and says the guide stops at 20,000", () => {
        for (const ccu of ["0", "20001", "-5"]) {
            const p = one(problemsOf({ ...BASE, "matrix:ccu": ccu }), "matrix:ccu");
            assert.match(p, /out of range/);
            assert.ok(p.includes(`"${ccu}"`), p);
            assert.match(p, /from 1 to 20000/);
            assert.match(p, /the guide sizes deployments up to 20,000 CCU/);
        }
        assert.strictEqual(parseStackConfig({ ...BASE, "matrix:ccu": "20000" }).ccu, 20000);
        assert.strictEqual(parseStackConfig({ ...BASE, "matrix:ccu": "1" }).ccu, 1);
    });

    it("rejects wrong types with the value given and what is allowed", () => {
        assert.match(one(problemsOf({ ...BASE, "matrix:ccu": "lots" }), "matrix:ccu"), /not an integer \(got "lots"\); allowed: an integer/);
        assert.match(one(problemsOf({ ...BASE, "matrix:ccu": "100.5" }), "matrix:ccu"), /not an integer/);
        assert.match(one(problemsOf({ ...BASE, "matrix:federation": "yes" }), "matrix:federation"), /allowed: true or false/);
        assert.match(one(problemsOf({ ...BASE, "matrix:domain": "Not A Domain" }), "matrix:domain"), /not a valid DNS name/);
        assert.match(one(problemsOf({ ...BASE, "matrix:domain": "localhost" }), "matrix:domain"), /at least two labels/);
        assert.match(one(problemsOf({ ...BASE, "matrix:cluster": "{not json" }), "matrix:cluster"), /not valid JSON/);
        assert.match(one(problemsOf({ ...BASE, "matrix:cluster": JSON.stringify({ provider: "gke" }) }), "matrix:cluster.provider"), /one of "existing", "aws"/);
        const cidrs = problemsOf({ ...BASE, "matrix:cluster": JSON.stringify({ provider: "aws", region: "eu-central-1", adminCidrs: ["10.1.2.3/16", "300.0.0.0/8", "2001:db8::/32"] }) });
        assert.match(one(cidrs, "matrix:cluster.adminCidrs[0]"), /did you mean 10.1.0.0\/16\?/);
        assert.match(one(cidrs, "matrix:cluster.adminCidrs[1]"), /not a CIDR block/);
        assert.strictEqual(cidrs.length, 2, cidrs.join("\n"));
        assert.match(one(problemsOf({ ...BASE, "matrix:cluster": JSON.stringify({ provider: "aws", region: "eu-central-1", zones: 1 }) }), "matrix:cluster.zones"), /out of range \(got 1\)/);
    });

    it("reports every problem at once, one line each", () => {
        const problems = problemsOf({
            "matrix:ccu": "50000",
            "matrix:federation": "maybe",
            "matrix:clustr": "{}",
            "matrix:sizing": JSON.stringify({ workers: { generic: -1 }, postgresMaxConnection: 10 }),
        });
        for (const path of ["matrix:ccu", "matrix:domain", "matrix:federation", "matrix:clustr", "matrix:cluster", "matrix:sizing.workers.generic", "matrix:sizing.postgresMaxConnection"]) {
            one(problems, path);
        }
        assert.strictEqual(problems.length, 7, problems.join("\n"));
        for (const p of problems) assert.ok(!p.includes("\n"), `multi-line problem: ${p}`);
        const err = (() => {
            try {
                parseStackConfig({});
            } catch (e) {
                return e as Error;
            }
            throw new Error("no error");
        })();
        assert.match(err.message, /matrix:ccu: required but not set/);
        assert.match(err.message, /matrix:domain: required but not set/);
    });

    it("requires exactly one of kubeconfig or context for an existing cluster", () => {
        assert.match(one(problemsOf({ ...BASE, "matrix:cluster": JSON.stringify({ provider: "existing" }) }), "matrix:cluster"), /exactly one of kubeconfig or context \(got neither\)/);
        const both = JSON.stringify({ provider: "existing", context: "a", kubeconfig: "apiVersion: v1" });
        assert.match(one(problemsOf({ ...BASE, "matrix:cluster": both }, ["matrix:cluster"]), "matrix:cluster"), /got both/);
    });

    it("accepts a kubeconfig only as a secret, and never prints it", () => {
        const kubeconfig = "apiVersion: v1\nusers: [{name: admin, user: {token: TOPSECRET}}]";
        const raw = { ...BASE, "matrix:cluster": JSON.stringify({ provider: "existing", kubeconfig }) };
        const plain = problemsOf(raw);
        assert.match(one(plain, "matrix:cluster.kubeconfig"), /set in plain text/);
        assert.ok(!plain.join("\n").includes("TOPSECRET"));

        const cfg = parseStackConfig(raw, "matrix", { secretKeys: ["matrix:cluster"] });
        assert.ok(cfg.cluster.provider === "existing" && cfg.cluster.kubeconfig instanceof SecretValue);
        assert.strictEqual(cfg.cluster.kubeconfig.reveal(), kubeconfig);
        assert.ok(!JSON.stringify(cfg).includes("TOPSECRET"));
        assert.ok(!String(cfg.cluster.kubeconfig).includes("TOPSECRET"));
        assert.ok(!require("util").inspect(cfg, { depth: 10 }).includes("TOPSECRET"));

        // Other problems in a secret key must not echo its values either.
        const bad = problemsOf({ ...BASE, "matrix:cluster": JSON.stringify({ provider: "existing", kubeconfig, storageClasses: { ssd: "TOPSECRET!" } }) }, ["matrix:cluster"]);
        assert.match(one(bad, "matrix:cluster.storageClasses.ssd"), /got \[secret\]/);
        assert.ok(!bad.join("\n").includes("TOPSECRET"));
    });

    it("uses the project name as the namespace", () => {
        const cfg = parseStackConfig({ "other:ccu": "5", "other:domain": "a.example", "other:cluster": CLUSTER, "matrix:ccu": "x" }, "other");
        assert.strictEqual(cfg.ccu, 5);
    });
});
