// What a tier change would do to stateful resources, judged from the inputs
// two runs registered: names, replace-forcing fields, volume sizes.

export interface Registered {
    readonly type: string;
    readonly name: string;
    readonly inputs: Record<string, any>;
}

const spec = (r: Registered) => r.inputs.spec as Record<string, any>;

// Fields whose change makes the Kubernetes provider replace the object (pulumi-kubernetes forceNew lists).
const forceNew: Record<string, string[]> = {
    "kubernetes:apps/v1:StatefulSet": ["volumeClaimTemplates", "selector", "serviceName", "podManagementPolicy", "revisionHistoryLimit"],
    "kubernetes:core/v1:PersistentVolumeClaim": ["accessModes", "selector", "storageClassName", "volumeName"],
    "kubernetes:core/v1:Service": ["clusterIP"],
};
const stateful = (rs: Registered[]) =>
    rs.filter((r) => r.type in forceNew || (r.type.startsWith("kubernetes:postgresql.cnpg.io") && r.inputs.kind === "Cluster"));
const gb = (size: string) => Number(size.replace(/Gi?$/, "")) * (size.endsWith("Gi") ? 1.073741824 : 1);

/** What a tier change would do to stateful resources that is unsafe; empty when the change is safe. */
export function unsafeChanges(before: Registered[], after: Registered[]): string[] {
    const problems: string[] = [];
    const afterByKey = new Map(stateful(after).map((r) => [`${r.type}/${r.name}`, r]));
    for (const r of stateful(before)) {
        const a = afterByKey.get(`${r.type}/${r.name}`);
        if (!a) {
            problems.push(`${r.type} ${r.name} disappears`);
            continue;
        }
        if (JSON.stringify(a.inputs.metadata) !== JSON.stringify(r.inputs.metadata)) problems.push(`${r.name} metadata changes`);
        for (const f of forceNew[r.type] ?? []) {
            if (JSON.stringify(spec(a)[f]) !== JSON.stringify(spec(r)[f])) problems.push(`${r.type} ${r.name} .spec.${f} would force replacement`);
        }
        if (r.type === "kubernetes:core/v1:PersistentVolumeClaim") {
            const [was, now] = [gb(spec(r).resources.requests.storage), gb(spec(a).resources.requests.storage)];
            if (now < was) problems.push(`claim ${r.name} shrinks`);
            // MinIO drives are part of a pool's geometry: not even growth is allowed.
            if (r.name.includes("minio-pool") && now !== was) problems.push(`MinIO drive ${r.name} changes size`);
        }
        if (r.inputs.kind === "Cluster") {
            if (gb(spec(a).storage.size) < gb(spec(r).storage.size)) problems.push("database storage shrinks");
            if (spec(a).storage.storageClass !== spec(r).storage.storageClass) problems.push("database storage class changes");
        }
    }
    return problems;
}

