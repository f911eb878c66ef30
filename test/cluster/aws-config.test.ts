// The aws keys of matrix:cluster: defaults, conversion to the options the
// cluster is built from, and bad input reported at once with key, value and
// what is allowed, before anything is registered.
import { strict as assert } from "assert";
import { ConfigError, parseStackConfig, type ClusterConfig } from "../../config";
import { subnetLayout } from "../../components/cluster/aws/cidr";
import { awsOptionsFromConfig } from "../../components/cluster/aws/options";

const BASE = { "matrix:ccu": "100", "matrix:domain": "dev.example.org" };

function parse(cluster: Record<string, unknown>): ClusterConfig {
    return parseStackConfig({ ...BASE, "matrix:cluster": JSON.stringify({ provider: "aws", region: "eu-central-1", adminCidrs: ["10.8.0.0/16"], ...cluster }) }).cluster;
}

function problems(cluster: Record<string, unknown>): string[] {
    try {
        parse(cluster);
    } catch (e) {
        assert.ok(e instanceof ConfigError, String(e));
        return [...e.problems];
    }
    return assert.fail("expected a ConfigError");
}

describe("aws node pools: config keys", () => {
    it("turns a minimal block into options: three zones named by AWS (no guessed letters), the default families, public API access, no SSH, a NAT gateway per zone", () => {
        const c = parse({});
        assert.equal(c.provider, "aws");
        const o = awsOptionsFromConfig(c as Extract<ClusterConfig, { provider: "aws" }>);
        assert.equal(o.zoneCount, 3);
        // Names come from aws.getAvailabilityZones in the component; some regions have no "a" zone for an account.
        assert.equal(o.availabilityZones, undefined);
        assert.equal(o.families.database, "m7i");
        assert.deepEqual(o.instanceTypes, {});
        assert.equal(o.apiAccess, "public");
        assert.deepEqual([o.sshCidrs, o.sshPublicKeys], [[], []]);
        assert.equal(o.natGateways, "perZone");
    });

    it("refuses a public API no one may reach, SSH without keys, and SSH open to the internet", () => {
        const text = problems({ adminCidrs: [], sshCidrs: ["0.0.0.0/0", "10.8.0.0/16"] }).join("\n");
        assert.match(text, /matrix:cluster\.adminCidrs: is empty with apiAccess public, so nobody \(not even pulumi\) could reach the Kubernetes API/);
        assert.match(text, /matrix:cluster\.sshPublicKeys: is empty but sshCidrs opens port 22/);
        assert.match(text, /matrix:cluster\.sshCidrs\[0\]: opens to the whole internet/);
        assert.match(problems({ sshPublicKeys: ["not a key"] }).join(), /matrix:cluster\.sshPublicKeys\[0\]/);
        assert.match(problems({ natGateways: "none" }).join(), /matrix:cluster\.natGateways: not a known value/);
        const ok = parse({ adminCidrs: [], apiAccess: "private", sshCidrs: ["10.8.0.0/16"], sshPublicKeys: ["ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIEXAMPLEKEYEXAMPLEKEYEXAMPLEKEYEXAMPLE1 ops@example"], natGateways: "single" });
        assert.equal((ok as { apiAccess: string }).apiAccess, "private");
    });

    it("takes explicit zones, families, instance types and database volume settings", () => {
        const c = parse({
            zones: 2,
            availabilityZones: ["eu-central-1b", "eu-central-1c"],
            families: { database: "r7i" },
            instanceTypes: { app: "m7a.16xlarge" },
            databaseVolume: { type: "gp3", iops: 16000 },
        }) as Extract<ClusterConfig, { provider: "aws" }>;
        const o = awsOptionsFromConfig(c);
        assert.deepEqual(o.availabilityZones, ["eu-central-1b", "eu-central-1c"]);
        assert.equal(o.families.database, "r7i");
        assert.equal(o.families.app, "m7i");
        assert.deepEqual(o.instanceTypes, { app: "m7a.16xlarge" });
        assert.deepEqual(o.databaseVolume, { type: "gp3", iops: 16000, throughputMiBps: 500 });
    });

    it("reports every bad value at once, each with key, value and what is allowed", () => {
        const p = problems({
            zones: 1,
            vpcCidr: "10.40.0.0/33",
            adminCidrs: ["10.0.0.300/8", "10.1.2.3/16"],
            liAdminCidrs: "10.0.0.0/8",
            families: { app: "m5", bogus: "m7i" },
            databaseVolume: { type: "io1" },
            sshKey: "mine",
        });
        const text = p.join("\n");
        for (const expected of [
            /^matrix:cluster\.zones: out of range \(got 1\); allowed: an integer from 2 to 6$/m,
            /^matrix:cluster\.vpcCidr: not a CIDR block \(got "10\.40\.0\.0\/33"\)/m,
            /^matrix:cluster\.adminCidrs\[0\]: not a CIDR block \(got "10\.0\.0\.300\/8"\)/m,
            /^matrix:cluster\.adminCidrs\[1\]: host bits set; did you mean 10\.1\.0\.0\/16\?/m,
            /^matrix:cluster\.liAdminCidrs: not a list/m,
            /^matrix:cluster\.families\.app: not a known value; did you mean "m7i"\? \(got "m5"\); allowed: one of "m7i", "c7i"/m,
            /^matrix:cluster\.families\.bogus: unknown key/m,
            /^matrix:cluster\.databaseVolume\.type: not a known value; did you mean "io2"\? \(got "io1"\); allowed: one of "io2", "gp3"/m,
            /^matrix:cluster\.sshKey: unknown key/m,
        ]) {
            assert.match(text, expected);
        }
        assert.equal(p.length, 9, text);
    });

    it("checks zones, ranges, admin networks, instance types and local NVMe across keys", () => {
        const text = problems({
            zones: 3,
            availabilityZones: ["eu-central-1a", "eu-central-1a", "us-east-1b"],
            podCidr: "10.40.128.0/17",
            serviceCidr: "172.21.0.0/28",
            adminCidrs: ["0.0.0.0/0"],
            liAdminCidrs: ["::/0"],
            instanceTypes: { database: "r7i.enormous" },
            databaseInstanceStore: true,
        }).join("\n");
        for (const expected of [
            /matrix:cluster\.availabilityZones\[2\]: not a zone of region eu-central-1 \(got "us-east-1b"\)/,
            /matrix:cluster\.availabilityZones: names a zone twice/,
            /matrix:cluster\.podCidr: overlaps vpcCidr 10\.40\.0\.0\/16 \(got "10\.40\.128\.0\/17"\)/,
            /matrix:cluster\.serviceCidr: too small \(got "172\.21\.0\.0\/28"\); allowed: an IPv4 CIDR of at most \/24/,
            /matrix:cluster\.adminCidrs\[0\]: opens to the whole internet \(got "0\.0\.0\.0\/0"\)/,
            /matrix:cluster\.liAdminCidrs\[0\]: opens to the whole internet \(got "::\/0"\)/,
            /matrix:cluster\.instanceTypes\.database: not in the instance catalogue \(got "r7i\.enormous"\)/,
            /matrix:cluster\.databaseInstanceStore: needs database servers with local NVMe/,
        ]) {
            assert.match(text, expected);
        }
        assert.match(problems({ zones: 3, availabilityZones: ["eu-central-1a", "eu-central-1b"] }).join(), /matrix:cluster\.zones: is 3 but availabilityZones names 2/);
        assert.match(problems({ availabilityZones: ["eu-central-1a"] }).join(), /availabilityZones: fewer than 2 items/);
    });

    it("accepts local NVMe for the database with the i4i family", () => {
        assert.equal((parse({ families: { database: "i4i" }, databaseInstanceStore: true }) as { databaseInstanceStore: boolean }).databaseInstanceStore, true);
    });

    it("lays subnets out by zone position, private and public apart", () => {
        assert.deepEqual(subnetLayout("10.40.0.0/16", 3), {
            private: ["10.40.0.0/20", "10.40.16.0/20", "10.40.32.0/20"],
            public: ["10.40.128.0/20", "10.40.144.0/20", "10.40.160.0/20"],
        });
    });
});
