// Runs the AwsCluster component alone under Pulumi mocks and returns what it
// registered. Independent of the program's harness so the component's own
// tests need nothing else; deterministic fake outputs (ids, DNS names, keys)
// so two runs can be compared resource by resource.
import * as pulumi from "@pulumi/pulumi";
import { createHash, generateKeyPairSync } from "crypto";
import type { Plan } from "../../sizing/types";
import type { AwsClusterOptions } from "../../components/cluster/aws/options";
import type { InventoryPlan } from "../../components/cluster/aws/inventory";
import { MOCK_INVOKES } from "../../tools/mock-invokes";

export interface Registered {
    readonly type: string;
    readonly name: string;
    readonly inputs: Record<string, any>;
    /** The resource options the program passed, seen through a transformation. */
    readonly opts: { protect?: boolean; ignoreChanges?: string[]; dependsOn?: string[]; retainOnDelete?: boolean; parent?: string };
}

export interface Run {
    readonly resources: Registered[];
    readonly kubeconfigIsSecret: boolean;
    readonly warnings: readonly string[];
    /** Failures inside outputs during the run (a registration whose input threw). */
    readonly errors: readonly string[];
    readonly quotas: import("../../components/cluster/aws/quotas").QuotaNeeds;
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

export interface RunExtras {
    /** Stateful volumes that already exist in the (mock) account, by Name tag. */
    readonly existingVolumes?: readonly { name: string; sizeGiB: number }[];
    readonly floorPlan?: InventoryPlan;
}

export async function runAwsCluster(plan: Plan, options: AwsClusterOptions, extras: RunExtras = {}): Promise<Run> {
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
                const existing = extras.existingVolumes ?? [];
                if (args.token === "aws:ebs/getEbsVolumes:getEbsVolumes") return { ids: existing.map((v) => `vol-${hex(v.name, 17)}`) };
                if (args.token === "aws:ebs/getVolume:getVolume") {
                    const id = args.inputs.filters[0].values[0];
                    const v = existing.find((x) => `vol-${hex(x.name, 17)}` === id);
                    if (!v) throw new Error(`no volume ${id}`);
                    return { id, volumeId: id, size: v.sizeGiB, tags: { Name: v.name } };
                }
                const handler = MOCK_INVOKES[args.token];
                if (handler) return handler(args.inputs ?? {});
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
            parent: (args.opts.parent as unknown as { __name?: string } | undefined)?.__name,
        });
        return undefined;
    };
    const errors: string[] = [];
    // A registration whose input threw leaves the outputs depending on it unresolved; give the
    // rest a few seconds to register after the first failure instead of waiting forever.
    let failed: () => void = () => undefined;
    const afterFailure = new Promise<void>((resolve) => (failed = () => setTimeout(resolve, 3000)));
    const onRejection = (reason: unknown) => {
        if (errors.length === 0) failed();
        errors.push(String((reason as Error)?.message ?? reason));
    };
    process.on("unhandledRejection", onRejection);
    const cluster = new AwsCluster("cluster", { plan, options, clusterName: "matrix-test", ...(extras.floorPlan ? { floorPlan: extras.floorPlan } : {}) }, { transformations: [capture] });
    await Promise.race([new Promise<void>((resolve) => cluster.kubeconfig.apply(() => resolve())), afterFailure]);
    // Let registrations whose inputs failed (e.g. a volume that would shrink) report before disconnecting.
    await new Promise((r) => setTimeout(r, 50));
    process.off("unhandledRejection", onRejection);
    const kubeconfigIsSecret = errors.length > 0 ? false : await (cluster.kubeconfig as unknown as { isSecret: Promise<boolean> }).isSecret;
    const disconnected = (pulumi.runtime as unknown as { disconnect(): Promise<void> }).disconnect();
    // After a failed registration the runtime never drains; the next run installs fresh mocks anyway.
    await (errors.length > 0 ? Promise.race([disconnected, new Promise((r) => setTimeout(r, 1000))]) : disconnected);
    return { resources: registered, kubeconfigIsSecret, warnings: cluster.inventory.warnings, errors, quotas: cluster.quotas };
}
