// The one rule for a CCU between (or below) the guide's tiers.
//
//   * Counts (servers, processes, instances, pools) move linearly between the
//     two tiers around the CCU and round UP, so a count is exactly the table's
//     at each tier point and never less than the lower tier's in between.
//   * Everything else (server sizes, per-process sizes, tuning) is the lower
//     tier's until the CCU reaches the next tier. This is the guide's own
//     advice for CCU between tiers ("start with configuration for lower tier,
//     gradually add workers as you approach capacity"), and it keeps each
//     tier's settings consistent with the servers they were written for.
//   * Below 100 CCU the 100 CCU tier applies unchanged: it is already the HA
//     minimum.
//
// Both parts are non-decreasing in CCU as long as the tables are, which the
// tests check for every CCU from 1 to 20,000.
import { GUIDE_TIERS, GuideTier } from "./guide-tiers";
import { MAX_CCU, MIN_CCU, TierPosition } from "./types";

export interface Bracket extends TierPosition {
    readonly ccu: number;
    readonly lo: GuideTier;
    readonly hi: GuideTier;
}

export class CcuRangeError extends Error {
    constructor(readonly ccu: unknown) {
        super(
            `ccu: got ${String(ccu)}; allowed: a whole number from ${MIN_CCU} to ${MAX_CCU.toLocaleString("en-US")} ` +
                `(the guide sizes deployments up to 20,000 concurrent users)`,
        );
        this.name = "CcuRangeError";
    }
}

export function bracket(ccu: number): Bracket {
    if (!Number.isInteger(ccu) || ccu < MIN_CCU || ccu > MAX_CCU) {
        throw new CcuRangeError(ccu);
    }
    const first = GUIDE_TIERS[0];
    if (ccu <= first.ccu) {
        return { ccu, lo: first, hi: first, lower: first.ccu, upper: first.ccu, exact: ccu === first.ccu };
    }
    for (let i = 1; i < GUIDE_TIERS.length; i++) {
        const hi = GUIDE_TIERS[i];
        if (ccu <= hi.ccu) {
            const exact = ccu === hi.ccu;
            const lo = exact ? hi : GUIDE_TIERS[i - 1];
            return { ccu, lo, hi, lower: lo.ccu, upper: hi.ccu, exact };
        }
    }
    /* istanbul ignore next: the range check above makes this unreachable */
    throw new CcuRangeError(ccu);
}

/**
 * A count between two tiers: linear in CCU, rounded up, computed in integers
 * so the tier points are hit exactly.
 */
export function count(b: Bracket, pick: (t: GuideTier) => number): number {
    const lo = pick(b.lo);
    const hi = pick(b.hi);
    if (b.lo === b.hi) {
        return lo;
    }
    const span = b.hi.ccu - b.lo.ccu;
    const numerator = lo * span + (hi - lo) * (b.ccu - b.lo.ccu);
    return Math.ceil(numerator / span);
}

/** A stepped value: the lower tier's. */
export function step<T>(b: Bracket, pick: (t: GuideTier) => T): T {
    return pick(b.lo);
}

/**
 * Settings the guide lists once and then stops repeating (rc_registration is
 * only in §3.3, random_page_cost only at 100 CCU): a tier inherits what the
 * tiers below it set, and overrides what it sets itself.
 */
export function carried<V>(b: Bracket, pick: (t: GuideTier) => Readonly<Record<string, V>> | undefined): Record<string, V> {
    const merged: Record<string, V> = {};
    for (const tier of GUIDE_TIERS) {
        if (tier.ccu > b.lo.ccu) {
            break;
        }
        Object.assign(merged, pick(tier) ?? {});
    }
    return merged;
}
