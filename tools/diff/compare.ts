// What a `pulumi preview` of a change would do, judged from the resources two
// runs of the program registered: added, removed, changed (with the changed
// input paths), which workloads restart, and every change that replaces,
// removes or shrinks something that holds data or identity. Pure.
import { ALL_INPUTS_REPLACE_PREFIXES, at, isStateful, REPLACING_INPUTS, SIZE_PATHS, sizeBytes } from "./replacement";

export interface Registered {
    readonly type: string;
    readonly name: string;
    readonly urn: string;
    readonly inputs: Record<string, any>;
    readonly custom?: boolean;
}

export interface Changed {
    readonly urn: string;
    readonly type: string;
    readonly name: string;
    readonly component: string;
    /** Input paths whose value differs (arrays compared whole below `MAX_DEPTH`). */
    readonly fields: string[];
}

export interface Restart {
    readonly kind: string;
    readonly name: string;
    readonly component: string;
    /** Why its pods are replaced: the annotations (config checksums) or other template fields that changed. */
    readonly because: string[];
    /** "rolling" (one pod at a time), or "coordinated" (OnDelete: the program's restart job replaces all pods together). */
    readonly rollout: "rolling" | "coordinated";
}

export interface Unsafe {
    readonly urn: string;
    readonly type: string;
    readonly name: string;
    readonly reason: string;
}

export interface TierDiff {
    readonly added: Registered[];
    readonly removed: Registered[];
    readonly changed: Changed[];
    readonly restarts: Restart[];
    readonly unsafe: Unsafe[];
}

/** Paths deeper than this are reported at this depth: a changed ConfigMap shows `data.homeserver.yaml`, not each line. */
const MAX_DEPTH = 4;

const WORKLOADS = new Set(["kubernetes:apps/v1:Deployment", "kubernetes:apps/v1:StatefulSet", "kubernetes:apps/v1:DaemonSet"]);

/** The top-level component a resource belongs to, from its URN's type chain (`matrix:data:DataLayer$...`). */
export function componentOf(urn: string): string {
    const typeChain = urn.split("::")[2] ?? "";
    const first = typeChain.split("$")[0] ?? typeChain;
    return first.startsWith("matrix:") ? first : "(stack)";
}

/** Leaf paths where two values differ; objects are walked, arrays and scalars compared whole. */
export function changedPaths(a: unknown, b: unknown, prefix = "", depth = 0): string[] {
    if (JSON.stringify(a) === JSON.stringify(b)) return [];
    const isObj = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null && !Array.isArray(v);
    if (!isObj(a) || !isObj(b) || depth >= MAX_DEPTH) return [prefix || "(root)"];
    const keys = [...new Set([...Object.keys(a), ...Object.keys(b)])].sort();
    return keys.flatMap((k) => changedPaths(a[k], b[k], prefix ? `${prefix}.${k}` : k, depth + 1));
}

function podTemplateRestart(before: Registered, after: Registered): Restart | undefined {
    const was = at(before.inputs, "spec.template");
    const now = at(after.inputs, "spec.template");
    if (JSON.stringify(was) === JSON.stringify(now)) return undefined;
    const because = changedPaths(was, now, "template", 0).map((p) => p.replace(/^template\./, ""));
    const onDelete = at(after.inputs, "spec.updateStrategy.type") === "OnDelete";
    return {
        kind: after.type.split(":").pop()!,
        name: after.inputs.metadata?.name ?? after.name,
        component: componentOf(after.urn),
        because,
        rollout: onDelete ? "coordinated" : "rolling",
    };
}

function replacementReasons(before: Registered, after: Registered): string[] {
    const reasons: string[] = [];
    if (ALL_INPUTS_REPLACE_PREFIXES.some((p) => after.type.startsWith(p))) {
        const fields = changedPaths(before.inputs, after.inputs);
        if (fields.length > 0) reasons.push(`${fields.join(", ")} changes, which makes a new value (replacement)`);
    }
    for (const path of REPLACING_INPUTS[after.type] ?? []) {
        if (JSON.stringify(at(before.inputs, path)) !== JSON.stringify(at(after.inputs, path))) {
            reasons.push(`${path} changes, which forces replacement`);
        }
    }
    if (JSON.stringify(before.inputs.metadata?.name) !== JSON.stringify(after.inputs.metadata?.name)) {
        reasons.push("metadata.name changes, which forces replacement");
    }
    const sizePath = SIZE_PATHS[after.type];
    if (sizePath) {
        const [was, now] = [sizeBytes(at(before.inputs, sizePath)), sizeBytes(at(after.inputs, sizePath))];
        if (was !== undefined && now !== undefined && now < was) reasons.push(`${sizePath} shrinks from ${at(before.inputs, sizePath)} to ${at(after.inputs, sizePath)}`);
    }
    // A MinIO drive is part of its pool's erasure geometry: it may not even grow (pools are append-only).
    if (after.type === "kubernetes:core/v1:PersistentVolumeClaim" && /minio-pool/.test(after.name)) {
        const [was, now] = [at(before.inputs, SIZE_PATHS[after.type]!), at(after.inputs, SIZE_PATHS[after.type]!)];
        if (JSON.stringify(was) !== JSON.stringify(now)) reasons.push(`MinIO drive changes size (${was} -> ${now}): pools are append-only`);
    }
    if (after.type === "kubernetes:apps/v1:StatefulSet") {
        // A claim template's size is immutable in place; a shrink would also lose data once the claim is recreated.
        const templates = (a: Registered) => ((at(a.inputs, "spec.volumeClaimTemplates") as any[]) ?? []);
        for (const t of templates(before)) {
            const n = templates(after).find((x) => x.metadata?.name === t.metadata?.name);
            const [was, now] = [sizeBytes(t.spec?.resources?.requests?.storage), sizeBytes(n?.spec?.resources?.requests?.storage)];
            if (was !== undefined && now !== undefined && now < was) reasons.push(`claim template ${t.metadata?.name} shrinks`);
        }
    }
    return reasons;
}

/** Roles whose servers keep no data: removing one (and its disks) at a lower tier only drains it. */
const STATELESS_ROLES = new Set(["app", "calls"]);

/** A server, its disks or their attachments, of a role that keeps no data (read from the server's tags). */
function isStatelessServerPart(r: Registered): boolean {
    // A removed call server's Elastic IP goes with it: its address was that server's alone.
    const serverParts = ["aws:ec2/instance", "aws:ebs/volume", "aws:ec2/volumeAttachment", "aws:ec2/eip:", "aws:ec2/eipAssociation"];
    if (!serverParts.some((t) => r.type.startsWith(t))) return false;
    const tags = (r.inputs.tags ?? {}) as Record<string, string>;
    const server = Object.entries(tags).find(([k]) => k.endsWith("/server"))?.[1] ?? r.name.replace(/^cluster-/, "");
    const role = server.replace(/-\d+(-data-\d+)?(-attach.*)?$/, "");
    return STATELESS_ROLES.has(role);
}

/** Compares two runs of the program: `before` is what the stack has, `after` what the change would register. */
export function diffRuns(before: readonly Registered[], after: readonly Registered[]): TierDiff {
    const key = (r: Registered) => r.urn;
    const afterBy = new Map(after.map((r) => [key(r), r]));
    const beforeBy = new Map(before.map((r) => [key(r), r]));
    const added = after.filter((r) => !beforeBy.has(key(r)));
    const removed = before.filter((r) => !afterBy.has(key(r)));
    const changed: Changed[] = [];
    const restarts: Restart[] = [];
    const unsafe: Unsafe[] = [];
    for (const r of removed) {
        if (isStateful(r.type) && !isStatelessServerPart(r)) unsafe.push({ urn: r.urn, type: r.type, name: r.name, reason: "removed: its data or identity is lost" });
    }
    for (const b of before) {
        const a = afterBy.get(key(b));
        if (!a) continue;
        const fields = changedPaths(b.inputs, a.inputs);
        if (fields.length === 0) continue;
        changed.push({ urn: a.urn, type: a.type, name: a.name, component: componentOf(a.urn), fields });
        if (WORKLOADS.has(a.type)) {
            const restart = podTemplateRestart(b, a);
            if (restart) restarts.push(restart);
        }
        if (isStateful(a.type)) {
            for (const reason of replacementReasons(b, a)) unsafe.push({ urn: a.urn, type: a.type, name: a.name, reason });
        }
    }
    return { added, removed, changed, restarts, unsafe };
}
