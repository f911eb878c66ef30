#!/usr/bin/env bash
# needs: go (no Debian package): runs beside the apt-get install in .ci/run
# lk-jwt-service (Element Call's LiveKit authorisation service) at the version
# of the default matrix:calls image tag. Its go.mod names the module
# `lk-jwt-service`, not github.com/element-hq/lk-jwt-service, so the module
# proxy refuses it ("not available") and `go install` cannot fetch it: the
# tagged source comes from git instead (LK_JWT_SERVICE_GIT overrides the
# repository, e.g. a local mirror), checked against the tag's pinned commit,
# and is built with its dependencies from the module proxy.
source "$(dirname "$0")/../tools.sh"
VERSION="$(node -e 'process.stdout.write(require("./config/sections/calls-versions.json").lkJwtService)')"
COMMIT="$(node -e 'process.stdout.write(require("./config/sections/calls-versions.json").lkJwtServiceCommit)')"
REPO="${LK_JWT_SERVICE_GIT:-https://github.com/element-hq/lk-jwt-service}"
name=lk-jwt-service version="v${VERSION}"
dir="${TOOLS}/go/${name}@${version}"
if [[ -x "${dir}/bin/lk-jwt-service" ]]; then
    echo "${name}: already installed (${version})"
    exit 0
fi
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
# Bounded: where GitHub is unreachable a connect can hang for minutes.
export GIT_TERMINAL_PROMPT=0
if ! { timeout 60 git clone --quiet --depth 1 --branch "${version}" "${REPO}" "${work}/src" 2>/dev/null \
    || timeout 120 git clone --quiet --branch "${version}" "${REPO}" "${work}/src" 2>/dev/null; }; then
    # CI reaches only package registries, and the module proxy cannot serve this
    # module (see above): the token-exchange proof then says so and does not run.
    echo "${name}: cannot fetch ${REPO} (only package registries are reachable); not installed" >&2
    exit 0
fi
got="$(git -C "${work}/src" rev-parse HEAD)"
[[ "$got" == "$COMMIT" ]] || { echo "${name} ${version} is commit ${got}, pinned ${COMMIT}" >&2; exit 1; }
mkdir -p "${dir}/bin"
(cd "${work}/src" && GOFLAGS="${GOFLAGS:-} -trimpath -mod=readonly" go build -o "${dir}/bin/lk-jwt-service" .)
