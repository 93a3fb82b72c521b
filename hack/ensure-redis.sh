#!/usr/bin/env bash
# Makes sure redis-server and redis-cli are on PATH, installing Debian's package when
# they are missing. The tests start their own servers on free loopback ports.
set -euo pipefail
if command -v redis-server >/dev/null 2>&1 && command -v redis-cli >/dev/null 2>&1; then
  exit 0
fi
echo "ensure-redis: installing redis-server from Debian packages" >&2
SUDO=""
if [[ "$(id -u)" != "0" ]]; then SUDO="sudo"; fi
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq >/dev/null
$SUDO apt-get install -y -qq redis-server >/dev/null
# The package starts a system service on 6379; the tests never use it.
command -v redis-server >/dev/null
