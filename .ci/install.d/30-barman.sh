#!/usr/bin/env bash
# Barman's cloud scripts (barman-cloud-backup, -wal-archive, -restore,
# -wal-restore, -backup-delete): the same tools CloudNativePG's Barman Cloud
# plugin runs, used to prove the generated backup settings against a real
# PostgreSQL and MinIO. The [cloud] extra brings boto3.
source "$(dirname "$0")/../tools.sh"
# Debian's python3: PostgreSQL runs archive_command and restore_command as the
# postgres user, who cannot reach an interpreter under /root (pyenv).
PIP_TOOL_PYTHON=/usr/bin/python3 pip_tool barman "barman[cloud]==3.19.1"
