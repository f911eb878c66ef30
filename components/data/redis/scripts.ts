// Start scripts for the Redis and Sentinel containers (POSIX sh, checked with
// shellcheck in the tests). They decide at start where the master is, so a pod
// that comes back after a failover rejoins as a replica instead of becoming a
// second master.

export interface ScriptNames {
    readonly masterName: string;
    /** Service in front of the Sentinels, asked for the current master. */
    readonly sentinelService: string;
    readonly sentinelPort: number;
    /** DNS name of the first Redis pod, the master when nobody knows better. */
    readonly firstPodHost: string;
    readonly redisPort: number;
    readonly quorum: number;
}

const askSentinels = (n: ScriptNames) => `
master=""
i=0
while [ "$i" -lt 5 ]; do
  answer=$(REDISCLI_AUTH="$REDIS_PASSWORD" redis-cli -h ${n.sentinelService} -p ${n.sentinelPort} --raw sentinel get-master-addr-by-name ${n.masterName} 2>/dev/null | head -n 1 || true)
  case "$answer" in
    ""|*ERR*|*NOAUTH*) ;;
    *) master="$answer"; break ;;
  esac
  i=$((i + 1))
  sleep 2
done`;

/** Redis: master if Sentinel knows none and this is pod 0, else a replica of the known master. */
export function redisStartScript(n: ScriptNames): string {
    return `#!/bin/sh
set -eu
: "\${REDIS_PASSWORD:?}" "\${POD_NAME:?}" "\${POD_FQDN:?}"
${askSentinels(n)}
if [ -z "$master" ]; then
  case "$POD_NAME" in
    *-0) master="" ;;
    *) master="${n.firstPodHost}" ;;
  esac
fi
if [ -n "$master" ] && [ "$master" != "$POD_FQDN" ]; then
  exec redis-server /etc/redis/redis.conf --replica-announce-ip "$POD_FQDN" --replicaof "$master" ${n.redisPort}
fi
exec redis-server /etc/redis/redis.conf --replica-announce-ip "$POD_FQDN"
`;
}

/**
 * Sentinel rewrites its config file, so it runs from a writable copy; the copy
 * starts from the master the other Sentinels report (not pod 0, which may be a
 * replica by now), and gets the auth lines from the Secret appended.
 */
export function sentinelStartScript(n: ScriptNames): string {
    return `#!/bin/sh
set -eu
: "\${REDIS_PASSWORD:?}" "\${POD_FQDN:?}"
# Paths are overridable only so the script can be exercised outside a pod.
template="\${SENTINEL_TEMPLATE:-/etc/redis/sentinel.conf}"
conf="\${SENTINEL_CONF:-/data/sentinel.conf}"
auth="\${SENTINEL_AUTH:-/etc/redis-auth/sentinel-auth.conf}"
${askSentinels(n)}
[ -n "$master" ] || master="${n.firstPodHost}"
sed "s/^sentinel monitor ${n.masterName} .*/sentinel monitor ${n.masterName} $master ${n.redisPort} ${n.quorum}/" "$template" > "$conf"
echo "sentinel announce-ip $POD_FQDN" >> "$conf"
cat "$auth" >> "$conf"
exec redis-sentinel "$conf"
`;
}
