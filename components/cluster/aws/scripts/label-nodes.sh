#!/bin/bash
# Runs on control-plane servers (timer): gives each node its role and server
# labels, and approves kubelet serving certificates, from what EC2 says about
# the instance behind the node, never from what the node says about itself.
#
# The labels carry the node-restriction.kubernetes.io/ prefix, which the
# NodeRestriction admission plugin forbids kubelets to set: a node (or a
# stolen kubelet credential) cannot claim to be database-0 and attract its
# local volume. The instance's tags are written by the program; instance roles
# cannot change tags.
set -euo pipefail

# shellcheck source=/dev/null
. /etc/matrix-scale/node.env

KUBECONFIG="${KUBECONFIG:-/etc/kubernetes/admin.conf}"
export KUBECONFIG

log() { printf '%s matrix-label: %s\n' "$(date -u +%FT%TZ)" "$*" >&2; }

# "<instance id> <private DNS> <private IP> <role tag> <server tag> <cluster tag> <public IP> <public DNS>"
# for one instance ("None" for what it lacks; names and addresses have no spaces).
instance_facts() {
    aws ec2 describe-instances --region "${AWS_REGION}" --instance-ids "$1" \
        --query "Reservations[0].Instances[0].[InstanceId, PrivateDnsName, PrivateIpAddress, Tags[?Key=='${ROLE_LABEL}']|[0].Value, Tags[?Key=='${SERVER_LABEL}']|[0].Value, Tags[?Key=='kubernetes.io/cluster/${CLUSTER_NAME}']|[0].Value, PublicIpAddress, PublicDnsName]" \
        --output text
}

# Node name and instance id (from the provider ID the cloud controller set), one per line.
node_instances() {
    kubectl get nodes -o jsonpath='{range .items[*]}{.metadata.name}{" "}{.spec.providerID}{"\n"}{end}' |
        while read -r node provider; do
            [ -n "${provider:-}" ] || continue
            printf '%s %s\n' "${node}" "${provider##*/}"
        done
}

label_nodes() {
    local pairs duplicates node instance facts id dns ip role server owned public_ip public_dns
    pairs="$(node_instances)"
    # Two nodes naming one instance: one of them lies; label neither.
    duplicates="$(printf '%s\n' "${pairs}" | awk 'NF == 2 { print $2 }' | sort | uniq -d)"
    while read -r node instance; do
        [ -n "${node:-}" ] || continue
        if [ -n "${duplicates}" ] && printf '%s\n' "${duplicates}" | grep -qx "${instance}"; then
            log "nodes share instance ${instance}; not labelling ${node}"
            continue
        fi
        facts="$(instance_facts "${instance}")" || { log "no instance ${instance} for node ${node}"; continue; }
        read -r id dns ip role server owned public_ip public_dns <<<"${facts}"
        if [ "${id}" != "${instance}" ] || [ "${owned}" != "owned" ] || [ "${dns}" != "${node}" ]; then
            log "node ${node} does not match instance ${instance} of this cluster (${dns}, ${owned}); not labelling it"
            continue
        fi
        if [ "${role}" = "None" ] || [ "${server}" = "None" ]; then
            log "instance ${instance} carries no role/server tags; not labelling ${node}"
            continue
        fi
        kubectl label node "${node}" --overwrite "${ROLE_LABEL}=${role}" "${SERVER_LABEL}=${server}" >/dev/null
        printf '%s %s %s %s %s\n' "${node}" "${dns}" "${ip}" "${public_ip:-None}" "${public_dns:-None}" >>"${VERIFIED}"
    done <<<"${pairs}"
}

# Approves a pending kubelet-serving CSR only when its requester is a node
# verified above and every name it asks for is one of that instance's own
# DNS names or addresses (private, and public on call servers).
approve_serving_certificates() {
    local csr user node dns ip public_ip public_dns sans san ok
    kubectl get csr -o jsonpath='{range .items[?(@.spec.signerName=="kubernetes.io/kubelet-serving")]}{.metadata.name}{" "}{.spec.username}{" "}{.status.conditions[0].type}{"\n"}{end}' |
        while read -r csr user state; do
            if [ -z "${csr:-}" ] || [ -n "${state:-}" ]; then continue; fi
            node="${user#system:node:}"
            read -r _ dns ip public_ip public_dns <<<"$(awk -v n="${node}" '$1 == n' "${VERIFIED}" | head -n 1)"
            if [ -z "${dns:-}" ]; then
                log "CSR ${csr} from ${user}: not a verified node; left pending"
                continue
            fi
            sans="$(kubectl get csr "${csr}" -o jsonpath='{.spec.request}' | base64 -d |
                openssl req -noout -text | awk '/Subject Alternative Name/ { getline; print }' | tr -d ' ' | tr ',' '\n')"
            ok=true
            while read -r san; do
                [ -n "${san}" ] || continue
                case "${san}" in
                    "DNS:${dns}" | "IPAddress:${ip}") ;;
                    "IPAddress:${public_ip}" | "DNS:${public_dns}") [ "${public_ip}" != "None" ] || ok=false ;;
                    *) ok=false ;;
                esac
            done <<<"${sans}"
            if [ "${ok}" = true ] && [ -n "${sans}" ]; then
                kubectl certificate approve "${csr}" >/dev/null
                log "approved serving certificate ${csr} for ${node}"
            else
                log "CSR ${csr} from ${node} asks for names that are not its own (${sans//$'\n'/ }); left pending"
            fi
        done
}

main() {
    if [ ! -f "${KUBECONFIG}" ]; then
        log "no ${KUBECONFIG} yet"
        return 0
    fi
    VERIFIED="$(mktemp)"
    trap 'rm -f "${VERIFIED}"' EXIT
    label_nodes
    approve_serving_certificates
}

main "$@"
