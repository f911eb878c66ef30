// Reads the router's access log (the generated log-format) and says which
// backend the worker table assigns to a request, so a test can compare what
// the real HAProxy did with what the table prescribes.
import { routeTable } from "../../components/router/haproxy";
import type { Topology } from "../../components/synapse/topology";

export interface RouterLogLine {
    readonly frontend: string;
    readonly backend: string;
    readonly server: string;
    readonly status: number;
    readonly method: string;
    readonly path: string;
}

// log-format "%ci:%cp [%tr] %ft %b/%s %TR/%Tw/%Tc/%Tr/%Ta %ST %B %tsc %ac/%fc/%bc/%sc/%rc %sq/%bq %HM %HP %HV"
const LINE = /^\S+:\d+ \[[^\]]+\] (\S+) ([^/\s]+)\/(\S+) \S+ (-?\d+) \S+ \S+ \S+ \S+ (\S+) (\S+) \S+$/;

export function parseRouterLog(text: string): RouterLogLine[] {
    const out: RouterLogLine[] = [];
    for (const line of text.split("\n")) {
        const m = LINE.exec(line.trim());
        if (!m) continue;
        out.push({ frontend: m[1]!.replace(/~$/, ""), backend: m[2]!, server: m[3]!, status: Number(m[4]), method: m[5]!, path: m[6]! });
    }
    return out;
}

/** What the generated frontend does with a request: deny it (status) or send it to a backend. */
export type Verdict = { readonly deny: number } | { readonly backend: string };

/**
 * The frontend's guards, then the first route group of the worker table whose
 * pattern (and method) matches, else main. Mirrors the generated frontend
 * under the default config (no admin networks, federation off).
 */
export function expectedRoute(topo: Topology, method: string, path: string): Verdict {
    const dpath = decodeURIComponent(path);
    if (/^\/_synapse\/(metrics|replication)/.test(dpath)) return { deny: 404 };
    if (/^\/_synapse\/admin/.test(dpath)) return { deny: 403 };
    if (!topo.federation && /^\/_matrix\/(federation|key)\//.test(dpath)) return { deny: 404 };
    for (const { group, backend } of routeTable(topo)) {
        if (group.methods && !group.methods.includes(method as never)) continue;
        if (group.patterns.some((p) => new RegExp(p).test(path))) return { backend };
    }
    return { backend: "be_main" };
}
