// Where everything of one local boot lives: a loopback port per listener, a
// folder per process, a file per secret. Pure data; boot.ts fills it with free
// ports, rewrite.ts maps the cluster's names onto it.
import * as path from "node:path";
import type { Topology } from "../../components/synapse/topology";

export interface SynapsePorts {
    readonly http: number;
    readonly replication: number;
    readonly metrics: number;
}

/** One Synapse process: main, a named instance, or one replica of an autoscaled pool. */
export interface SynapseInstance {
    /** worker_name (pod name); main is the main pod's name. */
    readonly name: string;
    /** Pool (workload) name: synapse-main, synapse-synchrotron, ... */
    readonly pool: string;
    readonly kind: "main" | "named" | "pool";
    /** Key of its own worker file in the ConfigMap; none for main. */
    readonly workerFile?: string;
    readonly ports: SynapsePorts;
}

export interface LocalLayout {
    readonly workdir: string;
    readonly logDir: string;
    readonly confDir: string;
    readonly postgres: { readonly port: number; readonly dir: string };
    readonly redis: {
        readonly servers: readonly number[];
        readonly sentinels: readonly number[];
        /** The generated HAProxy master endpoint Synapse talks to. */
        readonly endpoint: number;
        readonly endpointHealth: number;
        readonly dir: string;
    };
    readonly minio: { readonly port: number; readonly consolePort: number; readonly dir: string };
    readonly router: { readonly port: number; readonly healthPort: number };
    readonly synapse: readonly SynapseInstance[];
    /** Mounted paths of the pods -> folders of the work dir (longest prefix wins). */
    readonly mounts: Readonly<Record<string, string>>;
}

/** Instance names of the processes to run: main, every named instance, `min(count, maxReplicas)` replicas per autoscaled pool. */
export function synapseInstances(topo: Topology, maxReplicas: number): { name: string; pool: string; kind: SynapseInstance["kind"]; workerFile?: string }[] {
    const out: { name: string; pool: string; kind: SynapseInstance["kind"]; workerFile?: string }[] = [{ name: topo.main.podName, pool: topo.main.name, kind: "main" }];
    for (const pool of topo.pools) {
        if (pool.def.scalable) {
            const n = Math.max(1, Math.min(pool.size.count, maxReplicas));
            for (let i = 0; i < n; i++) out.push({ name: `${pool.def.name}-local-${i}`, pool: pool.def.name, kind: "pool", workerFile: `worker-${pool.def.name}.yaml` });
        } else {
            for (const name of pool.instances) out.push({ name, pool: pool.def.name, kind: "named", workerFile: `worker-${name}.yaml` });
        }
    }
    return out;
}

/** Ports needed: 3 per Synapse process, 2 for the router, the Redis group's, PostgreSQL's and MinIO's. */
export function portsNeeded(synapseCount: number, redisServers: number, sentinels: number): number {
    return synapseCount * 3 + 2 + redisServers + sentinels + 2 + 1 + 2;
}

/** Assigns ports (in order) and folders under `workdir`; each mounted folder of the pods becomes <workdir>/mounts<folder>. */
export function makeLayout(
    workdir: string,
    instances: ReturnType<typeof synapseInstances>,
    redis: { servers: number; sentinels: number },
    ports: readonly number[],
    podDirs: readonly string[],
): LocalLayout {
    const need = portsNeeded(instances.length, redis.servers, redis.sentinels);
    if (ports.length < need) throw new Error(`layout needs ${need} ports, got ${ports.length}`);
    let i = 0;
    const next = () => ports[i++]!;
    const synapse = instances.map((x) => ({ ...x, ports: { http: next(), replication: next(), metrics: next() } }));
    const dir = (p: string) => path.join(workdir, p);
    const mounts = Object.fromEntries(podDirs.map((d) => [d, path.join(workdir, "mounts", d)]));
    return {
        workdir,
        logDir: dir("logs"),
        confDir: mounts["/conf"] ?? dir("conf"),
        postgres: { port: next(), dir: dir("postgres") },
        redis: {
            servers: Array.from({ length: redis.servers }, next),
            sentinels: Array.from({ length: redis.sentinels }, next),
            endpoint: next(),
            endpointHealth: next(),
            dir: dir("redis"),
        },
        minio: { port: next(), consolePort: next(), dir: dir("minio") },
        router: { port: next(), healthPort: next() },
        synapse,
        mounts,
    };
}
