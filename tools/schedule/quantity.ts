// Kubernetes resource quantities as numbers: CPU in cores, memory in bytes.

const SUFFIX: Readonly<Record<string, number>> = {
    "": 1, m: 1e-3, k: 1e3, K: 1e3, M: 1e6, G: 1e9, T: 1e12, P: 1e15,
    Ki: 2 ** 10, Mi: 2 ** 20, Gi: 2 ** 30, Ti: 2 ** 40, Pi: 2 ** 50,
};

/** A quantity ("500m", "2", "4Gi", "1.5G", 3) as a plain number; throws on anything else. */
export function quantity(v: unknown): number {
    if (typeof v === "number") return v;
    const m = typeof v === "string" ? /^([0-9]+(?:\.[0-9]+)?)(m|k|K|M|G|T|P|Ki|Mi|Gi|Ti|Pi)?$/.exec(v.trim()) : null;
    if (!m) throw new Error(`not a Kubernetes quantity: ${JSON.stringify(v)}`);
    return Number(m[1]) * SUFFIX[m[2] ?? ""]!;
}

export const GiB = 2 ** 30;
