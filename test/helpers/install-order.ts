// The agreement between a custom resource and the release installing its CRD,
// checked over what a program run registered: the installer must be among the
// resources the custom resource waits for, and a group nobody installs is an
// error unless the stack declared the cluster already serves it.
import { BUILTIN_GROUPS, type ControllerRelease } from "../../components/controllers/catalogue";
import { transitiveDependencies, type ProgramRun, type RegisteredResource } from "../../tools/mock-runtime";

const RELEASE = "kubernetes:helm.sh/v3:Release";
/** Type tokens of the Kubernetes provider that are not API objects. */
const NOT_OBJECTS = /^kubernetes:(helm\.sh|yaml|kustomize)\//;

/** The API group of a registered Kubernetes object, or undefined for anything else. */
export function objectGroup(r: RegisteredResource): string | undefined {
    const m = /^kubernetes:([^:]+)\/[^/:]+:[^:]+$/.exec(r.type);
    if (!m || NOT_OBJECTS.test(r.type)) return undefined;
    return m[1] === "core" ? "" : m[1];
}

export function customResources(run: ProgramRun): RegisteredResource[] {
    return run.resources.filter((r) => r.custom && (() => {
        const g = objectGroup(r);
        return g !== undefined && !BUILTIN_GROUPS.has(g);
    })());
}

/**
 * Problems, one line each: a custom resource whose CRD's installer is not
 * among its transitive dependencies, or whose group has no installer.
 * `crdInstallers` maps group -> Helm release resource name or "preinstalled".
 */
export function installOrderProblems(run: ProgramRun, crdInstallers: Readonly<Record<string, string>>): string[] {
    const releases = new Map(run.resources.filter((r) => r.type === RELEASE).map((r) => [r.name, r]));
    const problems: string[] = [];
    for (const cr of customResources(run)) {
        const group = objectGroup(cr)!;
        const installer = crdInstallers[group];
        const what = `${cr.type} ${cr.name}`;
        if (installer === undefined) {
            problems.push(`${what}: no release installs the CRDs of ${group} and the stack does not declare them preinstalled`);
            continue;
        }
        if (installer === "preinstalled") continue;
        const release = releases.get(installer);
        if (!release) {
            problems.push(`${what}: ${group} is installed by release ${installer}, which the program did not register`);
            continue;
        }
        if (!transitiveDependencies(run, cr.urn).has(release.urn)) {
            problems.push(`${what}: does not wait for release ${installer}, which installs the CRDs of ${group}`);
        }
    }
    return problems;
}

/** Problems with the releases themselves: one that needs a group must wait for that group's installer. */
export function releaseOrderProblems(run: ProgramRun, catalogue: readonly ControllerRelease[], crdInstallers: Readonly<Record<string, string>>): string[] {
    const releases = new Map(run.resources.filter((r) => r.type === RELEASE).map((r) => [r.name, r]));
    const problems: string[] = [];
    for (const entry of catalogue) {
        const release = releases.get(entry.id);
        if (!release) continue;
        const deps = transitiveDependencies(run, release.urn);
        for (const group of entry.needs) {
            const installer = crdInstallers[group];
            if (installer === undefined) problems.push(`release ${entry.id} needs ${group}, which nothing installs`);
            else if (installer !== "preinstalled" && !deps.has(releases.get(installer)?.urn ?? "")) {
                problems.push(`release ${entry.id} needs ${group} but does not wait for release ${installer}`);
            }
        }
    }
    return problems;
}
