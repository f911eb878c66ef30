#!/bin/bash
# Brings a prepared server into the cluster. Control-plane server 0 creates
# the cluster when no API server answers behind the load balancer yet; every
# other server (and a replaced server 0 of a running cluster) joins it.
# The role and server labels are not set here: kubelets may not set
# node-restriction.kubernetes.io/ labels; matrix-label-nodes sets them.
# Secrets (cluster CAs, service-account key, bootstrap token) are read from
# SSM Parameter Store at boot, never written into user data; the rendered
# kubeadm files holding them are private to root and deleted afterwards.
set -euo pipefail

# shellcheck source=/dev/null
. /etc/matrix-scale/node.env

log() { printf '%s matrix-join: %s\n' "$(date -u +%FT%TZ)" "$*" >&2; }

imds() {
    local token
    token="$(curl -fsS -X PUT -H 'X-aws-ec2-metadata-token-ttl-seconds: 300' http://169.254.169.254/latest/api/token)"
    curl -fsS -H "X-aws-ec2-metadata-token: ${token}" "http://169.254.169.254/latest/meta-data/$1"
}

ssm_get() {
    aws ssm get-parameter --region "${AWS_REGION}" --with-decryption \
        --name "${SSM_PREFIX}/$1" --query Parameter.Value --output text
}

api_up() {
    curl -ksf --max-time 5 "https://${API_ENDPOINT}:6443/livez" >/dev/null
}

# Bounded wait: 90 tries, 10 s apart.
wait_for_api() {
    local tries=0
    until api_up; do
        tries=$((tries + 1))
        if [ "${tries}" -ge 90 ]; then
            log "API server ${API_ENDPOINT}:6443 not reachable after 15 minutes"
            return 1
        fi
        sleep 10
    done
}

install_pki() {
    install -d -m 0700 /etc/kubernetes/pki /etc/kubernetes/pki/etcd
    local f
    for f in ca.crt front-proxy-ca.crt etcd/ca.crt sa.pub; do
        ssm_get "pki/${f}" >"/etc/kubernetes/pki/${f}"
        chmod 0644 "/etc/kubernetes/pki/${f}"
    done
    for f in ca.key front-proxy-ca.key etcd/ca.key sa.key; do
        (umask 077 && ssm_get "pki/${f}" >"/etc/kubernetes/pki/${f}")
    done
}

node_registration() {
    local taints="    []"
    if [ "${ROLE_VALUE}" = "control-plane" ]; then
        taints="    - key: node-role.kubernetes.io/control-plane
      effect: NoSchedule"
    elif [ "${TAINTED}" = "true" ]; then
        taints="    - key: ${ROLE_LABEL}
      value: ${ROLE_VALUE}
      effect: NoSchedule"
    fi
    cat <<REG
nodeRegistration:
  name: ${NODE_NAME}
  criSocket: unix:///run/containerd/containerd.sock
  kubeletExtraArgs:
    - name: cloud-provider
      value: external
    - name: node-ip
      value: ${NODE_IP}
  taints:
${taints}
REG
}

render_init() {
    cat <<INIT
apiVersion: kubeadm.k8s.io/v1beta4
kind: InitConfiguration
bootstrapTokens:
  - token: ${JOIN_TOKEN}
    ttl: ${JOIN_TOKEN_TTL}
    usages: [signing, authentication]
    groups: [system:bootstrappers:kubeadm:default-node-token]
localAPIEndpoint:
  advertiseAddress: ${NODE_IP}
  bindPort: 6443
$(node_registration)
---
apiVersion: kubeadm.k8s.io/v1beta4
kind: ClusterConfiguration
clusterName: ${CLUSTER_NAME}
kubernetesVersion: v${KUBERNETES_VERSION}
controlPlaneEndpoint: ${API_ENDPOINT}:6443
networking:
  podSubnet: ${POD_CIDR}
  serviceSubnet: ${SERVICE_CIDR}
apiServer:
  certSANs: [${API_SANS}]
---
apiVersion: kubelet.config.k8s.io/v1beta1
kind: KubeletConfiguration
# Serving certificates signed by the cluster CA (approved by matrix-label-nodes
# after checking the names against EC2), so metrics-server can verify kubelets.
serverTLSBootstrap: true
INIT
}

render_join() {
    cat <<JOIN
apiVersion: kubeadm.k8s.io/v1beta4
kind: JoinConfiguration
discovery:
  bootstrapToken:
    apiServerEndpoint: ${API_ENDPOINT}:6443
    token: ${JOIN_TOKEN}
    caCertHashes: [${CA_CERT_HASH}]
$(node_registration)
JOIN
    if [ "${ROLE_VALUE}" = "control-plane" ]; then
        cat <<CP
controlPlane:
  localAPIEndpoint:
    advertiseAddress: ${NODE_IP}
    bindPort: 6443
CP
    fi
}

main() {
    if [ -f /etc/kubernetes/kubelet.conf ]; then
        log "already a cluster member"
        return 0
    fi
    NODE_NAME="$(imds local-hostname)"
    NODE_IP="$(imds local-ipv4)"
    JOIN_TOKEN="$(ssm_get join-token)"
    local config=/etc/kubernetes/matrix-kubeadm.yaml
    install -d -m 0755 /etc/kubernetes
    trap 'rm -f "${config}"' EXIT

    if [ "${ROLE_VALUE}" = "control-plane" ]; then
        install_pki
        if [ "${INIT_ALLOWED}" = "true" ] && ! api_up; then
            log "no API server behind ${API_ENDPOINT}: creating the cluster"
            (umask 077 && render_init >"${config}")
            kubeadm init --config "${config}" --upload-certs=false
            return 0
        fi
        wait_for_api
        # etcd members are added one at a time: stagger control-plane joins.
        sleep "${JOIN_STAGGER_SECONDS}"
    else
        wait_for_api
    fi
    (umask 077 && render_join >"${config}")
    kubeadm join --config "${config}"
    log "${SERVER_NAME} joined as ${NODE_NAME}"
}

main "$@"
