// Stack config for the lawful-intercept instance (`matrix:li`): images, host
// names, the database sync's schedule and bound, key_vault and the proxy's
// access log. Sizes come from the plan (the LI server); nothing here sizes.
import { maxIntervalSeconds, parseCron } from "../../components/li/cron";
import { boolean, cidr, dnsName, integer, list, object, optional, refine, string, type Infer } from "../schema";

const image = (what: string, dflt?: string) =>
    string({
        description: `Container image for ${what}, pinned to a version.`,
        ...(dflt ? { default: dflt } : {}),
        pattern: /^[a-z0-9][a-z0-9./_-]*(:[A-Za-z0-9._-]+|@sha256:[a-f0-9]{64})$/,
        patternText: "an image reference with a tag or digest, e.g. registry.example/app:1.2.3",
    });

export const LI_DEFAULTS = {
    /** Four syncs a day, away from the hour (the main database's backups run at 03:00). */
    schedule: "17 */6 * * *",
    maxDurationMinutes: 300,
    /** The maintained synapse-admin image; its static files are served by an unprivileged nginx. */
    adminImage: "awesometechnologies/synapse-admin:0.11.1",
    webServerImage: "nginxinc/nginx-unprivileged:1.29.3-alpine",
    proxyImage: "haproxy:2.6.22",
    postgresImage: "postgres:15.17-bookworm",
    keyVaultPort: 8080,
    keyVaultStorageGiB: 10,
    accessLogRetentionDays: 365,
} as const;

const sync = refine(
    object(
        {
            schedule: string({
                description: "When the main -> LI database sync runs (Kubernetes CronJob schedule, five fields, UTC).",
                default: LI_DEFAULTS.schedule,
                pattern: /^\S+(\s+\S+){4}$/,
                patternText: 'a five-field cron schedule, e.g. "17 */6 * * *"',
            }),
            maxDurationMinutes: integer({
                description: "Upper bound of one sync run; a run that takes longer is killed and LI keeps its previous copy.",
                default: LI_DEFAULTS.maxDurationMinutes,
                min: 10,
                max: 7 * 24 * 60,
            }),
        },
        { description: "The database sync from a replica of the main cluster into a fresh LI database." },
    ),
    (s, problem) => {
        const parsed = parseCron(s.schedule);
        if ("error" in parsed) {
            problem("schedule", `is not a cron schedule (got ${JSON.stringify(s.schedule)}): ${parsed.error}; allowed: five fields, e.g. "17 */6 * * *"`);
            return;
        }
        const interval = maxIntervalSeconds(s.schedule);
        if (s.maxDurationMinutes * 60 >= interval) {
            problem(
                "maxDurationMinutes",
                `is ${s.maxDurationMinutes} but the schedule ${JSON.stringify(s.schedule)} starts a run every ${interval / 60} minutes at most; allowed: less than the interval, so runs never pile up`,
            );
        }
    },
);

export const li = {
    li: object(
        {
            enabled: boolean({ description: "Deploy the lawful-intercept instance (the guide makes it mandatory at every tier).", default: true }),
            synapseImage: optional(image("synapse-li (default: matrix:synapse.image, the same Synapse as main)")),
            elementImage: optional(image("element-web-li (default: matrix:element.image)")),
            adminImage: image("synapse-admin-li (its static files are copied out and served unprivileged)", LI_DEFAULTS.adminImage),
            webServerImage: image("the unprivileged nginx serving synapse-admin-li's files", LI_DEFAULTS.webServerImage),
            proxyImage: image("the LI HTTPS proxy (HAProxy 2.6, the version the generated config is proven with)", LI_DEFAULTS.proxyImage),
            postgresImage: image("LI PostgreSQL and the sync Job (major 15, as the main cluster)", LI_DEFAULTS.postgresImage),
            hosts: object(
                {
                    homeserver: optional(dnsName({ description: "Host name of synapse-li at the LI proxy. Defaults to matrix-li.<matrix:domain>." })),
                    element: optional(dnsName({ description: "Host name of element-web-li. Defaults to element-li.<matrix:domain>." })),
                    admin: optional(dnsName({ description: "Host name of synapse-admin-li. Defaults to admin-li.<matrix:domain>." })),
                    keyVault: optional(dnsName({ description: "Host name of key_vault's admin interface. Defaults to keyvault-li.<matrix:domain>." })),
                },
                { description: "Host names the LI proxy serves (resolve them to the LI server from the LI admin networks only)." },
            ),
            sync,
            keyVault: object(
                {
                    image: optional(image("key_vault (the organisation's service; without it key_vault is not deployed and the program warns)")),
                    port: integer({ description: "Port key_vault's HTTP API listens on.", default: LI_DEFAULTS.keyVaultPort, min: 1024, max: 65535 }),
                    storageGiB: integer({ description: "key_vault's persistent volume on the LI server.", default: LI_DEFAULTS.keyVaultStorageGiB, min: 1, max: 10000 }),
                },
                { description: "key_vault: stores keys forwarded by the main Synapse processes." },
            ),
            accessLogRetentionDays: integer({
                description: "Days the LI proxy's access log (every request) is kept on the LI server.",
                default: LI_DEFAULTS.accessLogRetentionDays,
                min: 1,
                max: 3650,
            }),
            adminCidrs: list(cidr({ description: "Network allowed to reach the LI proxy." }), {
                description:
                    "provider existing only: networks the LI proxy accepts (with provider aws, set matrix:cluster.liAdminCidrs, which also opens the security group). Empty: nobody.",
                default: [],
            }),
        },
        { description: "The lawful-intercept instance on the LI server: synapse-li, element-web-li, synapse-admin-li, key_vault, its proxy and the database sync." },
    ),
} as const;

export type LiConfig = Infer<(typeof li)["li"]>;
