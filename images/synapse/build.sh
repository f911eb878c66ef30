#!/usr/bin/env bash
# Builds (and with --push, pushes) the project's Synapse image under the
# reference the program uses by default: <repository>:v<synapse>-mx<revision>.
# Usage: images/synapse/build.sh [--push] [--repository REGISTRY/NAME]
# A different repository must then be set as matrix:synapse.image.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
versions="${ROOT}/config/sections/synapse-version.json"
field() { node -e 'const v=require(process.argv[1]); process.stdout.write(String(process.argv[2].split(".").reduce((o,k)=>o[k], v)))' "$versions" "$1"; }
repository="$(field image.repository)"
push=false
while [[ $# -gt 0 ]]; do
    case "$1" in
        --push) push=true; shift ;;
        --repository) repository="$2"; shift 2 ;;
        *) echo "unknown argument: $1" >&2; exit 2 ;;
    esac
done
synapse="$(field synapse)"
tag="${repository}:v${synapse}-mx$(field image.revision)"
docker build -f "${ROOT}/images/synapse/Dockerfile" \
    --build-arg "SYNAPSE_VERSION=${synapse}" \
    --build-arg "S3_PROVIDER_VERSION=$(field s3StorageProvider)" \
    -t "$tag" "$ROOT"
if [[ "$push" == true ]]; then docker push "$tag"; fi
echo "$tag"
