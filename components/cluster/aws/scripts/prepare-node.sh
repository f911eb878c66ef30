#!/bin/bash
# First-boot preparation of a server: kernel settings, the data disk,
# containerd and the pinned Kubernetes packages. Everything it needs is in
# /etc/matrix-scale/node.env (no secrets there). Safe to run again: each step
# checks before it changes anything, so a failed boot can be retried by hand.
set -euo pipefail

# shellcheck source=/dev/null
. /etc/matrix-scale/node.env

log() { printf '%s matrix-prepare: %s\n' "$(date -u +%FT%TZ)" "$*" >&2; }

kernel_settings() {
    printf 'overlay\nbr_netfilter\n' >/etc/modules-load.d/kubernetes.conf
    modprobe overlay
    modprobe br_netfilter
    cat >/etc/sysctl.d/90-kubernetes.conf <<'SYSCTL'
net.bridge.bridge-nf-call-iptables = 1
net.bridge.bridge-nf-call-ip6tables = 1
net.ipv4.ip_forward = 1
SYSCTL
    sysctl --system >/dev/null
}

# Data disks are separate EBS volumes (or local NVMe when opted in), listed in
# DATA_DISKS as "<device pattern>=<mount point>", disk k at position k. Each is
# waited for a bounded time, given a filesystem only if a probe finds none (a
# replacement server must never format a volume that carries data) and mounted
# by UUID. Database and storage servers' local PersistentVolumes point at
# these mount points.
data_disk() {
    local k="$1" pattern="$2" mount_point="$3" device="" tries=0 candidate
    while [ "${tries}" -lt 60 ]; do
        for candidate in ${pattern}; do
            if [ -b "${candidate}" ]; then
                device="$(readlink -f "${candidate}")"
                break 2
            fi
        done
        tries=$((tries + 1))
        sleep 5
    done
    if [ -z "${device}" ]; then
        log "data disk ${k} (${pattern}) did not appear within 5 minutes"
        return 1
    fi
    # blkid -p exits 2 only when it found no signature at all; any other
    # failure (an ambiguous probe, an I/O error) must not lead to mkfs.
    local probe=0
    blkid -p "${device}" >/dev/null 2>&1 || probe=$?
    if [ "${probe}" -eq 2 ]; then
        log "formatting empty data disk ${k} (${device})"
        mkfs.xfs -L "matrix-d${k}" "${device}"
    elif [ "${probe}" -ne 0 ]; then
        log "cannot probe data disk ${k} (${device}): blkid exit ${probe}; not formatting it"
        return 1
    fi
    local uuid
    uuid="$(blkid -s UUID -o value "${device}")"
    mkdir -p "${mount_point}"
    if ! mountpoint -q "${mount_point}"; then
        # The bare directory is made immutable: if the disk is ever missing,
        # a pod using the local volume fails to write instead of silently
        # filling the root disk. The mounted filesystem hides the flag.
        chattr +i "${mount_point}"
    fi
    if ! grep -q "UUID=${uuid}" /etc/fstab; then
        printf 'UUID=%s %s xfs defaults,nofail,x-systemd.device-timeout=5min 0 2\n' "${uuid}" "${mount_point}" >>/etc/fstab
    fi
    systemctl daemon-reload
    mountpoint -q "${mount_point}" || mount "${mount_point}"
}

data_disks() {
    if [ -z "${DATA_DISKS}" ]; then
        log "no data disk for this server"
        return 0
    fi
    local entries entry k=0
    read -r -a entries <<<"${DATA_DISKS}"
    for entry in "${entries[@]}"; do
        data_disk "${k}" "${entry%%=*}" "${entry#*=}"
        k=$((k + 1))
    done
    # A volume grown by a tier change is grown online by this timer.
    systemctl enable --now matrix-data-grow.timer
}

apt_repositories() {
    install -d -m 0755 /etc/apt/keyrings
    if [ ! -s /etc/apt/keyrings/kubernetes.gpg ]; then
        curl -fsSL --retry 5 "https://pkgs.k8s.io/core:/stable:/v${KUBERNETES_MINOR}/deb/Release.key" |
            gpg --dearmor -o /etc/apt/keyrings/kubernetes.gpg
    fi
    if [ ! -s /etc/apt/keyrings/docker.gpg ]; then
        curl -fsSL --retry 5 https://download.docker.com/linux/debian/gpg |
            gpg --dearmor -o /etc/apt/keyrings/docker.gpg
    fi
    printf 'deb [signed-by=/etc/apt/keyrings/kubernetes.gpg] https://pkgs.k8s.io/core:/stable:/v%s/deb/ /\n' "${KUBERNETES_MINOR}" \
        >/etc/apt/sources.list.d/kubernetes.list
    printf 'deb [signed-by=/etc/apt/keyrings/docker.gpg] https://download.docker.com/linux/debian bookworm stable\n' \
        >/etc/apt/sources.list.d/docker.list
    apt-get update -q
}

packages() {
    DEBIAN_FRONTEND=noninteractive apt-get install -y -q \
        "containerd.io=${CONTAINERD_APT_VERSION}" \
        "kubelet=${KUBERNETES_APT_VERSION}" \
        "kubeadm=${KUBERNETES_APT_VERSION}" \
        "kubectl=${KUBERNETES_APT_VERSION}"
    # Upgrades are deliberate (kubeadm upgrade), never an unattended apt run.
    apt-mark hold containerd.io kubelet kubeadm kubectl
}

containerd_config() {
    # The packaged config disables the CRI plugin; kubelet needs it, with the
    # systemd cgroup driver that kubeadm configures for the kubelet.
    containerd config default >/etc/containerd/config.toml
    sed -i 's/SystemdCgroup = false/SystemdCgroup = true/' /etc/containerd/config.toml
    systemctl restart containerd
    systemctl enable containerd kubelet
}

main() {
    kernel_settings
    data_disks
    apt_repositories
    packages
    containerd_config
    log "prepared ${SERVER_NAME} (${ROLE_VALUE})"
}

main "$@"
