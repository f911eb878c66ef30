#!/usr/bin/env bash
# needs: go (no Debian package): runs beside the apt-get install in .ci/run
# LiveKit server (the SFU of the calls component) at the version of the default
# matrix:calls LiveKit image tag (config/sections/calls-versions.json).
# v1.13.6 and later replace three pion modules with LiveKit forks in go.mod,
# which `go install module@version` refuses (and the forks are not on the
# module proxy); v1.13.5 is the newest release that installs as a module.
source "$(dirname "$0")/../tools.sh"
LIVEKIT_VERSION="$(node -e 'process.stdout.write(require("./config/sections/calls-versions.json").livekit)')"
go_tool livekit "github.com/livekit/livekit-server/cmd/server@v${LIVEKIT_VERSION}" server
