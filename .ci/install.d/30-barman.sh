#!/usr/bin/env bash
# Barman's cloud scripts (barman-cloud-backup, -wal-archive, -restore,
# -wal-restore, -backup-delete): the same tools CloudNativePG's Barman Cloud
# plugin runs, used to prove the generated backup settings against a real
# PostgreSQL and MinIO. The [cloud] extra brings boto3.
source "$(dirname "$0")/../tools.sh"
pip_tool barman "barman[cloud]==3.19.1"
