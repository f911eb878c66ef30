#!/usr/bin/env bash
# needs: go (no Debian package): runs beside the apt-get install in .ci/run
# MinIO client (mc) from the Go module proxy: the local boot runs the program's
# own MinIO bootstrap script (bucket, per-consumer users and policies) with it.
# Like the server, mc tags releases outside semver: the pin is the module's
# pseudo-version of its last community commit.
source "$(dirname "$0")/../tools.sh"
go_tool mc "github.com/minio/mc@v0.0.0-20250313080218-cf909e1063a9"
