// Coordinated restarts that Kubernetes' rolling updates cannot express: every
// pod of an app stopped together, then started together (Synapse when its
// sharding changes, MinIO when a pool is added). restarter.py does it from a
// Job; this file gives it a ServiceAccount with only what it needs, in one
// namespace, and the Job that runs it. A Job's name carries the checksum it
// enforces, so a new Job (and so a restart) exists exactly when it changes.
import * as fs from "node:fs";
import * as path from "node:path";
import * as k8s from "@pulumi/kubernetes";
import type * as pulumi from "@pulumi/pulumi";

/** Account, Role and ConfigMap name of an app's restarter. */
export const restarterName = (app: string) => `${app}-restarter`;

export const RESTARTER_SCRIPT = fs.readFileSync(path.join(__dirname, "restarter.py"), "utf8");

/** Least privilege for restarter.py: read pods and workloads, delete pods, annotate and scale the workloads, in one namespace. */
export function restarterRole(namespace: string, app: string) {
    return {
        metadata: { name: restarterName(app), namespace },
        rules: [
            { apiGroups: [""], resources: ["pods"], verbs: ["get", "list", "delete"] },
            { apiGroups: ["apps"], resources: ["statefulsets", "deployments"], verbs: ["get", "list", "patch"] },
            { apiGroups: ["apps"], resources: ["statefulsets/scale", "deployments/scale"], verbs: ["patch"] },
        ],
    };
}

/** restarter.py's arguments: stop every `app` pod together when a pod matching `podSelector` has `annotation` other than `checksum`. */
export const allAtOnceArgs = <S>(namespace: string, app: string, podSelector: string, annotation: string, checksum: S): (string | S)[] => [
    "all",
    namespace,
    app,
    podSelector,
    annotation,
    checksum,
];

/** The Job running restarter.py (the Synapse image has Python; nothing else is pulled). */
export function restarterJob<S>(name: S, namespace: string, app: string, image: string, args: readonly (string | S)[]) {
    const labels = { "app.kubernetes.io/name": restarterName(app) };
    return {
        metadata: { name, namespace, labels },
        spec: {
            backoffLimit: 3,
            activeDeadlineSeconds: 3600,
            template: {
                metadata: { labels },
                spec: {
                    serviceAccountName: restarterName(app),
                    restartPolicy: "OnFailure",
                    securityContext: { runAsNonRoot: true, runAsUser: 991, runAsGroup: 991, seccompProfile: { type: "RuntimeDefault" } },
                    containers: [
                        {
                            name: "restarter",
                            image,
                            command: ["python", "/restarter/restarter.py", ...args],
                            resources: { requests: { cpu: "50m", memory: "64Mi" }, limits: { memory: "128Mi" } },
                            securityContext: { allowPrivilegeEscalation: false, readOnlyRootFilesystem: true, capabilities: { drop: ["ALL"] } },
                            volumeMounts: [{ name: "restarter", mountPath: "/restarter", readOnly: true }],
                        },
                    ],
                    volumes: [{ name: "restarter", configMap: { name: restarterName(app) } }],
                },
            },
        },
    };
}

/** The script, account, Role and binding an app's restart Jobs need; the Jobs wait for all of them. */
export function restarterAccess(namespace: string, app: string, parent: pulumi.Resource): pulumi.Resource[] {
    const name = restarterName(app);
    const child = { parent };
    return [
        new k8s.core.v1.ConfigMap(name, { metadata: { name, namespace }, data: { "restarter.py": RESTARTER_SCRIPT } }, child),
        new k8s.core.v1.ServiceAccount(name, { metadata: { name, namespace } }, child),
        new k8s.rbac.v1.Role(name, restarterRole(namespace, app), child),
        new k8s.rbac.v1.RoleBinding(
            name,
            {
                metadata: { name, namespace },
                roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "Role", name },
                subjects: [{ kind: "ServiceAccount", name, namespace }],
            },
            child,
        ),
    ];
}

/** How long a restart Job may take before Pulumi gives up on it. */
export const RESTART_TIMEOUTS = { customTimeouts: { create: "60m", update: "60m" } };
