// One Redis HA group: 3 Redis pods, 3 Sentinels, and for Synapse an HAProxy
// that always points at the current master.
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import * as random from "@pulumi/random";
import { allowFromNamespaces } from "./network";
import { redisAuthConf, sentinelAuthConf } from "./redis/config";
import {
    configData, haproxyDeployment, names, redisClaims, redisStatefulSet, REDIS_PORT, sentinelStatefulSet, SENTINEL_PORT,
    services, type RedisGroupInputs,
} from "./redis/manifests";

export class RedisHaGroup extends pulumi.ComponentResource {
    readonly authSecret: string;
    readonly masterService?: string;
    readonly sentinelService: string;
    /** Value of app.kubernetes.io/instance on the group's Redis and Sentinel pods. */
    readonly baseName: string;

    constructor(name: string, args: RedisGroupInputs, opts?: pulumi.ComponentResourceOptions) {
        super("matrix:data:RedisGroup", name, {}, opts);
        const parent = this;
        const n = names(args);

        const password = new random.RandomPassword(`${n.base}-password`, { length: 32, special: false }, { parent });
        const auth = new k8s.core.v1.Secret(
            n.auth,
            {
                metadata: { name: n.auth, namespace: args.namespace },
                stringData: {
                    password: password.result,
                    "redis-auth.conf": password.result.apply(redisAuthConf),
                    "sentinel-auth.conf": password.result.apply((p) => sentinelAuthConf(args.group, p)),
                },
            },
            { parent },
        );
        const config = new k8s.core.v1.ConfigMap(n.config, { metadata: { name: n.config, namespace: args.namespace }, data: configData(args) }, { parent });
        for (const svc of services(args)) {
            new k8s.core.v1.Service(`${args.namespace}-${svc.metadata.name}`, svc, { parent });
        }
        const claims = redisClaims(args).map((c) => new k8s.core.v1.PersistentVolumeClaim(c.metadata.name, c, { parent, retainOnDelete: true }));
        new k8s.apps.v1.StatefulSet(n.base, redisStatefulSet(args), { parent, dependsOn: [auth, config, ...claims] });
        new k8s.apps.v1.StatefulSet(n.sentinel, sentinelStatefulSet(args), { parent, dependsOn: [auth, config] });
        for (const component of ["server", "sentinel"]) {
            new k8s.policy.v1.PodDisruptionBudget(
                `${n.base}-${component}`,
                {
                    metadata: { name: `${n.base}-${component}`, namespace: args.namespace },
                    spec: { maxUnavailable: 1, selector: { matchLabels: { "app.kubernetes.io/instance": n.base, "app.kubernetes.io/component": component } } },
                },
                { parent },
            );
        }
        if (args.haproxy) {
            const haproxy = haproxyDeployment(args);
            new k8s.apps.v1.Deployment(n.haproxy, haproxy, { parent, dependsOn: [auth, config] });
            new k8s.policy.v1.PodDisruptionBudget(
                n.haproxy,
                { metadata: { name: n.haproxy, namespace: args.namespace }, spec: { maxUnavailable: 1, selector: { matchLabels: haproxy.spec.selector.matchLabels } } },
                { parent },
            );
            this.masterService = args.haproxy.serviceName;
        }
        // Redis, Sentinel and HAProxy talk to each other and to their clients inside the group's namespace only.
        new k8s.networking.v1.NetworkPolicy(
            `${n.base}-ingress`,
            allowFromNamespaces(`${n.base}-ingress`, args.namespace, { "app.kubernetes.io/instance": n.base }, [REDIS_PORT, SENTINEL_PORT], [args.namespace]),
            { parent },
        );
        if (args.haproxy) {
            new k8s.networking.v1.NetworkPolicy(
                `${n.haproxy}-ingress`,
                allowFromNamespaces(`${n.haproxy}-ingress`, args.namespace, { "app.kubernetes.io/instance": n.haproxy }, [REDIS_PORT, 8405], [args.namespace]),
                { parent },
            );
        }
        this.authSecret = n.auth;
        this.sentinelService = n.sentinel;
        this.baseName = n.base;
        this.registerOutputs({ sentinel: `${n.sentinel}.${args.namespace}.svc.cluster.local:${SENTINEL_PORT}`, port: REDIS_PORT });
    }
}
