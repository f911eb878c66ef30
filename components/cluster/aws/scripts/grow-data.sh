#!/bin/bash
# Grows the data filesystem after its EBS volume was enlarged (a tier change
# modifies the volume in place). xfs_growfs is a no-op when there is nothing
# to grow, so running it on a timer is harmless.
set -euo pipefail

# shellcheck source=/dev/null
. /etc/matrix-scale/node.env

if [ -n "${DATA_DEVICE}" ] && mountpoint -q "${DATA_MOUNT}"; then
    xfs_growfs "${DATA_MOUNT}" >/dev/null
fi
