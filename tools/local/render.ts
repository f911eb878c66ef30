// What the program would deploy, taken from the program itself: index.ts runs
// under the same mocks `npm run synth` uses, and the files come out of the
// registered ConfigMaps (the exact bytes synth writes), the MinIO server
// arguments out of its StatefulSet. Nothing here re-derives a number or a file.
import type { Plan } from "../../sizing/types";
import { buildTopology, type Topology } from "../../components/synapse/topology";
import { runProgram, stackConfigBlock, unwrapSecrets, type ProgramRun, type RegisteredResource } from "../mock-runtime";

export interface RenderRequest {
    /** Stack whose Pulumi.<stack>.yaml is used (default "dev"). */
    readonly stack?: string;
    /** Concurrent users instead of the stack's own matrix:ccu (the rest of the stack's config is kept). */
    readonly ccu?: number;
}

export interface RenderedDeployment {
    readonly stack: string;
    readonly plan: Plan;
    readonly topology: Topology;
    readonly serverName: string;
    /** The synapse-config ConfigMap: homeserver.yaml, log.yaml, one file per worker (or pool template). */
    readonly synapseFiles: Readonly<Record<string, string>>;
    /** The synapse-router ConfigMap's haproxy.cfg. */
    readonly routerCfg: string;
    /** The redis-synapse-config ConfigMap: redis.conf, sentinel.conf, haproxy.cfg (master endpoint), start scripts. */
    readonly redisFiles: Readonly<Record<string, string>>;
    /** Sentinel master name and the group's sizes, as the program runs them. */
    readonly redis: { readonly masterName: string; readonly instances: number; readonly sentinels: number; readonly haproxyReplicas: number };
    readonly minio: {
        /** Container args of every MinIO pool StatefulSet (identical across pools: every server starts with every pool). */
        readonly args: readonly string[];
        readonly env: Readonly<Record<string, string>>;
        readonly bootstrapScript: string;
        /** minio-policies ConfigMap: <policy>.json files. */
        readonly policies: Readonly<Record<string, string>>;
    };
    readonly media: { readonly bucket: string; readonly region: string; readonly endpointUrl: string };
    readonly postgres: { readonly database: string; readonly user: string; readonly host: string; readonly port: number };
    /** The Redis master endpoint Synapse is given. */
    readonly redisEndpoint: { readonly host: string; readonly port: number };
    /** Synapse workloads whose pods get the media S3 credentials (envFrom). */
    readonly mediaCredentialPools: readonly string[];
}

export class RenderError extends Error {}

function configMap(run: ProgramRun, name: string, namespace: string): Record<string, string> {
    const r = run.resources.find((x) => x.type === "kubernetes:core/v1:ConfigMap" && x.inputs.metadata?.name === name && x.inputs.metadata?.namespace === namespace);
    if (!r) throw new RenderError(`the program registered no ConfigMap ${namespace}/${name}`);
    return unwrapSecrets(r.inputs.data) as Record<string, string>;
}

const workloads = (run: ProgramRun, namespace: string): RegisteredResource[] =>
    run.resources.filter((r) => /^kubernetes:apps\/v1:(StatefulSet|Deployment)$/.test(r.type) && r.inputs.metadata?.namespace === namespace);

export async function renderDeployment(req: RenderRequest = {}): Promise<RenderedDeployment> {
    const stack = req.stack ?? "dev";
    const config = { ...stackConfigBlock(stack) };
    if (req.ccu !== undefined) config["matrix:ccu"] = req.ccu;
    // The local boot runs no clamd yet: Synapse's scanner module is proven on its own with real clamd
    // (test/antivirus/scan.proof.test.ts), so the local files are rendered without it.
    config["matrix:antivirus"] = { ...((config["matrix:antivirus"] as Record<string, unknown> | undefined) ?? {}), enabled: false };
    const run = await runProgram({ stack, config });
    const plan = unwrapSecrets(run.outputs.plan) as Plan;
    const endpoints = unwrapSecrets(run.outputs.dataEndpoints) as {
        postgres: { host: string; port: number; database: string; user: string };
        redis: { host: string; port: number };
        media: { bucket: string; region: string; endpointUrl: string };
    };

    const minioSets = workloads(run, "matrix-storage").filter((r) => String(r.inputs.metadata?.name).startsWith("minio-pool-"));
    if (minioSets.length === 0) throw new RenderError("no MinIO pool StatefulSet: the local boot needs matrix:data.objectStore.backend minio");
    const container = minioSets[0]!.inputs.spec.template.spec.containers[0];
    const env: Record<string, string> = {};
    for (const e of container.env ?? []) if (typeof e.value === "string") env[e.name] = e.value;

    const matrixWorkloads = workloads(run, "matrix");
    const redisHaproxy = matrixWorkloads.find((w) => w.inputs.metadata?.name === "redis-synapse-haproxy");
    const mediaCredentialPools = matrixWorkloads
        .filter((w) => w.inputs.spec?.template?.metadata?.labels?.["app.kubernetes.io/name"] === "synapse")
        .filter((w) => (w.inputs.spec.template.spec.containers[0].envFrom ?? []).length > 0)
        .map((w) => String(w.inputs.metadata.name));

    return {
        stack,
        plan,
        topology: buildTopology(plan),
        serverName: String(unwrapSecrets(run.outputs.domain)),
        synapseFiles: configMap(run, "synapse-config", "matrix"),
        routerCfg: configMap(run, "synapse-router", "matrix")["haproxy.cfg"]!,
        redisFiles: configMap(run, "redis-synapse-config", "matrix"),
        redis: {
            masterName: "synapse",
            instances: plan.redis.synapse.instances,
            sentinels: plan.redis.synapse.sentinels,
            haproxyReplicas: Number(redisHaproxy?.inputs.spec?.replicas ?? 1),
        },
        minio: {
            args: container.args as string[],
            env,
            bootstrapScript: configMap(run, "minio-bootstrap", "matrix-storage")["bootstrap.sh"]!,
            policies: configMap(run, "minio-policies", "matrix-storage"),
        },
        media: endpoints.media,
        postgres: endpoints.postgres,
        redisEndpoint: { host: endpoints.redis.host, port: endpoints.redis.port },
        mediaCredentialPools,
    };
}
