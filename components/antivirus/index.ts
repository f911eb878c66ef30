// clamd for Synapse's scanner module: a Deployment sized by the plan (memory
// for the signature database and its reload), spread over nodes for HA, with
// signatures from the internal mirror (freshclam once before clamd starts,
// then as a sidecar that tells clamd to reload). Ready only when clamd answers
// PING, which it does only once its signatures are loaded.
import { createHash } from "node:crypto";
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import type { Plan } from "../../sizing/types";
import { CLAMD_PORT, NAMESPACES } from "../contracts";
import { restrictedContainer, restrictedPod } from "../data/security";
import { clamdConf, CONFIG_DIR, DATABASE_DIR, FRESHCLAM_PID_FILE, freshclamConf } from "./config";

export const CLAMD_SERVICE = "clamd";
export const CLAMD_LABELS = { "app.kubernetes.io/name": "clamd" } as const;
/** The clamav user of the official images. */
const CLAMAV_UID = 100;

export interface AntivirusArgs {
    readonly plan: Plan;
    readonly image: string;
    readonly mirror: string;
    readonly checksPerDay: number;
    readonly timeoutSeconds: number;
    /** Pods allowed to reach clamd (Synapse's). */
    readonly clientPodLabels: Readonly<Record<string, string>>;
}

export function clamdDeployment(a: AntivirusArgs, namespace: string, checksum: string) {
    const av = a.plan.antivirus;
    const mounts = [
        { name: "config", mountPath: CONFIG_DIR, readOnly: true },
        { name: "database", mountPath: DATABASE_DIR },
        { name: "tmp", mountPath: "/tmp" },
        { name: "run", mountPath: "/run/clamav" },
    ];
    const sc = { ...restrictedContainer, readOnlyRootFilesystem: true };
    const ping = ["clamdscan", `--config-file=${CONFIG_DIR}/clamd.conf`, "--ping", "1"];
    const clamdResources = { requests: { cpu: String(av.cpu), memory: `${av.memoryGiB}Gi` }, limits: { memory: `${av.memoryLimitGiB}Gi` } };
    // The sidecar is alive while the freshclam daemon named by its pid file runs; ready once the
    // signature set it keeps up to date is on the shared volume.
    const freshclamAlive = ["sh", "-c", `kill -0 "$(cat ${FRESHCLAM_PID_FILE})"`];
    const signaturesPresent = ["sh", "-c", `ls ${DATABASE_DIR}/main.c[lv]d ${DATABASE_DIR}/daily.c[lv]d >/dev/null`];
    return {
        metadata: { name: CLAMD_SERVICE, namespace, labels: { ...CLAMD_LABELS } },
        spec: {
            replicas: av.replicas,
            selector: { matchLabels: { ...CLAMD_LABELS } },
            strategy: { type: "RollingUpdate", rollingUpdate: { maxUnavailable: 0, maxSurge: 1 } },
            template: {
                metadata: { labels: { ...CLAMD_LABELS }, annotations: { "matrix-scale.io/config-checksum": checksum } },
                spec: {
                    automountServiceAccountToken: false,
                    securityContext: restrictedPod(CLAMAV_UID),
                    affinity: {
                        podAntiAffinity: {
                            preferredDuringSchedulingIgnoredDuringExecution: [
                                { weight: 100, podAffinityTerm: { labelSelector: { matchLabels: { ...CLAMD_LABELS } }, topologyKey: "kubernetes.io/hostname" } },
                            ],
                        },
                    },
                    initContainers: [
                        // Signatures before clamd starts: without them clamd refuses to run.
                        { name: "signatures", image: a.image, command: ["freshclam", `--config-file=${CONFIG_DIR}/freshclam.conf`, "--foreground"], securityContext: sc, volumeMounts: mounts,
                          // freshclam loads the downloaded set to test it, as clamd does; sized like clamd (init
                          // containers run before the others, so this adds nothing to the pod's request).
                          resources: clamdResources },
                    ],
                    containers: [
                        {
                            name: "clamd",
                            image: a.image,
                            command: ["clamd", `--config-file=${CONFIG_DIR}/clamd.conf`],
                            ports: [{ name: "clamd", containerPort: CLAMD_PORT }],
                            securityContext: sc,
                            resources: clamdResources,
                            // Loading the full signature set takes a minute or more.
                            startupProbe: { exec: { command: ping }, periodSeconds: 10, failureThreshold: 30, timeoutSeconds: 5 },
                            readinessProbe: { exec: { command: ping }, periodSeconds: 10, failureThreshold: 3, timeoutSeconds: 5 },
                            livenessProbe: { exec: { command: ping }, periodSeconds: 30, failureThreshold: 5, timeoutSeconds: 10 },
                            volumeMounts: mounts,
                        },
                        {
                            name: "freshclam",
                            image: a.image,
                            command: ["freshclam", `--config-file=${CONFIG_DIR}/freshclam.conf`, "--daemon", "--foreground"],
                            securityContext: sc,
                            resources: { requests: { cpu: "50m", memory: "256Mi" }, limits: { memory: "1Gi" } },
                            readinessProbe: { exec: { command: signaturesPresent }, periodSeconds: 30, timeoutSeconds: 5 },
                            livenessProbe: { exec: { command: freshclamAlive }, initialDelaySeconds: 30, periodSeconds: 30, failureThreshold: 3, timeoutSeconds: 5 },
                            volumeMounts: mounts,
                        },
                    ],
                    volumes: [
                        { name: "config", configMap: { name: CLAMD_SERVICE } },
                        { name: "database", emptyDir: {} },
                        { name: "tmp", emptyDir: {} },
                        { name: "run", emptyDir: {} },
                    ],
                },
            },
        },
    };
}

export class Antivirus extends pulumi.ComponentResource {
    readonly host: string;
    readonly port = CLAMD_PORT;

    constructor(name: string, args: AntivirusArgs, opts?: pulumi.ComponentResourceOptions) {
        super("matrix:antivirus:Antivirus", name, {}, opts);
        const parent = this;
        const ns = NAMESPACES.matrix;
        const files = { "clamd.conf": clamdConf(args.plan, args.timeoutSeconds), "freshclam.conf": freshclamConf(args.mirror, args.checksPerDay) };
        const checksum = createHash("sha256").update(JSON.stringify(files)).digest("hex");
        const config = new k8s.core.v1.ConfigMap(CLAMD_SERVICE, { metadata: { name: CLAMD_SERVICE, namespace: ns, labels: { ...CLAMD_LABELS } }, data: files }, { parent });
        new k8s.apps.v1.Deployment(CLAMD_SERVICE, clamdDeployment(args, ns, checksum), { parent, dependsOn: [config] });
        new k8s.core.v1.Service(
            CLAMD_SERVICE,
            { metadata: { name: CLAMD_SERVICE, namespace: ns, labels: { ...CLAMD_LABELS } }, spec: { selector: { ...CLAMD_LABELS }, ports: [{ name: "clamd", port: CLAMD_PORT, targetPort: "clamd" }] } },
            { parent },
        );
        new k8s.policy.v1.PodDisruptionBudget(
            CLAMD_SERVICE,
            { metadata: { name: CLAMD_SERVICE, namespace: ns }, spec: { maxUnavailable: 1, selector: { matchLabels: { ...CLAMD_LABELS } } } },
            { parent },
        );
        // Only Synapse scans; nothing else reaches clamd.
        new k8s.networking.v1.NetworkPolicy(
            CLAMD_SERVICE,
            {
                metadata: { name: CLAMD_SERVICE, namespace: ns },
                spec: {
                    podSelector: { matchLabels: { ...CLAMD_LABELS } },
                    policyTypes: ["Ingress"],
                    ingress: [{ from: [{ podSelector: { matchLabels: { ...args.clientPodLabels } } }], ports: [{ port: CLAMD_PORT }] }],
                },
            },
            { parent },
        );
        this.host = `${CLAMD_SERVICE}.${ns}.svc.cluster.local`;
        this.registerOutputs({ host: this.host, replicas: args.plan.antivirus.replicas });
    }
}
