# Sourced by .ci/install.d/*.sh: where pinned tools live, and how to install
# them once. Everything goes under .tools/ (ignored by git); a tool whose exact
# pinned version is already there is not installed again.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
# MATRIX_TOOLS_DIR lets several checkouts on one machine share one install.
TOOLS="${MATRIX_TOOLS_DIR:-${ROOT}/.tools}"
mkdir -p "${TOOLS}"
cd "${ROOT}"

# pip_tool NAME REQUIREMENT...: a virtual environment .tools/venv/NAME with
# exactly these pinned requirements; skipped when its stamp matches.
# PIP_TOOL_PYTHON picks the interpreter (default: python3 on PATH), e.g. the
# system's when another user (postgres) must run the tool.
pip_tool() {
    local name="$1"; shift
    local venv="${TOOLS}/venv/${name}" stamp want
    want="$(printf '%s\n' "$@")${PIP_TOOL_PYTHON:+ python=${PIP_TOOL_PYTHON}}"
    stamp="${venv}/.pinned"
    if [[ -f "$stamp" && "$(cat "$stamp")" == "$want" ]]; then
        echo "${name}: already installed ($(echo "$want" | tr '\n' ' '))"
        return 0
    fi
    rm -rf "$venv"
    "${PIP_TOOL_PYTHON:-python3}" -m venv "$venv"
    "${venv}/bin/pip" install --quiet --upgrade pip
    "${venv}/bin/pip" install --quiet "$@"
    printf '%s' "$want" > "$stamp"
}

# go_tool NAME MODULE@VERSION [BINARY]: go install into .tools/go/NAME@VERSION/bin;
# skipped when that folder already holds the binary.
go_tool() {
    local name="$1" spec="$2" binary="${3:-$1}"
    local version="${spec##*@}"
    local dir="${TOOLS}/go/${name}@${version}"
    if [[ -x "${dir}/bin/${binary}" ]]; then
        echo "${name}: already installed (${spec})"
        return 0
    fi
    mkdir -p "${dir}/bin"
    GOBIN="${dir}/bin" GOFLAGS="${GOFLAGS:-} -trimpath" go install "$spec"
}
