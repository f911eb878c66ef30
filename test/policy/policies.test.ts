// The policy pack's validators, called as Pulumi calls them: each unsafe
// resource must be refused, each safe twin accepted.
import * as assert from "assert";
import type { ResourceValidationPolicy, StackValidationPolicy } from "@pulumi/policy";
import { NAMESPACES, ROLE_LABEL, ROLE_VALUES } from "../../components/contracts";
import { RESOURCE_POLICIES, STACK_POLICIES, synapseConfigProblems } from "../../policy/policies";

function policy(name: string): ResourceValidationPolicy {
    const found = RESOURCE_POLICIES.find((p) => p.name === name);
    assert.ok(found, name);
    return found;
}

/** Fake ResourceValidationArgs with the fields Pulumi passes (notApplicable and stackTags included). */
function args(type: string, props: Record<string, unknown>, name = "r") {
    return {
        type,
        props,
        name,
        urn: `urn:pulumi:dev::matrix::${type}::${name}`,
        opts: { protect: false, ignoreChanges: [], aliases: [], customTimeouts: { createSeconds: 0, updateSeconds: 0, deleteSeconds: 0 }, additionalSecretOutputs: [] },
        stackTags: new Map<string, string>(),
        isType: () => false,
        asType: () => undefined,
        getConfig: () => ({}),
        notApplicable: (reason?: string): never => {
            throw new Error(`notApplicable: ${reason}`);
        },
    };
}

export async function violations(p: ResourceValidationPolicy, a: ReturnType<typeof args>): Promise<string[]> {
    const found: string[] = [];
    const validators = Array.isArray(p.validateResource) ? p.validateResource : [p.validateResource!];
    for (const v of validators) await v(a as never, (message: string) => found.push(message));
    return found;
}

describe("policy pack", () => {
    describe("no-secrets-in-configmaps", () => {
        const p = policy("no-secrets-in-configmaps");
        it("refuses inline secrets in YAML, flat config files and PEM keys", async () => {
            const bad = args("kubernetes:core/v1:ConfigMap", {
                data: {
                    "homeserver.yaml": "server_name: example.org\nmacaroon_secret_key: abc123\ndatabase:\n  args:\n    password: hunter2\n",
                    "turnserver.conf": "listening-port=3478\nstatic-auth-secret=s3cr3t\n",
                    "redis.conf": "port 6379\nrequirepass topsecret\n",
                    "tls.key": "-----BEGIN RSA PRIVATE KEY-----\nMII...\n-----END RSA PRIVATE KEY-----\n",
                },
            });
            const found = await violations(p, bad);
            assert.strictEqual(found.length, 5, found.join("\n"));
            assert.ok(found.some((f) => f.includes("macaroon_secret_key")));
            assert.ok(found.some((f) => f.includes("database.args.password")));
            assert.ok(found.some((f) => f.includes("static-auth-secret")));
            assert.ok(found.some((f) => f.includes("requirepass")));
            assert.ok(found.some((f) => f.includes("PEM private key")));
        });
        it("accepts *_path options, environment indirection and non-secret settings", async () => {
            const good = args("kubernetes:core/v1:ConfigMap", {
                data: {
                    "homeserver.yaml": "macaroon_secret_key_path: /secrets/macaroon\nform_secret_path: /secrets/form\ndatabase:\n  args:\n    password: ${PGPASSWORD}\nredis:\n  password_path: /secrets/redis\n",
                    "config.json": '{"default_server_config": {"m.homeserver": {"base_url": "https://m.example.org"}}}',
                },
            });
            assert.deepStrictEqual(await violations(p, good), []);
        });
        it("ignores other resource types", async () => {
            assert.deepStrictEqual(await violations(p, args("kubernetes:core/v1:Secret", { stringData: { password: "x" } })), []);
        });
    });

    describe("no-world-open-ingress", () => {
        const p = policy("no-world-open-ingress");
        const withConfig = (a: ReturnType<typeof args>, config: object) => ({ ...a, getConfig: () => config as never });
        const rule = (group: string, ipProtocol: string, fromPort: number, toPort: number, cidr = "0.0.0.0/0", config: object = { edgeHttp: false }) =>
            withConfig(
                args("aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule", { fromPort, toPort, ipProtocol, ...(cidr.includes(":") ? { cidrIpv6: cidr } : { cidrIpv4: cidr }) }, `cluster-sg-${group}-${ipProtocol}-${fromPort}-${toPort}-x`),
                config,
            );
        it("refuses SSH, the API server or PostgreSQL open to the internet", async () => {
            const sg = withConfig(
                args("aws:ec2/securityGroup:SecurityGroup", {
                    tags: { Name: "matrix-dev-sg-edgeLb" },
                    ingress: [
                        { fromPort: 22, toPort: 22, protocol: "tcp", cidrBlocks: ["0.0.0.0/0"] },
                        { fromPort: 443, toPort: 443, protocol: "tcp", cidrBlocks: ["0.0.0.0/0"] },
                        { fromPort: 6443, toPort: 6443, protocol: "tcp", ipv6CidrBlocks: ["::/0"] },
                    ],
                }, "cluster-sg-edgeLb"),
                { edgeHttp: false },
            );
            const found = await violations(p, sg);
            assert.strictEqual(found.length, 2, found.join("\n"));
            assert.match(found[0], /tcp 22-22 is open to the internet/);
            assert.strictEqual((await violations(p, rule("nodes", "tcp", 5432, 5432))).length, 1);
            assert.strictEqual((await violations(p, rule("calls", "tcp", 5432, 5432))).length, 1, "PostgreSQL on the call servers");
            const all = withConfig(args("aws:ec2/securityGroupRule:SecurityGroupRule", { type: "ingress", fromPort: 0, toPort: 0, protocol: "-1", cidrBlocks: ["0.0.0.0/0"] }, "cluster-sg-calls-all"), {});
            assert.strictEqual((await violations(p, all)).length, 1);
        });
        it("allows each public port only on its own security group", async () => {
            // Failing fixtures: the right port on the wrong group.
            for (const [group, proto, from, to] of [
                ["edgeLb", "udp", 3478, 3478],
                ["edgeLb", "tcp", 5349, 5349],
                ["edgeLb", "udp", 50000, 59999],
                ["app", "tcp", 443, 443],
                ["app", "udp", 60000, 65535],
                ["calls", "tcp", 443, 443],
                ["calls", "tcp", 80, 80],
                ["calls", "udp", 40000, 50000],
                ["nodes", "udp", 49152, 65535],
            ] as const) {
                assert.strictEqual((await violations(p, rule(group, proto, from, to))).length, 1, `${group} ${proto} ${from}-${to}`);
                assert.strictEqual((await violations(p, rule(group, proto, from, to, "::/0"))).length, 1, `${group} ${proto} ${from}-${to} v6`);
            }
        });
        it("opens TCP 80 on the edge only with edgeHttp", async () => {
            const found = await violations(p, rule("edgeLb", "tcp", 80, 80));
            assert.strictEqual(found.length, 1);
            assert.match(found[0], /edgeHttp/);
            assert.deepStrictEqual(await violations(p, rule("edgeLb", "tcp", 80, 80, "0.0.0.0/0", { edgeHttp: true })), []);
            assert.deepStrictEqual(await violations(p, rule("edgeLb", "tcp", 80, 80, "::/0", { edgeHttp: true })), []);
        });
        it("accepts the edge, TURN and LiveKit ports where they belong, and private CIDRs on anything", async () => {
            for (const [group, proto, from, to] of [
                ["edgeLb", "tcp", 443, 443],
                ["calls", "udp", 3478, 3478],
                ["calls", "tcp", 3478, 3478],
                ["calls", "tcp", 5349, 5349],
                ["calls", "tcp", 7881, 7881],
                ["calls", "udp", 50000, 59999],
                ["calls", "udp", 60000, 65535],
            ] as const) {
                assert.deepStrictEqual(await violations(p, rule(group, proto, from, to)), [], `${group} ${proto} ${from}-${to}`);
            }
            assert.deepStrictEqual(await violations(p, rule("nodes", "tcp", 6443, 6443, "10.0.0.0/16")), []);
            const egress = args("aws:ec2/securityGroupRule:SecurityGroupRule", { type: "egress", fromPort: 0, toPort: 0, protocol: "-1", cidrBlocks: ["0.0.0.0/0"] });
            assert.deepStrictEqual(await violations(p, egress), []);
        });
    });

    describe("pinned-helm-charts", () => {
        const p = policy("pinned-helm-charts");
        const release = (version: unknown) => args("kubernetes:helm.sh/v3:Release", { chart: "cilium", ...(version === undefined ? {} : { version }) });
        it("refuses a release without an exact version", async () => {
            for (const v of [undefined, "", "  ", "^1.18.0", "~1.18", "1.x", ">=1.0.0", "latest", "*"]) {
                assert.strictEqual((await violations(p, release(v))).length, 1, JSON.stringify(v));
            }
        });
        it("accepts an exact chart version", async () => {
            for (const v of ["1.18.4", "v1.10.0", "0.0.10", "2.53.0"]) assert.deepStrictEqual(await violations(p, release(v)), [], v);
        });
    });

    describe("internal-ports-not-exposed", () => {
        const p = policy("internal-ports-not-exposed");
        it("refuses a LoadBalancer that exposes metrics or replication", async () => {
            const svc = args("kubernetes:core/v1:Service", { spec: { type: "LoadBalancer", ports: [{ name: "https", port: 443 }, { name: "metrics", port: 9000 }, { name: "replication", port: 9093 }] } });
            assert.strictEqual((await violations(p, svc)).length, 2);
        });
        it("accepts ClusterIP services with internal ports and public HTTPS", async () => {
            assert.deepStrictEqual(await violations(p, args("kubernetes:core/v1:Service", { spec: { ports: [{ name: "metrics", port: 9000 }] } })), []);
            assert.deepStrictEqual(await violations(p, args("kubernetes:core/v1:Service", { spec: { type: "LoadBalancer", ports: [{ name: "https", port: 443 }] } })), []);
        });
    });

    describe("pinned-maintained-images", () => {
        const p = policy("pinned-maintained-images");
        const deployment = (image: string) => args("kubernetes:apps/v1:Deployment", { spec: { template: { spec: { containers: [{ name: "c", image }] } } } });
        it("refuses latest, untagged and Bitnami images", async () => {
            for (const image of ["nginx", "nginx:latest", "registry.example:5000/app", "bitnami/redis:7.0.15", "docker.io/bitnamilegacy/redis:7.0"]) {
                assert.strictEqual((await violations(p, deployment(image))).length, 1, image);
            }
        });
        it("accepts a version tag or a digest, including a registry with a port", async () => {
            for (const image of ["ghcr.io/element-hq/synapse:v1.157.1", "redis:7.0.15-bookworm", "registry.example:5000/app:1.2", "haproxy@sha256:" + "a".repeat(64)]) {
                assert.deepStrictEqual(await violations(p, deployment(image)), [], image);
            }
        });
    });

    describe("host-ports-li-proxy-only", () => {
        const p = policy("host-ports-li-proxy-only");
        const pod = (namespace: string, hostPort?: number) =>
            args("kubernetes:apps/v1:Deployment", { metadata: { namespace }, spec: { template: { spec: { containers: [{ name: "c", image: "haproxy:2.6.22", ports: [{ containerPort: 8443, ...(hostPort ? { hostPort } : {}) }] }] } } } });
        it("refuses a host port anywhere but the LI proxy's namespace, and any other port there", async () => {
            assert.strictEqual((await violations(p, pod("matrix", 443))).length, 1);
            assert.strictEqual((await violations(p, pod("matrix-li", 443))).length, 1);
            assert.strictEqual((await violations(p, pod("matrix-li-proxy", 8443))).length, 1);
        });
        it("accepts the LI proxy on the LI admin host port, and containers without host ports", async () => {
            assert.deepStrictEqual(await violations(p, pod("matrix-li-proxy", 443)), []);
            assert.deepStrictEqual(await violations(p, pod("matrix")), []);
        });
    });

    describe("synapse-config-sane", () => {
        it("catches every defect of the guide's seed deployment", () => {
            const problems = synapseConfigProblems({
                worker_replication_host: "synapse-main",
                stream_writers: { typing: ["w1", "w2"], to_device: ["w1", "w2"], presence: ["w3", "w4"], events: ["ep-0"] },
                instance_map: { w1: { host: "a", port: 1 } },
            });
            assert.ok(problems.some((p) => p.startsWith("worker_replication_host")));
            assert.ok(problems.some((p) => p.includes("no `main`")));
            for (const stream of ["typing", "to_device", "presence"]) assert.ok(problems.some((p) => p.startsWith(`stream_writers.${stream} lists 2`)), stream);
            assert.ok(problems.some((p) => p.includes("ep-0 (events) is missing from instance_map")));
        });
        it("accepts a correct worker layout, main called master in stream_writers", () => {
            assert.deepStrictEqual(
                synapseConfigProblems({
                    stream_writers: { typing: "typing-0", events: ["ep-0", "ep-1"], receipts: ["master"] },
                    instance_map: { main: { host: "m", port: 9093 }, "typing-0": { host: "t", port: 9093 }, "ep-0": { host: "e0", port: 9093 }, "ep-1": { host: "e1", port: 9093 } },
                }),
                [],
            );
        });
        it("reads homeserver.yaml out of ConfigMaps", async () => {
            const cm = args("kubernetes:core/v1:ConfigMap", { data: { "homeserver.yaml": "stream_writers:\n  typing: [a, b]\ninstance_map:\n  main: {host: m, port: 9093}\n  a: {host: a, port: 1}\n  b: {host: b, port: 1}\n" } });
            const found = await violations(policy("synapse-config-sane"), cm);
            assert.strictEqual(found.length, 1, found.join("\n"));
        });
    });

    describe("unique-stateful-identity", () => {
        it("refuses two StatefulSets with one name in one namespace", async () => {
            const p = STACK_POLICIES.find((x) => x.name === "unique-stateful-identity") as StackValidationPolicy;
            const res = (name: string, ns: string) => ({ ...args("kubernetes:apps/v1:StatefulSet", { metadata: { name, namespace: ns } }, `${name}-${ns}`), provider: undefined, dependencies: [], propertyDependencies: {} });
            const found: string[] = [];
            await p.validateStack({ resources: [res("db", "matrix"), res("db", "matrix"), res("db", "other")] } as never, (m: string) => found.push(m));
            assert.strictEqual(found.length, 1);
        });
    });

    describe("container-resources-and-probes", () => {
        const p = policy("container-resources-and-probes");
        const probe = { httpGet: { path: "/health", port: 8008 } };
        const good = { name: "app", image: "x:1", resources: { requests: { cpu: "100m", memory: "1Gi" }, limits: { memory: "1Gi" } }, livenessProbe: probe, readinessProbe: probe };
        const deployment = (c: Record<string, unknown>, init: Record<string, unknown>[] = []) => ({ metadata: { namespace: "matrix" }, spec: { template: { spec: { containers: [c], initContainers: init } } } });
        it("accepts requests, a memory limit and both probes; init containers and Jobs without probes", async () => {
            const { livenessProbe: _l, readinessProbe: _r, ...noProbes } = good;
            assert.deepStrictEqual(await violations(p, args("kubernetes:apps/v1:Deployment", deployment(good, [noProbes]))), []);
            assert.deepStrictEqual(await violations(p, args("kubernetes:batch/v1:Job", deployment(noProbes))), []);
        });
        it("refuses a container without requests, memory limit or a probe", async () => {
            const { livenessProbe: _l, ...noLiveness } = good;
            assert.strictEqual((await violations(p, args("kubernetes:apps/v1:StatefulSet", deployment(noLiveness)))).length, 1);
            assert.match((await violations(p, args("kubernetes:batch/v1:Job", deployment({ name: "j", image: "x:1" }))))[0], /requests\.cpu.*requests\.memory.*limits\.memory/);
            assert.strictEqual((await violations(p, args("kubernetes:apps/v1:Deployment", deployment(good, [{ name: "i", image: "x:1" }])))).length, 1);
        });
    });

    describe("host-network-only-for-calls-and-node-exporter", () => {
        const p = policy("host-network-only-for-calls-and-node-exporter");
        const ds = (ns: string, name: string) => ({ metadata: { namespace: ns, name }, spec: { template: { spec: { hostNetwork: true, containers: [] } } } });
        it("accepts host network in matrix-calls and for node-exporter", async () => {
            assert.deepStrictEqual(await violations(p, args("kubernetes:apps/v1:DaemonSet", ds("matrix-calls", "coturn"))), []);
            assert.deepStrictEqual(await violations(p, args("kubernetes:apps/v1:DaemonSet", ds("monitoring", "node-exporter"))), []);
        });
        it("refuses host network anywhere else", async () => {
            assert.strictEqual((await violations(p, args("kubernetes:apps/v1:Deployment", ds("matrix", "synapse-main")))).length, 1);
        });
    });

    describe("li-and-monitoring-on-their-servers", () => {
        const p = policy("li-and-monitoring-on-their-servers");
        const sts = (ns: string, role?: string) => ({ metadata: { namespace: ns }, spec: { template: { spec: { nodeSelector: role ? { [ROLE_LABEL]: role } : {}, containers: [] } } } });
        it("accepts LI pods on the LI server and monitoring pods on the monitoring server", async () => {
            assert.deepStrictEqual(await violations(p, args("kubernetes:apps/v1:StatefulSet", sts(NAMESPACES.li, ROLE_VALUES.li))), []);
            assert.deepStrictEqual(await violations(p, args("kubernetes:apps/v1:StatefulSet", sts(NAMESPACES.monitoring, ROLE_VALUES.monitoring))), []);
            assert.deepStrictEqual(await violations(p, args("kubernetes:apps/v1:StatefulSet", sts(NAMESPACES.matrix))), []);
        });
        it("refuses them anywhere else", async () => {
            assert.strictEqual((await violations(p, args("kubernetes:apps/v1:StatefulSet", sts(NAMESPACES.li, ROLE_VALUES.app)))).length, 1);
            assert.strictEqual((await violations(p, args("kubernetes:apps/v1:Deployment", sts(NAMESPACES.monitoring)))).length, 1);
        });
    });

    describe("default-deny-network-policy", () => {
        const p = STACK_POLICIES.find((x) => x.name === "default-deny-network-policy") as StackValidationPolicy;
        const ns = { type: "kubernetes:core/v1:Namespace", urn: "urn:ns", name: "ns", props: { metadata: { name: "matrix" } } };
        const deny = { type: "kubernetes:networking.k8s.io/v1:NetworkPolicy", urn: "urn:np", name: "np", props: { metadata: { namespace: "matrix" }, spec: { podSelector: {}, policyTypes: ["Ingress"] } } };
        const run = async (resources: unknown[]) => {
            const found: string[] = [];
            await p.validateStack({ resources } as never, (m: string) => found.push(m));
            return found;
        };
        it("accepts a namespace with a default-deny policy", async () => {
            assert.deepStrictEqual(await run([ns, deny]), []);
        });
        it("refuses a namespace without one, or whose only policy allows something", async () => {
            assert.strictEqual((await run([ns])).length, 1);
            assert.strictEqual((await run([ns, { ...deny, props: { ...deny.props, spec: { ...deny.props.spec, ingress: [{}] } } }])).length, 1);
        });
    });

    describe("images-from-configured-registry", () => {
        const p = policy("images-from-configured-registry");
        const reg = "registry.internal.example:5000/mirror";
        const withRegistry = (a: ReturnType<typeof args>, registry = reg) => ({ ...a, getConfig: () => ({ registry }) as never });
        const pod = (image: string) => ({ metadata: { namespace: "matrix" }, spec: { template: { spec: { containers: [{ name: "c", image }] } } } });
        it("accepts images and charts under the registry, and anything when no registry is configured", async () => {
            assert.deepStrictEqual(await violations(p, withRegistry(args("kubernetes:apps/v1:Deployment", pod(`${reg}/minio/minio:1`)))), []);
            assert.deepStrictEqual(await violations(p, withRegistry(args("kubernetes:helm.sh/v3:Release", { chart: `oci://${reg}/charts/cert-manager` }))), []);
            assert.deepStrictEqual(await violations(p, withRegistry(args("kubernetes:postgresql.cnpg.io/v1:Cluster", { spec: { imageName: `${reg}/cloudnative-pg/postgresql:15` } }))), []);
            assert.deepStrictEqual(await violations(p, withRegistry(args("kubernetes:apps/v1:Deployment", pod("quay.io/minio/minio:1")), "")), []);
        });
        it("refuses an image, a CNPG imageName, an Envoy imageRepository or a chart from elsewhere", async () => {
            assert.strictEqual((await violations(p, withRegistry(args("kubernetes:apps/v1:Deployment", pod("quay.io/minio/minio:1"))))).length, 1);
            assert.strictEqual((await violations(p, withRegistry(args("kubernetes:postgresql.cnpg.io/v1:Cluster", { spec: { imageName: "ghcr.io/cloudnative-pg/postgresql:15" } })))).length, 1);
            const proxy = { spec: { provider: { kubernetes: { envoyDeployment: { container: { imageRepository: "docker.io/envoyproxy/envoy" } } } } } };
            assert.strictEqual((await violations(p, withRegistry(args("kubernetes:gateway.envoyproxy.io/v1alpha1:EnvoyProxy", proxy)))).length, 1);
            assert.strictEqual((await violations(p, withRegistry(args("kubernetes:helm.sh/v3:Release", { chart: "cert-manager", repositoryOpts: { repo: "https://charts.jetstack.io" } })))).length, 1);
            // A look-alike host is not the registry.
            assert.strictEqual((await violations(p, withRegistry(args("kubernetes:apps/v1:Deployment", pod(`${reg}-evil.example/minio:1`))))).length, 1);
        });
    });
});
