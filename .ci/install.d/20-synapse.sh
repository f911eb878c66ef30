#!/usr/bin/env bash
# Synapse at exactly the version of the default matrix:synapse.image tag (read
# from the program, never written twice here), with the S3 storage provider
# the media workers load.
source "$(dirname "$0")/../tools.sh"
SYNAPSE_VERSION="$(node -e 'process.stdout.write(require("./config/sections/synapse-version.json").synapse)' 2>/dev/null || true)"
S3_PROVIDER_VERSION="$(node -e 'process.stdout.write(require("./config/sections/synapse-version.json").s3StorageProvider)')"
[[ -n "$SYNAPSE_VERSION" ]] || { echo "cannot read the Synapse version from config/sections/synapse-version.json" >&2; exit 1; }
pip_tool synapse "matrix-synapse[postgres,redis]==${SYNAPSE_VERSION}" "synapse-s3-storage-provider==${S3_PROVIDER_VERSION}"
