// The largest gap between two runs of a five-field cron schedule (minute hour
// day-of-month month day-of-week), found by walking two years day by
// day. The sync's runtime bound, the staleness metric and the plan report's
// warning all need it, and only the schedule says it.

const FIELDS = [
    { name: "minute", min: 0, max: 59 },
    { name: "hour", min: 0, max: 23 },
    { name: "day of month", min: 1, max: 31 },
    { name: "month", min: 1, max: 12 },
    { name: "day of week", min: 0, max: 7 },
] as const;

function parseField(text: string, f: (typeof FIELDS)[number]): Set<number> | string {
    const out = new Set<number>();
    for (const part of text.split(",")) {
        const m = /^(\*|(\d+)(?:-(\d+))?)(?:\/(\d+))?$/.exec(part);
        if (!m) return `${f.name} ${JSON.stringify(part)} is not *, a number, a range or a step`;
        const from = m[1] === "*" ? f.min : Number(m[2]);
        const to = m[1] === "*" ? f.max : m[3] !== undefined ? Number(m[3]) : m[4] !== undefined ? f.max : from;
        const step = m[4] !== undefined ? Number(m[4]) : 1;
        if (from < f.min || to > f.max || from > to || step < 1) return `${f.name} ${JSON.stringify(part)} is outside ${f.min}-${f.max}`;
        for (let v = from; v <= to; v += step) out.add(f.name === "day of week" && v === 7 ? 0 : v);
    }
    return out;
}

/** Parsed schedule, or the reason it is not one. */
export function parseCron(schedule: string): { fields: Set<number>[] } | { error: string } {
    const parts = schedule.trim().split(/\s+/);
    if (parts.length !== 5) return { error: `needs five fields (minute hour day-of-month month day-of-week), got ${parts.length}` };
    const fields: Set<number>[] = [];
    for (let i = 0; i < 5; i++) {
        const f = parseField(parts[i]!, FIELDS[i]!);
        if (typeof f === "string") return { error: f };
        fields.push(f);
    }
    return { fields };
}

/** Longest interval between consecutive runs, in seconds (over a leap year, so monthly and yearly schedules count too). */
export function maxIntervalSeconds(schedule: string): number {
    const p = parseCron(schedule);
    if ("error" in p) throw new Error(`cron ${JSON.stringify(schedule)}: ${p.error}`);
    const [min, hour, dom, mon, dow] = p.fields as [Set<number>, Set<number>, Set<number>, Set<number>, Set<number>];
    // Cron's rule: when both day fields are restricted, either may match.
    const domAll = dom.size === 31;
    const dowAll = dow.size === 7;
    const start = Date.UTC(2024, 0, 1);
    const hours = [...hour].sort((a, b) => a - b);
    const minutes = [...min].sort((a, b) => a - b);
    const runs: number[] = [];
    for (let day = 0; day < 2 * 366; day++) {
        const d = new Date(start + day * 86400_000);
        if (!mon.has(d.getUTCMonth() + 1)) continue;
        const dayOk = domAll || dowAll ? dom.has(d.getUTCDate()) && dow.has(d.getUTCDay()) : dom.has(d.getUTCDate()) || dow.has(d.getUTCDay());
        if (!dayOk) continue;
        for (const h of hours) for (const m of minutes) runs.push(d.getTime() + h * 3600_000 + m * 60_000);
    }
    if (runs.length < 2) throw new Error(`cron ${JSON.stringify(schedule)} runs less than twice in two years`);
    let gap = 0;
    for (let i = 1; i < runs.length; i++) gap = Math.max(gap, runs[i]! - runs[i - 1]!);
    return gap / 1000;
}
