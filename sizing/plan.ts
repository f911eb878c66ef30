// computePlan: stack sizing input -> the immutable plan every component reads.
import { allocatable } from "./reserve";
import { antivirusPlan } from "./antivirus";
import {
    autoscaleMaxima,
    poolOf,
    poolSizes,
    requiredMaxConnections,
    surgeConnections,
    totalConnections,
    withinBudget,
    BUDGET_PERCENT,
} from "./connections";
import { guideErrata } from "./errata";
import { DISK_TYPES, GUIDE_TIERS, PURPOSES } from "./guide-tiers";
import { bracket, Bracket, carried, count, step } from "./interpolate";
import { ALERTS } from "./alerts";
import { livekitCapacity } from "./livekit-capacity";
import { MINIO } from "./minio";
import { monitoringPlan } from "./monitoring";
import { deepFreeze, parseSize } from "./units";
import {
    GUIDE_WORKER_TYPES,
    NODE_ROLES,
    NodePool,
    NodeRole,
    Plan,
    SizingInput,
    WORKER_TYPES,
    WorkerPlan,
    WorkerType,
    type SizingOverrides,
} from "./types";
import { WORKER_RULES } from "./workers";

/** Bad sizing input; `problems` lists every one, each naming the key. */
export class SizingError extends Error {
    constructor(readonly problems: readonly string[]) {
        super(problems.join("\n"));
        this.name = "SizingError";
    }
}


/** §10.1: 10% of users upload, 20GB each a year. */
const UPLOADER_SHARE = 0.1;
const GB_PER_UPLOADER_YEAR = 20;
/** §11: 10% of CCU in calls, in pairs on average (§11.5: 5 calls per 100 CCU); 60% of calls are video. */
const CALL_PARTICIPANT_SHARE = 0.1;
const CALLS_PER_CCU = 0.05;
const VIDEO_CALL_SHARE = 0.6;
const CALL_MBPS_PER_CCU = 0.2;
/** §11.3: 15% of CCU need a TURN relay, 4 allocations each. */
const TURN_SHARE = 0.15;
const ALLOCATIONS_PER_TURN_USER = 4;
/** A user may be in calls from up to three devices at once (Synapse's coturn guide uses the resulting 12). */
const TURN_DEVICES_PER_USER = 3;
/** §10.5: average media upload is 2 Mbps per 100 CCU, peaks are 5x. */
const MEDIA_MBPS_PER_CCU = 0.02;
const MEDIA_PEAK_FACTOR = 5;

/**
 * A pod that has a server to itself (PostgreSQL on a database server) cannot
 * request the whole server: the kubelet, the OS and the daemon sets keep part
 * of it (sizing/reserve.ts), and a pod that asks for more than is allocatable
 * never schedules. It requests what is allocatable, rounded down to half a
 * vCPU and a whole GiB.
 */
export function dedicatedPod(server: { readonly vcpu: number; readonly memoryGiB: number }): { cpu: number; memoryGiB: number } {
    const a = allocatable(server);
    return { cpu: Math.floor(a.cpu * 2) / 2, memoryGiB: Math.floor(a.memoryGiB) };
}

function checkOverrides(input: SizingInput, planned: Record<WorkerType, number>): string[] {
    const problems: string[] = [];
    const workers = input.overrides?.workers ?? {};
    for (const [type, value] of Object.entries(workers)) {
        const key = `matrix:sizing.workers.${type}`;
        if (!(WORKER_TYPES as readonly string[]).includes(type)) {
            problems.push(`${key}: unknown worker type; allowed: ${WORKER_TYPES.join(", ")}`);
            continue;
        }
        const rule = WORKER_RULES[type as WorkerType];
        const minimum = planned[type as WorkerType];
        if (value === undefined) {
            continue;
        }
        if (!Number.isInteger(value)) {
            problems.push(`${key}: got ${value}; allowed: a whole number`);
        } else if (type === "federationSender" && !input.federation && value > 0) {
            problems.push(`${key}: got ${value}; allowed: 0 while matrix:federation is false (no federation senders run without federation)`);
        } else if (rule.singleton && value !== 1) {
            problems.push(`${key}: got ${value}; allowed: 1 (this stream takes exactly one writer; Synapse refuses to start with two)`);
        } else if (value < minimum) {
            problems.push(`${key}: got ${value}; allowed: at least ${minimum}, the plan's count for ${input.ccu} CCU (overrides may only add capacity)`);
        }
    }
    for (const [role, value] of Object.entries(input.overrides?.extraServers ?? {})) {
        if (value !== undefined && (!Number.isInteger(value) || value < 0 || value > MAX_EXTRA_SERVERS)) {
            problems.push(`matrix:sizing.extraServers.${role}: got ${value}; allowed: a whole number from 0 to ${MAX_EXTRA_SERVERS}`);
        }
    }
    return problems;
}

/** Bound on matrix:sizing.extraServers per pool: beyond it the next tier is the answer. */
export const MAX_EXTRA_SERVERS = 20;

function nodePools(b: Bracket, livekit: number, coturn: number, colocated: boolean, pools: number, postgres: number, extra: SizingOverrides["extraServers"] = {}): Record<NodeRole, NodePool> {
    const extraOf = (role: NodeRole) => (role === "app" ? (extra.app ?? 0) : 0);
    const counts: Record<NodeRole, number> = {
        controlPlane: 3,
        app: count(b, (t) => t.appServers),
        database: postgres,
        storage: pools * MINIO.serversPerPool,
        calls: colocated ? Math.max(livekit, coturn) : livekit + coturn,
        li: 1,
        monitoring: 1,
    };
    const result = {} as Record<NodeRole, NodePool>;
    for (const role of NODE_ROLES) {
        const spec = step(b, (t) => t.servers[role]);
        result[role] = { count: counts[role] + extraOf(role), extra: extraOf(role), vcpu: spec.vcpu, memoryGiB: spec.memoryGiB, diskGB: spec.diskGB, diskType: DISK_TYPES[role], purpose: PURPOSES[role] };
    }
    return result;
}

export function computePlan(input: SizingInput): Plan {
    const b = bracket(input.ccu);
    const warnings: string[] = [];

    // Synapse processes.
    const planned = {} as Record<WorkerType, number>;
    for (const type of WORKER_TYPES) {
        planned[type] = type === "federationSender" && !input.federation ? 0 : WORKER_RULES[type].count(b);
    }
    const problems = checkOverrides(input, planned);
    const counts = { ...planned };
    for (const [type, value] of Object.entries(input.overrides?.workers ?? {})) {
        if (value !== undefined && (WORKER_TYPES as readonly string[]).includes(type)) {
            counts[type as WorkerType] = Math.max(counts[type as WorkerType], value);
        }
    }

    // Connection budget: the guide's max_connections unless the processes that really run need more.
    const pools = poolSizes(b);
    const guideMaxConnections = Number(step(b, (t) => t.postgres.max_connections));
    const total = totalConnections(counts, pools);
    const required = requiredMaxConnections(total + surgeConnections(counts, pools), guideMaxConnections);
    const override = input.overrides?.postgresMaxConnections;
    if (override !== undefined && (!Number.isInteger(override) || override < required)) {
        problems.push(
            `matrix:sizing.postgresMaxConnections: got ${override}; allowed: a whole number of at least ${required} ` +
                `(${total} pool connections must stay below ${BUDGET_PERCENT}% of max_connections)`,
        );
    }
    if (problems.length > 0) {
        throw new SizingError(problems);
    }
    const maxConnections = override ?? required;
    const maxima = autoscaleMaxima(counts, pools, maxConnections);
    const totalAtMax = totalConnections(maxima, pools);

    const workers = {} as Record<WorkerType, WorkerPlan>;
    for (const type of WORKER_TYPES) {
        const rule = WORKER_RULES[type];
        const pool = poolOf(type, pools);
        workers[type] = { count: counts[type], maxReplicas: maxima[type], ...rule.size(b), cpMin: pool.cpMin, cpMax: pool.cpMax, poolClass: rule.poolClass };
        if (rule.autoscaled && counts[type] > 0 && maxima[type] === counts[type]) {
            warnings.push(`${type}: the connection budget leaves no room for autoscaling; the HPA maximum equals the planned ${counts[type]} (raise matrix:sizing.postgresMaxConnections for headroom)`);
        }
    }
    const processes = 1 + WORKER_TYPES.reduce((sum, t) => sum + counts[t], 0);
    // The guide's own accounting: main plus its four table types, federation senders always included.
    const guideWorkers = GUIDE_WORKER_TYPES.reduce((sum, t) => sum + WORKER_RULES[t].count(b), 0);
    const guideProcesses = 1 + guideWorkers;
    const guideTotal = pools.main.cpMax + guideWorkers * pools.standard.cpMax;

    // PostgreSQL.
    const postgresInstances = count(b, (t) => t.databaseServers);
    const parameters: Record<string, string> = { ...carried(b, (t) => t.postgres), max_connections: String(maxConnections) };
    const dbServer = step(b, (t) => t.servers.database);

    // Calls.
    const livekitInstances = count(b, (t) => t.livekit.instances);
    const coturnInstances = count(b, (t) => t.coturn.instances);
    // Only the 100 CCU tier puts LiveKit and coturn on the same two servers (§3.2).
    const colocated = b.lo.ccu === GUIDE_TIERS[0].ccu && b.hi.ccu === GUIDE_TIERS[0].ccu;

    // Object storage.
    const minioPools = count(b, (t) => t.minioPools);
    const storageServer = step(b, (t) => t.servers.storage);
    const driveGB = storageServer.diskGB / MINIO.drivesPerServer;
    const erasureSetDrives = MINIO.serversPerPool * MINIO.drivesPerServer;
    const rawGB = minioPools * MINIO.serversPerPool * storageServer.diskGB;
    const usableGB = (rawGB * (erasureSetDrives - MINIO.parity)) / erasureSetDrives;
    const annualGrowthGB = input.ccu * UPLOADER_SHARE * GB_PER_UPLOADER_YEAR;
    const yearsCovered = usableGB / annualGrowthGB;
    if (yearsCovered < 1) {
        warnings.push(
            `object storage: ${usableGB} GB usable covers ${yearsCovered.toFixed(2)} years of the §10 growth model (${annualGrowthGB} GB/year); ` +
                `plan a new pool of ${MINIO.serversPerPool} servers within ${Math.max(1, Math.floor(yearsCovered * 12))} months`,
        );
    }

    const roles = nodePools(b, livekitInstances, coturnInstances, colocated, minioPools, postgresInstances, input.overrides?.extraServers);
    const totals = NODE_ROLES.reduce(
        (acc, role) => {
            const p = roles[role];
            return {
                servers: acc.servers + p.count,
                vcpu: acc.vcpu + p.count * p.vcpu,
                memoryGiB: acc.memoryGiB + p.count * p.memoryGiB,
                diskGB: acc.diskGB + p.count * p.diskGB,
            };
        },
        { servers: 0, vcpu: 0, memoryGiB: 0, diskGB: 0 },
    );

    const concurrentCalls = Math.ceil(input.ccu * CALLS_PER_CCU);
    const videoCalls = Math.ceil(concurrentCalls * VIDEO_CALL_SHARE);
    const mediaAvgMbps = input.ccu * MEDIA_MBPS_PER_CCU;
    const rcRegistration = carried(b, (t) => (t.rcRegistration ? { value: t.rcRegistration } : undefined)).value;
    const eventCacheSize = step(b, (t) => t.eventCacheSize);
    const maxUploadSize = step(b, (t) => t.maxUploadSize);

    const livekitCap = livekitCapacity({
        instances: livekitInstances,
        vcpu: step(b, (t) => t.livekit.cpu),
        peakParticipants: Math.ceil(input.ccu * CALL_PARTICIPANT_SHARE),
        videoShare: VIDEO_CALL_SHARE,
    });
    if (livekitCap.peakCpuPercent > ALERTS.callCpuPercent) {
        warnings.push(
            `LiveKit: at the peak of ${Math.ceil(input.ccu * CALL_PARTICIPANT_SHARE)} call participants (${livekitCap.peakParticipantsPerInstance} per instance, ` +
                `${livekitCap.peakVideoPerInstance} on video) LiveKit's benchmark puts each instance at ${livekitCap.peakCpuPercent}% CPU, above the §11.4 ` +
                `scale-up threshold of ${ALERTS.callCpuPercent}% (an upper bound: the benchmark's video participants each receive 149 tracks); watch the call servers' CPU`,
        );
    }
    if (!b.exact) {
        warnings.push(
            `${input.ccu} CCU lies between the guide's ${b.lower} and ${b.upper} CCU tiers: counts are interpolated (rounded up), ` +
                `server sizes and tuning are the ${b.lower} CCU tier's`,
        );
    }

    const plan: Plan = {
        ccu: input.ccu,
        federation: input.federation,
        tier: { lower: b.lower, upper: b.upper, exact: b.exact },
        nodePools: roles,
        totals,
        synapse: {
            main: { ...step(b, (t) => t.synapse.main), ...pools.main },
            workers,
            processes,
            guideProcesses,
            caches: { globalFactor: step(b, (t) => t.globalFactor), eventCacheSize, eventCacheEntries: parseSize(eventCacheSize) },
            maxUploadSize,
            maxUploadBytes: parseSize(maxUploadSize),
            rcMessage: step(b, (t) => t.rcMessage),
            rcRegistration,
            rcFederation: { concurrent: step(b, (t) => t.federationConcurrent) },
        },
        postgres: {
            instances: postgresInstances,
            cpu: dbServer.vcpu,
            memoryGiB: dbServer.memoryGiB,
            pod: dedicatedPod(dbServer),
            storageGB: dbServer.diskGB,
            maxConnections,
            guideMaxConnections,
            parameters,
            connections: {
                main: pools.main.cpMax,
                worker: pools.standard.cpMax,
                light: pools.light.cpMax,
                total,
                totalAtMaxReplicas: totalAtMax,
                guideTotal,
                limit: (BUDGET_PERCENT * maxConnections) / 100,
                reserved: maxConnections - (BUDGET_PERCENT * maxConnections) / 100,
            },
        },
        redis: {
            synapse: { instances: 3, sentinels: 3, ...step(b, (t) => t.redis.synapse), persistence: "aof" },
            livekit: { instances: 3, sentinels: 3, ...step(b, (t) => t.redis.livekit), persistence: "rdb" },
        },
        objectStore: {
            pools: minioPools,
            serversPerPool: MINIO.serversPerPool,
            drivesPerServer: MINIO.drivesPerServer,
            driveGB,
            erasureSetDrives,
            parity: MINIO.parity,
            rawGB,
            usableGB,
            guideUsableGB: step(b, (t) => t.guideUsableGB),
        },
        livekit: {
            instances: livekitInstances,
            cpu: step(b, (t) => t.livekit.cpu),
            memoryGiB: step(b, (t) => t.livekit.memoryGiB),
            participantsPerInstance: step(b, (t) => t.livekit.participantsPerInstance),
            expectedParticipants: Math.ceil(input.ccu * CALL_PARTICIPANT_SHARE),
            capacity: livekitCap,
        },
        coturn: {
            instances: coturnInstances,
            cpu: step(b, (t) => t.coturn.cpu),
            memoryGiB: step(b, (t) => t.coturn.memoryGiB),
            allocationsPerInstance: step(b, (t) => t.coturn.allocationsPerInstance),
            expectedAllocations: Math.ceil(input.ccu * TURN_SHARE) * ALLOCATIONS_PER_TURN_USER,
            userQuota: TURN_DEVICES_PER_USER * ALLOCATIONS_PER_TURN_USER,
        },
        callsColocated: colocated,
        media: { annualGrowthGB, yearsCovered },
        antivirus: antivirusPlan(input.ccu),
        bandwidth: {
            mediaAvgMbps,
            mediaPeakMbps: mediaAvgMbps * MEDIA_PEAK_FACTOR,
            mediaUplinkMbps: step(b, (t) => t.mediaUplinkMbps),
            concurrentCalls,
            callParticipants: Math.ceil(input.ccu * CALL_PARTICIPANT_SHARE),
            videoCalls,
            audioCalls: concurrentCalls - videoCalls,
            callsMbps: input.ccu * CALL_MBPS_PER_CCU,
        },
        alerts: ALERTS,
        monitoring: monitoringPlan(input.ccu),
        warnings,
        errata: [],
    };
    if (!withinBudget(total, maxConnections) || !withinBudget(totalAtMax, maxConnections)) {
        // computePlan chose maxConnections to prevent exactly this; reaching here is a bug, not bad input.
        throw new Error(`internal: connection budget broken (${total}/${totalAtMax} of ${maxConnections})`);
    }
    return deepFreeze({ ...plan, errata: guideErrata(plan, b) });
}
