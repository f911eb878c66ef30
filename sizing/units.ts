// Small value helpers shared by the plan and its generators.

/**
 * Synapse's size strings ("5K", "100M"): binary multiples, as Synapse's own
 * parse_size reads them (K = 1024, M = 1024 * 1024).
 */
export function parseSize(value: string): number {
    const match = /^(\d+)([KM]?)$/.exec(value);
    if (!match) {
        throw new Error(`not a Synapse size: ${value}`);
    }
    const unit = match[2] === "K" ? 1024 : match[2] === "M" ? 1024 * 1024 : 1;
    return Number(match[1]) * unit;
}

/** Freezes a plain value all the way down, so no component can edit the plan it was handed. */
export function deepFreeze<T>(value: T): T {
    if (value !== null && typeof value === "object" && !Object.isFrozen(value)) {
        Object.freeze(value);
        for (const key of Object.keys(value as object)) {
            deepFreeze((value as Record<string, unknown>)[key]);
        }
    }
    return value;
}
