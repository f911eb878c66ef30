// The worker table applied to one sizing plan: which pools run, how many
// instances, and the stable name and DNS host of every named instance.
// Pure: the config generators, the router and the Kubernetes wiring read it.
import type { Plan, WorkerPlan } from "../../sizing/types";
import { NAMESPACES } from "../contracts";
import { HTTP_PORT, REPLICATION_PORT } from "./ports";
import { MAIN_STREAM_WRITER_NAME, STREAMS, type Stream } from "./streams";
import { MAIN, WORKER_TABLE, type WorkerDefinition } from "./worker-table";

export interface Pool {
    readonly def: WorkerDefinition;
    readonly size: WorkerPlan;
    /** Worker names (= pod names) of a StatefulSet pool; empty for an autoscaled pool. */
    readonly instances: readonly string[];
    /** Headless Service that gives every pod of the pool a DNS record. */
    readonly headlessService: string;
}

export interface InstanceLocation {
    readonly host: string;
    readonly port: number;
}

export interface Topology {
    readonly namespace: string;
    readonly federation: boolean;
    readonly main: { readonly name: string; readonly podName: string; readonly host: string };
    /** Pools that run, in table (routing priority) order. */
    readonly pools: readonly Pool[];
    /** Writers per stream; a stream without a worker stays on main (`master`). */
    readonly streamWriters: Readonly<Record<Stream, readonly string[]>>;
    /** `main` plus every stream writer, pointing at their replication listeners. */
    readonly instanceMap: Readonly<Record<string, InstanceLocation>>;
}

export class TopologyError extends Error {}

const podHost = (pod: string, service: string, namespace: string) => `${pod}.${service}.${namespace}.svc.cluster.local`;

/** DNS name of a pool's headless Service: resolves to every ready pod (A records). */
export const poolServiceHost = (pool: Pool, namespace: string) => `${pool.headlessService}.${namespace}.svc.cluster.local`;

export function buildTopology(plan: Plan, namespace: string = NAMESPACES.matrix): Topology {
    const errors: string[] = [];
    const pools: Pool[] = [];
    for (const def of WORKER_TABLE) {
        const size = plan.synapse.workers[def.type];
        if (def.federationOnly && !plan.federation) continue;
        if (size.count === 0) continue;
        if (def.maxInstances !== undefined && size.count > def.maxInstances) {
            errors.push(
                `synapse.workers.${def.type}: count ${size.count} is not allowed; ${def.purpose} takes at most ${def.maxInstances} instance(s)`,
            );
        }
        if (!def.scalable && size.maxReplicas !== size.count) {
            errors.push(`synapse.workers.${def.type}: maxReplicas ${size.maxReplicas} differs from count ${size.count}, but ${def.name} cannot autoscale`);
        }
        const instances = def.scalable ? [] : Array.from({ length: size.count }, (_, i) => `${def.name}-${i}`);
        pools.push({ def, size, instances, headlessService: def.name });
    }
    if (errors.length > 0) throw new TopologyError(errors.join("\n"));

    const streamWriters = Object.fromEntries(
        STREAMS.map((s) => {
            const writers = pools.filter((p) => p.def.streams.includes(s)).flatMap((p) => p.instances);
            return [s, writers.length > 0 ? writers : [MAIN_STREAM_WRITER_NAME]];
        }),
    ) as unknown as Record<Stream, readonly string[]>;

    const mainPod = `${MAIN.name}-0`;
    const mainHost = podHost(mainPod, MAIN.name, namespace);
    const instanceMap: Record<string, InstanceLocation> = { main: { host: mainHost, port: REPLICATION_PORT } };
    for (const pool of pools) {
        if (pool.def.streams.length === 0) continue;
        for (const name of pool.instances) {
            instanceMap[name] = { host: podHost(name, pool.headlessService, namespace), port: REPLICATION_PORT };
        }
    }
    return {
        namespace,
        federation: plan.federation,
        main: { name: MAIN.name, podName: mainPod, host: mainHost },
        pools,
        streamWriters,
        instanceMap,
    };
}

/** Host:port of one StatefulSet pod's HTTP listener, as the router addresses it. */
export function instanceHttpAddress(pool: Pool, instance: string, namespace: string): string {
    return `${podHost(instance, pool.headlessService, namespace)}:${HTTP_PORT}`;
}

/** What runs, in words a reviewer reads in `pulumi preview` outputs before anything is created. */
export function topologySummary(topo: Topology): Record<string, string> {
    const out: Record<string, string> = { [topo.main.name]: `StatefulSet, 1 pod (${topo.main.podName})` };
    for (const p of topo.pools) {
        const d = p.def;
        out[d.name] = d.scalable
            ? `Deployment + HPA ${p.size.count}..${p.size.maxReplicas} pods: ${d.purpose}`
            : `StatefulSet, ${p.instances.length} pod(s) ${p.instances.join(", ")}: ${d.purpose}`;
    }
    return out;
}
