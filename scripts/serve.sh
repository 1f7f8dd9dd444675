#!/usr/bin/env bash
# Sets up, builds and starts Coffer on its embedded default: four drive folders
# and the IAM store under ./coffer-data, desired state from fixtures/quickstart,
# listening on 127.0.0.1:9000. Root credentials come from COFFER_ROOT_USER /
# COFFER_ROOT_PASSWORD, or are generated once, stored and printed. Idempotent:
# a second run builds incrementally. Extra arguments go to `coffer serve`.
set -euo pipefail
cd "$(dirname "$0")/.."
# ccache hits across clones in different folders (CI builds a fresh clone).
export CCACHE_BASEDIR="$PWD" CCACHE_NOHASHDIR=1
scripts/install-deps.sh build
cmake --preset appliance >/dev/null
cmake --build --preset appliance
exec build/appliance/appliance/coffer serve "$@"
