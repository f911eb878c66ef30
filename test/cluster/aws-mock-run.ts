// Runs the AwsCluster component alone under Pulumi mocks and returns what it
// registered. Independent of the program's harness so the component's own
// tests need nothing else; deterministic fake outputs (ids, DNS names, keys)
// so two runs can be compared resource by resource.
import * as pulumi from "@pulumi/pulumi";
import { createHash, generateKeyPairSync } from "crypto";
import type { Plan } from "../../sizing/types";
import type { AwsClusterOptions } from "../../components/cluster/aws/options";

export interface Registered {
    readonly type: string;
    readonly name: string;
    readonly inputs: Record<string, any>;
    /** The resource options the program passed, seen through a transformation. */
    readonly opts: { protect?: boolean; ignoreChanges?: string[]; dependsOn?: string[]; retainOnDelete?: boolean };
}

export interface Run {
    readonly resources: Registered[];
    readonly kubeconfigIsSecret: boolean;
    readonly warnings: readonly string[];
}

const keys = new Map<string, string>();
function publicKeyFor(name: string): string {
    let pem = keys.get(name);
    if (!pem) {
        pem = generateKeyPairSync("rsa", { modulusLength: 2048 }).publicKey.export({ type: "spki", format: "pem" }).toString();
        keys.set(name, pem);
    }
    return pem;
}

const hex = (s: string, n: number) => createHash("sha256").update(s).digest("hex").slice(0, n);

function fakeState(type: string, name: string, inputs: Record<string, any>): Record<string, unknown> {
    switch (type) {
        case "tls:index/privateKey:PrivateKey":
            return { ...inputs, publicKeyPem: publicKeyFor(name), privateKeyPem: `-----BEGIN RSA PRIVATE KEY-----\n${hex(name, 40)}\n-----END RSA PRIVATE KEY-----\n` };
        case "tls:index/selfSignedCert:SelfSignedCert":
        case "tls:index/locallySignedCert:LocallySignedCert":
            return { ...inputs, certPem: `-----BEGIN CERTIFICATE-----\n${hex(name, 40)}\n-----END CERTIFICATE-----\n` };
        case "tls:index/certRequest:CertRequest":
            return { ...inputs, certRequestPem: `-----BEGIN CERTIFICATE REQUEST-----\n${hex(name, 40)}\n-----END CERTIFICATE REQUEST-----\n` };
        case "random:index/randomString:RandomString":
            return { ...inputs, result: hex(name, inputs.length) };
        case "aws:lb/loadBalancer:LoadBalancer":
            return { ...inputs, dnsName: `${name}-${hex(name, 8)}.elb.eu-central-1.amazonaws.com`, arn: `arn:aws:elasticloadbalancing:::${name}` };
        case "aws:ssm/parameter:Parameter":
            return { ...inputs, arn: `arn:aws:ssm:eu-central-1:123456789012:parameter${inputs.name}` };
        case "aws:ec2/eip:Eip":
            return { ...inputs, publicIp: "198.51.100.1" };
        default:
            return { ...inputs, arn: `arn:aws:mock:::${name}` };
    }
}

function fakeId(type: string, name: string): string {
    if (type === "aws:ebs/volume:Volume") return `vol-${hex(name, 17)}`;
    return `${name}-id`;
}

export async function runAwsCluster(plan: Plan, options: AwsClusterOptions): Promise<Run> {
    const registered: Registered[] = [];
    const optsByName = new Map<string, Registered["opts"]>();
    await pulumi.runtime.setMocks(
        {
            newResource(args) {
                registered.push({ type: args.type, name: args.name, inputs: args.inputs, opts: optsByName.get(`${args.type}::${args.name}`) ?? {} });
                return { id: fakeId(args.type, args.name), state: fakeState(args.type, args.name, args.inputs) };
            },
            call(args) {
                if (args.token === "aws:ec2/getAmi:getAmi") return { id: `ami-${hex(JSON.stringify(args.inputs), 17)}`, architecture: "x86_64" };
                throw new Error(`unexpected invoke ${args.token}`);
            },
        },
        "matrix",
        "test",
        false,
    );
    // Import after the mocks are in place.
    const { AwsCluster } = await import("../../components/cluster/aws/component");
    const capture: pulumi.ResourceTransformation = (args) => {
        const deps = args.opts.dependsOn;
        const depNames = (Array.isArray(deps) ? deps : deps ? [deps] : []).map((d) => (d as unknown as { __name?: string }).__name ?? "?");
        optsByName.set(`${args.type}::${args.name}`, {
            protect: args.opts.protect,
            ignoreChanges: args.opts.ignoreChanges,
            dependsOn: depNames,
            retainOnDelete: args.opts.retainOnDelete,
        });
        return undefined;
    };
    const cluster = new AwsCluster("cluster", { plan, options, clusterName: "matrix-test" }, { transformations: [capture] });
    await new Promise<void>((resolve) => cluster.kubeconfig.apply(() => resolve()));
    const kubeconfigIsSecret = await (cluster.kubeconfig as unknown as { isSecret: Promise<boolean> }).isSecret;
    await (pulumi.runtime as unknown as { disconnect(): Promise<void> }).disconnect();
    return { resources: registered, kubeconfigIsSecret, warnings: cluster.inventory.warnings };
}
