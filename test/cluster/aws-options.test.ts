import { strict as assert } from "assert";
import { DEFAULT_FAMILIES, parseAwsOptions } from "../../components/cluster/aws/options";
import { subnetLayout } from "../../components/cluster/aws/cidr";
import { RAW_OPTIONS } from "./aws-fixtures";

const P = "matrix:cluster.aws";

describe("aws node pools: option validation", () => {
    it("fills defaults for a minimal valid block", () => {
        const r = parseAwsOptions({ region: "eu-west-1", availabilityZones: ["eu-west-1a", "eu-west-1b"] }, P);
        assert.deepEqual(r.errors, []);
        assert.deepEqual(r.value?.families, DEFAULT_FAMILIES);
        assert.equal(r.value?.databaseVolume.type, "io2");
        assert.deepEqual(r.value?.adminCidrs, []);
    });

    it("reports every problem at once, each naming key, value and what is allowed", () => {
        const r = parseAwsOptions(
            {
                ...RAW_OPTIONS,
                availabilityZones: ["eu-central-1a"],
                vpcCidr: "10.40.0.0/33",
                adminCidrs: ["10.0.0.300/8", "0.0.0.0/0"],
                liAdminCidrs: "10.0.0.0/8",
                families: { app: "m5", storage: "c7i", bogus: "m7i" },
                instanceTypes: { database: "r7i.enormous" },
                databaseVolume: { type: "io1" },
                sshKey: "mine",
            },
            P,
        );
        assert.equal(r.value, undefined);
        const text = r.errors.join("\n");
        for (const expected of [
            /matrix:cluster\.aws\.availabilityZones: \["eu-central-1a"\] is not allowed; expected a list of 2 to 8/,
            /matrix:cluster\.aws\.vpcCidr: "10\.40\.0\.0\/33" is not allowed; expected an IPv4 CIDR/,
            /matrix:cluster\.aws\.adminCidrs\[0\]: "10\.0\.0\.300\/8" is not allowed/,
            /matrix:cluster\.aws\.adminCidrs\[1\]: "0\.0\.0\.0\/0" is not allowed; must not be the whole internet/,
            /matrix:cluster\.aws\.liAdminCidrs: "10\.0\.0\.0\/8" is not allowed; expected a list of CIDRs/,
            /matrix:cluster\.aws\.families\.app: "m5" is not allowed; unknown instance family; allowed: m7i, c7i/,
            /matrix:cluster\.aws\.families\.bogus: "m7i" is not allowed; unknown role/,
            /matrix:cluster\.aws\.instanceTypes\.database: "r7i\.enormous" is not allowed; not in the instance catalogue/,
            /matrix:cluster\.aws\.databaseVolume\.type: "io1" is not allowed; expected "io2" or "gp3"/,
            /matrix:cluster\.aws\.sshKey: "mine" is not allowed; unknown key/,
        ]) {
            assert.match(text, expected);
        }
        assert.equal(r.errors.length, 10, text);
    });

    it("rejects zones of another region, duplicates, host bits and overlapping ranges", () => {
        const r = parseAwsOptions(
            { ...RAW_OPTIONS, availabilityZones: ["eu-central-1a", "eu-central-1a", "us-east-1b"], vpcCidr: "10.40.1.0/16", podCidr: "10.40.0.0/20" },
            P,
        );
        const text = r.errors.join("\n");
        assert.match(text, /availabilityZones\[2\]: "us-east-1b" is not allowed; expected a zone of region "eu-central-1"/);
        assert.match(text, /availabilityZones: .* zones must be distinct/);
        assert.match(text, /vpcCidr: "10\.40\.1\.0\/16" .* host bits set/);
    });

    it("rejects pod or service ranges overlapping the VPC", () => {
        const r = parseAwsOptions({ ...RAW_OPTIONS, podCidr: "10.40.128.0/17" }, P);
        assert.match(r.errors.join("\n"), /podCidr: "10\.40\.128\.0\/17" is not allowed; must not overlap vpcCidr 10\.40\.0\.0\/16/);
    });

    it("accepts IPv6 admin networks and rejects ::/0", () => {
        assert.deepEqual(parseAwsOptions({ ...RAW_OPTIONS, adminCidrs: ["2001:db8::/32"] }, P).errors, []);
        assert.match(parseAwsOptions({ ...RAW_OPTIONS, adminCidrs: ["::/0"] }, P).errors.join(), /whole internet/);
        assert.match(parseAwsOptions({ ...RAW_OPTIONS, adminCidrs: ["2001:db8::zz/32"] }, P).errors.join(), /not an IPv6 CIDR/);
    });

    it("requires a family with local NVMe for instance-store database data", () => {
        const r = parseAwsOptions({ ...RAW_OPTIONS, databaseInstanceStore: true }, P);
        assert.match(r.errors.join(), /databaseInstanceStore: true is not allowed; needs a database family with local NVMe/);
    });

    it("lays subnets out by zone position, private and public apart", () => {
        assert.deepEqual(subnetLayout("10.40.0.0/16", 3), {
            private: ["10.40.0.0/20", "10.40.16.0/20", "10.40.32.0/20"],
            public: ["10.40.128.0/20", "10.40.144.0/20", "10.40.160.0/20"],
        });
    });
});
