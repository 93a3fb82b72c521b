#!/usr/bin/env bash
# Makes sure the wrk load generator is on PATH, installing Debian's package when it is
# missing. `make bench` calls it; nothing else needs wrk.
set -euo pipefail
if command -v wrk >/dev/null 2>&1; then
  exit 0
fi
echo "ensure-wrk: installing wrk from Debian packages" >&2
SUDO=""
if [[ "$(id -u)" != "0" ]]; then SUDO="sudo"; fi
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq >/dev/null
$SUDO apt-get install -y -qq wrk >/dev/null
command -v wrk >/dev/null
