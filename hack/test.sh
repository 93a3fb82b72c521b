#!/usr/bin/env bash
# `make test`: installs and starts what the tests need, then runs every module's tests
# with the race detector. Nothing has to be installed by hand first.
set -euo pipefail
cd "$(dirname "$0")/.."

hack/ensure-redis.sh
KUBEBUILDER_ASSETS="$(hack/envtest-assets.sh)"
export KUBEBUILDER_ASSETS
export BIN_DIR="${PWD}/bin"
# Tests that need a real part fail instead of skipping when it is missing.
export REQUIRE_REAL_DEPS=1

echo "test: building binaries into ${BIN_DIR}"
make --no-print-directory build

mapfile -t pkgs < <(go list -m -f '{{.Dir}}' | sed "s#^${PWD}#.#; s#\$#/...#")
echo "test: go test -race ${pkgs[*]}"
go test -race -count=1 -timeout "${TEST_TIMEOUT:-40m}" "${pkgs[@]}"
