#!/bin/bash
# Runs on control-plane servers (timer): creates a fresh bootstrap token with
# a finite lifetime and stores it in SSM, where joining servers read it. Every
# token kubeadm holds expires JOIN_TOKEN_TTL after its creation, so a leaked
# token (or the first one, which is in Pulumi state) stops working within a
# day, while a server joining at any time finds a valid one.
set -euo pipefail

# shellcheck source=/dev/null
. /etc/matrix-scale/node.env

KUBECONFIG="${KUBECONFIG:-/etc/kubernetes/admin.conf}"
export KUBECONFIG

log() { printf '%s matrix-token: %s\n' "$(date -u +%FT%TZ)" "$*" >&2; }

main() {
    if [ ! -f "${KUBECONFIG}" ]; then
        log "no ${KUBECONFIG} yet"
        return 0
    fi
    local token
    token="$(kubeadm token create --kubeconfig "${KUBECONFIG}" --ttl "${JOIN_TOKEN_TTL}" \
        --usages signing,authentication --groups system:bootstrappers:kubeadm:default-node-token)"
    # The token is never written to disk; it is on a root process's command line for a moment only.
    aws ssm put-parameter --region "${AWS_REGION}" --name "${SSM_PREFIX}/join-token" \
        --type SecureString --overwrite --value "${token}" >/dev/null
    log "rotated the join token (valid ${JOIN_TOKEN_TTL})"
}

main "$@"
