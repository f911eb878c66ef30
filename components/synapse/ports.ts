// Container ports every Synapse process uses. Only HTTP is ever routed to; the
// replication and metrics ports stay inside the cluster (NetworkPolicy) and are
// never named in the router's configuration.

/** Listener with client/federation/media resources (or only /health). */
export const HTTP_PORT = 8008;
/** HTTP replication listener: `instance_map` points here. */
export const REPLICATION_PORT = 9093;
/** Prometheus metrics listener. */
export const METRICS_PORT = 9000;

/** Paths inside the containers. */
export const PATHS = {
    configDir: "/conf",
    homeserver: "/conf/homeserver.yaml",
    logConfig: "/conf/log.yaml",
    /** Workers of an autoscaled pool render their file here at start (their name is the pod name). */
    renderedWorker: "/tmp/worker.yaml",
    secretsDir: "/secrets/synapse",
    signingKey: "/secrets/signing/signing.key",
    redisPassword: "/secrets/redis/password",
    mediaStore: "/data/media",
} as const;

/** ConfigMap key (and file under /conf) of one worker's (or one pool's) own config file. */
export const workerFileKey = (name: string) => `worker-${name}.yaml`;

/** Placeholder in a pool worker file, replaced with the pod name when the container starts. */
export const POD_NAME_PLACEHOLDER = "@POD_NAME@";
