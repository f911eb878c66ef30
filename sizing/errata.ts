// Where the guide disagrees with its own tables or with what the software
// accepts, the plan follows the tables and the software; each difference that
// touches the planned CCU is listed here, in the plan's output.
import { BUDGET_PERCENT } from "./connections";
import { GUIDE_TIERS } from "./guide-tiers";
import type { Bracket } from "./interpolate";
import { LIVEKIT_BENCHMARK } from "./livekit-capacity";
import { MINIO } from "./minio";
import type { Plan } from "./types";

const fmt = (n: number) => n.toLocaleString("en-US");

/** The §1.4 "Scaling Calculation Model" formulas, evaluated literally. */
export function formulaSizing(ccu: number) {
    const atLeast2 = (n: number) => Math.max(2, Math.ceil(n));
    return {
        synchrotron: atLeast2(ccu / 1250),
        generic: atLeast2(ccu / 2500),
        eventPersister: atLeast2(ccu / 10000),
        federationSender: atLeast2(ccu / 5000),
        maxConnections: Math.min(600, 100 + ccu / 100),
        livekit: atLeast2((ccu * 0.1) / 1000),
        coturn: atLeast2((ccu * 0.15) / 2000),
    };
}

function formulaVsTables(plan: Plan): string | undefined {
    const f = formulaSizing(plan.ccu);
    const w = plan.synapse.workers;
    const fedSenders = plan.federation ? w.federationSender.count : undefined;
    const pairs: [string, number, number | undefined][] = [
        ["sync workers", f.synchrotron, w.synchrotron.count],
        ["generic workers", f.generic, w.generic.count],
        ["event persisters", f.eventPersister, w.eventPersister.count],
        ["federation senders", f.federationSender, fedSenders],
        ["max_connections", f.maxConnections, plan.postgres.guideMaxConnections],
        ["LiveKit instances", f.livekit, plan.livekit.instances],
        ["coturn instances", f.coturn, plan.coturn.instances],
    ];
    const diffs = pairs.filter(([, formula, table]) => table !== undefined && formula !== table);
    if (diffs.length === 0) {
        return undefined;
    }
    return (
        `§1.4 formulas disagree with the tier tables at ${fmt(plan.ccu)} CCU: ` +
        diffs.map(([what, formula, table]) => `${what} ${fmt(formula)} by formula vs ${fmt(table!)} in the tables`).join("; ") +
        `. The plan follows the tables.`
    );
}

function statedTotals(plan: Plan, b: Bracket): string | undefined {
    if (!b.exact) {
        return undefined;
    }
    const stated = b.lo.statedTotals;
    const storageTB = plan.totals.diskGB / 1000;
    const diffs: string[] = [];
    if (stated.vcpu !== plan.totals.vcpu) diffs.push(`${fmt(stated.vcpu)} vCPU stated vs ${fmt(plan.totals.vcpu)} in the inventory`);
    if (stated.memoryGiB !== plan.totals.memoryGiB) diffs.push(`${fmt(stated.memoryGiB)} GB RAM stated vs ${fmt(plan.totals.memoryGiB)}`);
    if (Math.abs(stated.storageTB - storageTB) > 0.05) diffs.push(`${stated.storageTB} TB storage stated vs ${storageTB} TB`);
    if (diffs.length === 0) {
        return undefined;
    }
    return `"Total Resources" for ${fmt(plan.ccu)} CCU does not add up its own server inventory: ${diffs.join("; ")}. The plan computes totals from the inventory.`;
}

function erasureCoding(plan: Plan): string {
    const o = plan.objectStore;
    return (
        `Erasure coding: the guide runs EC:${o.parity} on ${o.serversPerPool} servers with one drive each, but parity can be at most half the drives ` +
        `of an erasure set, so EC:${o.parity} needs at least ${2 * o.parity} drives: each storage server carries ${MINIO.drivesPerServer} drives ` +
        `of ${fmt(o.driveGB)} GB (its ${fmt(o.driveGB * MINIO.drivesPerServer)} GB split). Usable capacity is raw x data/(data+parity) = ` +
        `${fmt(o.rawGB)} x ${o.erasureSetDrives - o.parity}/${o.erasureSetDrives} = ${fmt(o.usableGB)} GB; the guide states ` +
        `${fmt(o.guideUsableGB)} GB and gives the overhead as both 25% (§3.2) and 100% (§10.3).`
    );
}

function connectionBudget(plan: Plan): string {
    const c = plan.postgres.connections;
    const w = plan.synapse.workers;
    const light = Object.entries(w)
        .filter(([, p]) => p.poolClass === "light" && p.count > 0)
        .map(([t]) => t);
    let text =
        `Connection budget (§12): the guide counts main + 4 worker types (${fmt(c.guideTotal)} connections), but the deployment runs ` +
        `${plan.synapse.processes} Synapse processes (${plan.synapse.guideProcesses} in the guide's count${plan.federation ? "" : ", federation senders included"}): ` +
        `media repository, receipts, device-list and to-device writers take the worker pool (cp_max ${c.worker}); ` +
        `${light.join(", ")} are lightly loaded and take cp_max ${c.light}. Real total ${fmt(c.total)} < ${BUDGET_PERCENT}% of max_connections ${fmt(plan.postgres.maxConnections)} (${fmt(c.limit)}).`;
    if (plan.postgres.maxConnections > plan.postgres.guideMaxConnections) {
        text += ` max_connections is raised from the guide's ${fmt(plan.postgres.guideMaxConnections)} to ${fmt(plan.postgres.maxConnections)} to hold it (about 400 KB of memory per connection).`;
    }
    return text;
}

/**
 * Checked in Synapse's source (media_repository.py, _apply_media_retention_rules ->
 * delete_old_local_media -> delete_url_cache_media): local media past
 * local_media_lifetime loses its local_media_repository row, so it is gone for
 * every user even though the object stays in the bucket.
 */
export const MEDIA_RETENTION_ERRATUM =
    "§10.4 sets `media_retention.local_media_lifetime: 30d` as a local cache lifetime, but Synapse deletes local media older than that " +
    "(the file and its database row: clients get 404 although the object stays in S3). The program does not set it; the media workers' " +
    "local copies are trimmed by the S3 storage provider's `s3_media_upload` instead, which keeps the media.";
/** §11.2 promises more participants per LiveKit instance than LiveKit's own benchmark measured on the same vCPU. */
function livekitBenchmark(plan: Plan): string | undefined {
    const l = plan.livekit;
    const c = l.capacity;
    if (l.participantsPerInstance <= c.benchmarkVideoParticipants) return undefined;
    const b = LIVEKIT_BENCHMARK;
    return (
        `LiveKit capacity: §11.2 gives ${fmt(l.participantsPerInstance)} participants per ${l.cpu}-vCPU instance, but LiveKit's benchmark ` +
        `(${b.machine}, ${b.vcpu} vCPU: ${b.videoParticipants} all-video 720p participants at ${b.videoCpuPercent}% CPU, ${fmt(b.audioSubscribers)} audio-only ` +
        `subscribers at ${b.audioCpuPercent}%) scales to ${fmt(c.benchmarkVideoParticipants)} video or ${fmt(c.benchmarkAudioParticipants)} audio participants on ${l.cpu} vCPU. ` +
        `The plan keeps the guide's instance count and reports ${c.peakCpuPercent}% expected CPU per instance at the peak ` +
        `(${fmt(c.peakParticipantsPerInstance)} participants each, ${fmt(c.peakVideoPerInstance)} on video).`
    );
}

export function guideErrata(plan: Plan, b: Bracket): string[] {
    const errata: string[] = [
        "Rate limits: the guide's `rate_limiting:` block and `federation.max_concurrent_requests` are not Synapse keys; the plan uses top-level " +
            "`rc_message`, `rc_registration` and `rc_federation.concurrent`.",
        "§2.4 puts all Synapse workers in StatefulSets while §2.5 runs synchrotrons and generic workers as Deployments with HPAs; the plan follows §2.5 " +
            "and caps each HPA maximum so the connection budget still holds at it.",
    ];
    const formula = formulaVsTables(plan);
    if (formula) errata.push(formula);
    const totals = statedTotals(plan, b);
    if (totals) errata.push(totals);
    errata.push(erasureCoding(plan));
    if (b.lo.ccu === GUIDE_TIERS[0].ccu) {
        errata.push(
            `coturn at ${fmt(GUIDE_TIERS[0].ccu)} CCU: §3.2 sizes an instance at ${plan.coturn.cpu} vCPU / ${plan.coturn.memoryGiB} GB while §11.3 gives 8 vCPU / 8 GB; the plan uses the tier table.`,
        );
    }
    if (plan.callsColocated) {
        errata.push(
            `LiveKit and coturn share the ${plan.nodePools.calls.count} call servers (${plan.nodePools.calls.vcpu} vCPU / ${plan.nodePools.calls.memoryGiB} GB each): their UDP port ranges must not overlap, ` +
                `and the guide's per-instance sizes (LiveKit ${plan.livekit.cpu} vCPU / ${plan.livekit.memoryGiB} GB plus coturn ${plan.coturn.cpu} vCPU / ${plan.coturn.memoryGiB} GB) exceed one server, so they are limits, not requests.`,
        );
    }
    if (!plan.federation) {
        errata.push(
            `The guide counts ${b.lo.synapse.federationSender.count} federation senders at this tier, yet federation is off by default: none are deployed and the connection budget does not count them.`,
        );
    }
    errata.push(connectionBudget(plan));
    if (b.exact && b.lo.ccu === 20000) {
        errata.push(
            "§7.2 writes the 20K pool total as 25 + (15 x 38) = 595 \"< 510\" (it is not) and §12.4 counts 39 x 15 = 585; §7.3 and the §9.2 table settle on worker cp_max 12 (481), which the plan uses.",
        );
    }
    errata.push(MEDIA_RETENTION_ERRATUM);
    const lk = livekitBenchmark(plan);
    if (lk) errata.push(lk);
    errata.push("Call failure alert: §8.2 says act above 5% call failures, §11.4 above 2%; the plan alerts at 2%.");
    return errata;
}
