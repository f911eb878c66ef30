// The lawful-intercept instance on the LI server: its PostgreSQL, synapse-li,
// element-web-li, synapse-admin-li, key_vault, the HTTPS proxy, the database
// sync CronJob and its metrics. Every decision is in the pure modules next to
// this file; this only turns them into resources.
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import * as random from "@pulumi/random";
import { createHash } from "node:crypto";
import type { LiConfig } from "../../config/sections/li";
import type { Plan } from "../../sizing/types";
import { KEY_VAULT_SERVICE, LI_SYNC_METRICS, NAMESPACES, type DataEndpoints } from "../contracts";
import { elementConfig } from "../element/config";
import { SECRET_FILES } from "../synapse/homeserver";
import { HTTP_PORT, METRICS_PORT } from "../synapse/ports";
import { maxIntervalSeconds } from "./cron";
import { liSynapseFiles } from "./homeserver";
import {
    claim, keyVaultDeployment, LI_DB_ROLE, LI_NAMES, LI_POSTGRES_PORT, liPostgresInitScript, liRoleSql, metricsDeployment,
    postgresStatefulSet, proxyDeployment, synapseDeployment, syncCronJob, syncRbac, webDeployment, WEB_PORT,
} from "./manifests";
import { metricsServerScript } from "./metrics-server";
import { liNetworkPolicies } from "./network";
import { accessLogScript, liProxyConfig } from "./proxy";
import { liSizing } from "./sizing";
import { syncScript } from "./sync-script";

/** kubectl for the sync's restart step (same minor as the cluster add-ons are tested against). */
export const KUBECTL_IMAGE = "registry.k8s.io/kubectl:v1.33.5";
/** synapse-admin's image keeps its built files here. */
export const ADMIN_SITE_PATH = "/app";

export interface LiHosts {
    readonly homeserver: string;
    readonly element: string;
    readonly admin: string;
    readonly keyVault: string;
    /** The main deployment's names, served by the LI proxy too for split-DNS clients. */
    readonly mainNames: readonly string[];
}

export interface LiArgs {
    readonly plan: Plan;
    /** The plan at matrix:data.storageFloorCcu when that is larger: claims are sized by it and never shrink. */
    readonly storagePlan?: Plan;
    readonly config: LiConfig;
    readonly serverName: string;
    readonly hosts: LiHosts;
    readonly synapseImage: string;
    readonly elementImage: string;
    readonly data: DataEndpoints;
    readonly storageClass: string;
    /** Networks the proxy accepts (matrix:cluster.liAdminCidrs with aws, matrix:li.adminCidrs otherwise). */
    readonly allowedCidrs: readonly string[];
    readonly apiServerCidr: string;
}

const sha = (s: string) => createHash("sha256").update(s).digest("hex");

export function liHosts(cfg: LiConfig, domain: string, mainHost: string): LiHosts {
    return {
        homeserver: cfg.hosts.homeserver ?? `matrix-li.${domain}`,
        element: cfg.hosts.element ?? `element-li.${domain}`,
        admin: cfg.hosts.admin ?? `admin-li.${domain}`,
        keyVault: cfg.hosts.keyVault ?? `keyvault-li.${domain}`,
        mainNames: [...new Set([domain, mainHost])],
    };
}

export class LawfulIntercept extends pulumi.ComponentResource {
    readonly hosts: LiHosts;
    readonly metricsEndpoint: string;

    constructor(name: string, args: LiArgs, opts?: pulumi.ComponentResourceOptions) {
        super("matrix:li:LawfulIntercept", name, {}, opts);
        const parent = this;
        const li = NAMESPACES.li;
        const size = liSizing(args.plan);
        const claimSizes = liSizing(args.storagePlan ?? args.plan);
        const cfg = args.config;
        const intervalSeconds = maxIntervalSeconds(cfg.sync.schedule);
        const hosts = args.hosts;
        this.hosts = hosts;
        const url = (h: string) => `https://${h}/`;

        // Secrets, generated once and kept in state as secrets.
        const password = (n: string) => new random.RandomPassword(n, { length: 40, special: false }, { parent }).result;
        new k8s.core.v1.Secret(LI_NAMES.postgresSecret, { metadata: { name: LI_NAMES.postgresSecret, namespace: li }, stringData: { password: password("li-postgres") } }, { parent });
        new k8s.core.v1.Secret(
            LI_NAMES.postgresSuperuserSecret,
            { metadata: { name: LI_NAMES.postgresSuperuserSecret, namespace: li }, stringData: { password: password("li-postgres-superuser") } },
            { parent },
        );
        new k8s.core.v1.Secret(
            LI_NAMES.synapseSecrets,
            { metadata: { name: LI_NAMES.synapseSecrets, namespace: li }, stringData: { [SECRET_FILES.macaroon]: password("synapse-li-macaroon"), [SECRET_FILES.form]: password("synapse-li-form") } },
            { parent },
        );
        const seed = new random.RandomBytes("synapse-li-signing-seed", { length: 32 }, { parent });
        new k8s.core.v1.Secret(
            LI_NAMES.signingKey,
            {
                metadata: { name: LI_NAMES.signingKey, namespace: li },
                stringData: { "signing.key": pulumi.secret(seed.base64.apply((b) => `ed25519 a_li ${b.replace(/=+$/, "")}\n`)) },
            },
            { parent },
        );

        // Claims on the ssd class, sized from the plan; kept when removed (LI data and its audit log).
        const keep = { parent, retainOnDelete: true };
        const claims = [
            new k8s.core.v1.PersistentVolumeClaim(`data-${LI_NAMES.postgres}-0`, claim(`data-${LI_NAMES.postgres}-0`, li, args.storageClass, claimSizes.postgres.storageGB), keep),
            new k8s.core.v1.PersistentVolumeClaim(LI_NAMES.syncWork, claim(LI_NAMES.syncWork, li, args.storageClass, claimSizes.dumpStorageGB), { parent }),
            new k8s.core.v1.PersistentVolumeClaim(LI_NAMES.syncState, claim(LI_NAMES.syncState, li, args.storageClass, 1), keep),
            new k8s.core.v1.PersistentVolumeClaim(LI_NAMES.accessLog, claim(LI_NAMES.accessLog, NAMESPACES.liProxy, args.storageClass, claimSizes.accessLogStorageGB), keep),
        ];

        // PostgreSQL.
        const init = new k8s.core.v1.ConfigMap(
            LI_NAMES.postgresInit,
            { metadata: { name: LI_NAMES.postgresInit, namespace: li }, data: { "init.sh": liPostgresInitScript(), "roles.sql": liRoleSql() } },
            { parent },
        );
        new k8s.core.v1.Service(
            LI_NAMES.postgres,
            { metadata: { name: LI_NAMES.postgres, namespace: li }, spec: { selector: { "app.kubernetes.io/name": LI_NAMES.postgres }, ports: [{ name: "postgres", port: LI_POSTGRES_PORT }] } },
            { parent },
        );
        new k8s.apps.v1.StatefulSet(
            LI_NAMES.postgres,
            postgresStatefulSet({ image: cfg.postgresImage, ...size.postgres, storageClass: args.storageClass }),
            { parent, dependsOn: [init, ...claims] },
        );

        // synapse-li.
        const files = pulumi.output(args.data.media.endpointUrl).apply((endpointUrl) =>
            liSynapseFiles(args.plan, {
                serverName: args.serverName,
                publicBaseUrl: url(hosts.homeserver),
                database: { host: `${LI_NAMES.postgres}.${li}.svc.cluster.local`, port: LI_POSTGRES_PORT, database: "synapse", user: LI_DB_ROLE },
                media: { endpointUrl, bucket: args.data.media.bucket, region: args.data.media.region },
                pool: { cpMin: 2, cpMax: 10 },
            }),
        );
        new k8s.core.v1.ConfigMap(LI_NAMES.synapseConfig, { metadata: { name: LI_NAMES.synapseConfig, namespace: li }, data: files }, { parent });
        const checksum = files.apply((f) => sha(JSON.stringify(f)));
        new k8s.apps.v1.Deployment(
            LI_NAMES.synapse,
            checksum.apply((c) => synapseDeployment({ image: args.synapseImage, ...size.synapse, checksum: c, mediaCredentialsSecret: args.data.li.mediaCredentialsSecret })),
            { parent },
        );
        this.service(LI_NAMES.synapse, [["http", HTTP_PORT], ["metrics", METRICS_PORT]]);

        // element-web-li and synapse-admin-li.
        const elementJson = JSON.stringify(elementConfig({ serverName: args.serverName, homeserverUrl: url(hosts.homeserver), elementUrl: url(hosts.element), federation: false }), null, 2);
        // synapse-admin may only ever talk to synapse-li.
        const adminJson = JSON.stringify({ restrictBaseUrl: url(hosts.homeserver).replace(/\/$/, "") }, null, 2);
        for (const [n, json, deployment] of [
            [LI_NAMES.element, elementJson, webDeployment(LI_NAMES.element, { image: args.elementImage, checksum: sha(elementJson), configMount: "/app/config.json", nginxTemplates: true })],
            [
                LI_NAMES.admin,
                adminJson,
                webDeployment(LI_NAMES.admin, {
                    image: cfg.webServerImage,
                    checksum: sha(adminJson),
                    copyFrom: { image: cfg.adminImage, path: ADMIN_SITE_PATH },
                    configMount: "/usr/share/nginx/html/config.json",
                }),
            ],
        ] as const) {
            new k8s.core.v1.ConfigMap(n, { metadata: { name: n, namespace: li }, data: { "config.json": json } }, { parent });
            new k8s.apps.v1.Deployment(n, deployment, { parent });
            this.service(n, [["http", WEB_PORT]]);
        }

        // key_vault (the organisation's image).
        const keyVaultPort = cfg.keyVault.image ? cfg.keyVault.port : undefined;
        if (cfg.keyVault.image) {
            const data = new k8s.core.v1.PersistentVolumeClaim(LI_NAMES.keyVaultData, claim(LI_NAMES.keyVaultData, li, args.storageClass, cfg.keyVault.storageGiB), keep);
            new k8s.apps.v1.Deployment(LI_NAMES.keyVault, keyVaultDeployment({ image: cfg.keyVault.image, port: cfg.keyVault.port }), { parent, dependsOn: [data] });
            this.service(KEY_VAULT_SERVICE, [["http", cfg.keyVault.port]]);
        } else {
            pulumi.log.warn("key_vault is NOT deployed: set matrix:li.keyVault.image to the organisation's key_vault image.", this);
        }

        // The database sync and its metrics.
        const scripts = syncScript({ jobs: size.syncJobs, maxSeconds: cfg.sync.maxDurationMinutes * 60, intervalSeconds });
        const metricsPy = metricsServerScript();
        new k8s.core.v1.ConfigMap(
            LI_NAMES.syncScripts,
            { metadata: { name: LI_NAMES.syncScripts, namespace: li }, data: { "li-sync.sh": scripts, "metrics_server.py": metricsPy } },
            { parent },
        );
        const rbac = syncRbac();
        new k8s.core.v1.ServiceAccount(LI_NAMES.sync, { metadata: { name: LI_NAMES.sync, namespace: li } }, { parent });
        new k8s.rbac.v1.Role(LI_NAMES.sync, rbac.role, { parent });
        new k8s.rbac.v1.RoleBinding(LI_NAMES.sync, rbac.binding, { parent });
        new k8s.batch.v1.CronJob(
            LI_NAMES.sync,
            pulumi.output(args.data.li.replicaHost).apply((host) =>
                syncCronJob({
                    schedule: cfg.sync.schedule,
                    maxSeconds: cfg.sync.maxDurationMinutes * 60,
                    postgresImage: cfg.postgresImage,
                    kubectlImage: KUBECTL_IMAGE,
                    source: { host, port: args.data.li.port, database: args.data.li.database, user: args.data.li.syncUser, passwordSecret: args.data.li.syncPassword },
                    checksum: sha(scripts),
                }),
            ),
            { parent },
        );
        new k8s.apps.v1.Deployment(LI_NAMES.metrics, metricsDeployment({ image: args.synapseImage, intervalSeconds }), { parent });
        this.service(LI_NAMES.metrics, [["metrics", LI_SYNC_METRICS.port]]);
        this.metricsEndpoint = `http://${LI_SYNC_METRICS.service}.${li}.svc.cluster.local:${LI_SYNC_METRICS.port}${LI_SYNC_METRICS.path}`;

        // The proxy, its certificate (an internal CA of its own), and the network policies.
        this.proxy(args, keyVaultPort);
        for (const p of liNetworkPolicies({
            keyVaultPort,
            allowedCidrs: args.allowedCidrs,
            mainPostgresPodLabels: args.data.li.postgresPodLabels,
            mainPostgresPort: args.data.li.port,
            ...(args.data.media.inCluster ? { objectStore: args.data.media.inCluster } : {}),
            apiServerCidr: args.apiServerCidr,
        })) {
            new k8s.networking.v1.NetworkPolicy(`${p.metadata.namespace}-${p.metadata.name}`, p, { parent });
        }
        this.registerOutputs({ hosts, metricsEndpoint: this.metricsEndpoint });
    }

    private service(name: string, ports: [string, number][]): void {
        new k8s.core.v1.Service(
            name,
            {
                metadata: { name, namespace: NAMESPACES.li },
                spec: { type: "ClusterIP", selector: { "app.kubernetes.io/name": name }, ports: ports.map(([n, port]) => ({ name: n, port, targetPort: port })) },
            },
            { parent: this },
        );
    }

    private proxy(args: LiArgs, keyVaultPort: number | undefined): void {
        const parent = this;
        const pns = NAMESPACES.liProxy;
        const svc = (n: string, port: number) => `${n}.${NAMESPACES.li}.svc.cluster.local:${port}`;
        const cfgText = liProxyConfig({
            allowedCidrs: args.allowedCidrs,
            hosts: { homeserver: [args.hosts.homeserver, ...args.hosts.mainNames], element: args.hosts.element, admin: args.hosts.admin, ...(keyVaultPort ? { keyVault: args.hosts.keyVault } : {}) },
            backends: {
                synapse: svc(LI_NAMES.synapse, HTTP_PORT),
                element: svc(LI_NAMES.element, WEB_PORT),
                admin: svc(LI_NAMES.admin, WEB_PORT),
                ...(keyVaultPort ? { keyVault: svc(KEY_VAULT_SERVICE, keyVaultPort) } : {}),
            },
            maxBodyBytes: args.plan.synapse.maxUploadBytes,
            dnsResolvers: true,
        });
        const data = { "haproxy.cfg": cfgText, "access-log.sh": accessLogScript(), "retention-days": String(args.config.accessLogRetentionDays) };
        new k8s.core.v1.ConfigMap(LI_NAMES.proxyConfig, { metadata: { name: LI_NAMES.proxyConfig, namespace: pns }, data }, { parent });
        const cm = "cert-manager.io/v1";
        const issuer = (n: string, spec: Record<string, unknown>) =>
            new k8s.apiextensions.CustomResource(`${pns}-${n}`, { apiVersion: cm, kind: "Issuer", metadata: { name: n, namespace: pns }, spec }, { parent });
        issuer("li-selfsigned", { selfSigned: {} });
        new k8s.apiextensions.CustomResource(
            `${pns}-li-ca`,
            {
                apiVersion: cm,
                kind: "Certificate",
                metadata: { name: "li-ca", namespace: pns },
                spec: { isCA: true, commonName: "matrix-scale LI CA", secretName: "li-ca", duration: "87600h", privateKey: { algorithm: "ECDSA", size: 256 }, issuerRef: { name: "li-selfsigned", kind: "Issuer", group: "cert-manager.io" } },
            },
            { parent },
        );
        issuer("li-ca", { ca: { secretName: "li-ca" } });
        const names = [args.hosts.homeserver, args.hosts.element, args.hosts.admin, ...(keyVaultPort ? [args.hosts.keyVault] : []), ...args.hosts.mainNames];
        new k8s.apiextensions.CustomResource(
            `${pns}-${LI_NAMES.proxyTls}`,
            {
                apiVersion: cm,
                kind: "Certificate",
                metadata: { name: LI_NAMES.proxyTls, namespace: pns },
                spec: { secretName: LI_NAMES.proxyTls, dnsNames: names, privateKey: { algorithm: "ECDSA", size: 256, rotationPolicy: "Always" }, issuerRef: { name: "li-ca", kind: "Issuer", group: "cert-manager.io" } },
            },
            { parent },
        );
        new k8s.apps.v1.Deployment(LI_NAMES.proxy, proxyDeployment({ image: args.config.proxyImage, checksum: sha(JSON.stringify(data)) }), { parent });
    }
}
