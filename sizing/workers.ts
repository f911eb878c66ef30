// How many of each Synapse worker type run, and how big each process is.
//
// The guide's tables give four types (§9.1). A working worker deployment
// needs more (design notes §1, guide §2.5): media repository workers, a
// background-tasks worker and one process per single-writer stream. Their
// counts and sizes are this project's decisions, written here once.
import type { GuideTier } from "./guide-tiers";
import { Bracket, count, step } from "./interpolate";
import type { PoolClass, ProcessSize, TierCcu, WorkerType } from "./types";

export interface WorkerRule {
    readonly poolClass: Exclude<PoolClass, "main">;
    /** Synchrotrons and generic workers are anonymous: a Deployment with an HPA may add more. */
    readonly autoscaled: boolean;
    /** Streams with exactly one writer (design notes §1): the count is fixed at 1. */
    readonly singleton: boolean;
    readonly count: (b: Bracket) => number;
    readonly size: (b: Bracket) => ProcessSize;
}

type PerTier = Readonly<Record<TierCcu, number>>;

/** Counts for the types the guide does not tabulate, per tier (interpolated like the guide's). */
const EXTRA_COUNTS: Readonly<Record<"mediaRepository" | "receiptsWriter" | "deviceListsWriter", PerTier>> = {
    // Two for HA; 20K doubles them for thumbnailing and remote-media fetch load.
    mediaRepository: { 100: 2, 1000: 2, 5000: 2, 10000: 2, 20000: 4 },
    // receipts and device_lists accept several writers; a second one only pays off at 20K.
    receiptsWriter: { 100: 1, 1000: 1, 5000: 1, 10000: 1, 20000: 2 },
    deviceListsWriter: { 100: 1, 1000: 1, 5000: 1, 10000: 1, 20000: 2 },
};

const guideCount = (type: "synchrotron" | "generic" | "eventPersister" | "federationSender") => (b: Bracket) =>
    count(b, (t) => t.synapse[type].count);
const guideSize = (type: "synchrotron" | "generic" | "eventPersister" | "federationSender") => (b: Bracket) =>
    step(b, (t) => ({ cpu: t.synapse[type].cpu, memoryGiB: t.synapse[type].memoryGiB }));
const extraCount = (type: keyof typeof EXTRA_COUNTS) => (b: Bracket) => count(b, (t) => EXTRA_COUNTS[type][t.ccu]);

/** Media workers do the generic workers' share of HTTP work plus thumbnailing: sized like them. */
const likeGeneric = guideSize("generic");

/** Writers of small streams: one core is more than they use; memory follows the tier's federation senders (the smallest worker the guide sizes). */
const smallWriter = (b: Bracket): ProcessSize =>
    step(b, (t: GuideTier) => ({ cpu: Math.min(1, t.synapse.federationSender.cpu), memoryGiB: t.synapse.federationSender.memoryGiB }));

const one = () => 1;

export const WORKER_RULES: Readonly<Record<WorkerType, WorkerRule>> = {
    synchrotron: { poolClass: "standard", autoscaled: true, singleton: false, count: guideCount("synchrotron"), size: guideSize("synchrotron") },
    generic: { poolClass: "standard", autoscaled: true, singleton: false, count: guideCount("generic"), size: guideSize("generic") },
    eventPersister: { poolClass: "standard", autoscaled: false, singleton: false, count: guideCount("eventPersister"), size: guideSize("eventPersister") },
    federationSender: { poolClass: "standard", autoscaled: false, singleton: false, count: guideCount("federationSender"), size: guideSize("federationSender") },
    mediaRepository: { poolClass: "standard", autoscaled: false, singleton: false, count: extraCount("mediaRepository"), size: likeGeneric },
    receiptsWriter: { poolClass: "standard", autoscaled: false, singleton: false, count: extraCount("receiptsWriter"), size: smallWriter },
    deviceListsWriter: { poolClass: "standard", autoscaled: false, singleton: false, count: extraCount("deviceListsWriter"), size: smallWriter },
    // to-device traffic (E2EE key sharing) writes to device_inbox on every message: a full pool.
    toDeviceWriter: { poolClass: "standard", autoscaled: false, singleton: true, count: one, size: smallWriter },
    // typing is in memory only; account data, push rules and presence write rarely; background tasks run in batches.
    typingWriter: { poolClass: "light", autoscaled: false, singleton: true, count: one, size: smallWriter },
    accountDataWriter: { poolClass: "light", autoscaled: false, singleton: true, count: one, size: smallWriter },
    pushRulesWriter: { poolClass: "light", autoscaled: false, singleton: true, count: one, size: smallWriter },
    presenceWriter: { poolClass: "light", autoscaled: false, singleton: true, count: one, size: smallWriter },
    background: { poolClass: "light", autoscaled: false, singleton: true, count: one, size: smallWriter },
};

/** cp_min / cp_max of the `light` pool, at every tier. */
export const LIGHT_POOL = { cpMin: 1, cpMax: 5 } as const;
