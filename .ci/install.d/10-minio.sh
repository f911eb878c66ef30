#!/usr/bin/env bash
# needs: go (no Debian package): runs beside the apt-get install in .ci/run
# MinIO server from the Go module proxy. MinIO tags releases outside semver, so
# the pin is the module's pseudo-version of the last community release commit.
source "$(dirname "$0")/../tools.sh"
go_tool minio "github.com/minio/minio@v0.0.0-20260212201848-7aac2a2c5b7c"
