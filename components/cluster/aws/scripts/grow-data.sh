#!/bin/bash
# Grows each data filesystem after its EBS volume was enlarged (a tier change
# modifies the volumes in place). xfs_growfs is a no-op when there is nothing
# to grow, so running it on a timer is harmless. A local PersistentVolume's
# capacity is only a label: the space pods see is the filesystem's.
set -euo pipefail

# shellcheck source=/dev/null
. /etc/matrix-scale/node.env

entries=()
read -r -a entries <<<"${DATA_DISKS}"
for entry in "${entries[@]}"; do
    mount_point="${entry#*=}"
    if mountpoint -q "${mount_point}"; then
        xfs_growfs "${mount_point}" >/dev/null
    fi
done
