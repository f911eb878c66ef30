// The human form of a tier diff, grouped by component, unsafe changes first.
import type { TierDiff } from "./compare";
import { componentOf } from "./compare";

function grouped<T>(items: readonly T[], component: (t: T) => string): Map<string, T[]> {
    const out = new Map<string, T[]>();
    for (const item of items) {
        const c = component(item);
        out.set(c, [...(out.get(c) ?? []), item]);
    }
    return new Map([...out.entries()].sort(([a], [b]) => a.localeCompare(b)));
}

export function renderDiff(d: TierDiff, title: string, assumptions: readonly string[] = []): string {
    const lines: string[] = [`Tier change ${title}`, ...assumptions.map((a) => `  assuming ${a}`), ""];
    lines.push(d.unsafe.length === 0 ? "SAFE: nothing stateful is replaced, removed or shrunk." : `UNSAFE: ${d.unsafe.length} change(s) would replace, remove or shrink something that holds data or identity:`);
    for (const u of d.unsafe) lines.push(`  ! ${u.type} ${u.name}: ${u.reason}`);
    lines.push("", `Summary: ${d.added.length} to add, ${d.changed.length} to change, ${d.removed.length} to remove, ${d.restarts.length} workload(s) restart`);
    const components = new Set([
        ...d.added.map((r) => componentOf(r.urn)),
        ...d.removed.map((r) => componentOf(r.urn)),
        ...d.changed.map((c) => c.component),
    ]);
    const added = grouped(d.added, (r) => componentOf(r.urn));
    const removed = grouped(d.removed, (r) => componentOf(r.urn));
    const changed = grouped(d.changed, (c) => c.component);
    for (const c of [...components].sort()) {
        lines.push("", c);
        for (const r of added.get(c) ?? []) lines.push(`  + ${r.type} ${r.name}`);
        for (const r of removed.get(c) ?? []) lines.push(`  - ${r.type} ${r.name}`);
        for (const r of changed.get(c) ?? []) {
            const shown = r.fields.slice(0, 6).join(", ") + (r.fields.length > 6 ? `, ... (${r.fields.length - 6} more)` : "");
            lines.push(`  ~ ${r.type} ${r.name}: ${shown}`);
        }
    }
    if (d.restarts.length > 0) {
        lines.push("", "Workloads that restart");
        for (const r of d.restarts) {
            const why = r.because.slice(0, 4).join(", ") + (r.because.length > 4 ? ", ..." : "");
            lines.push(`  ${r.kind} ${r.name} (${r.component}): ${r.rollout === "coordinated" ? "all pods together (coordinated)" : "rolling"}; ${why}`);
        }
    }
    return lines.join("\n") + "\n";
}
