#!/usr/bin/env bash
# Builds the envtest control plane (kube-apiserver and etcd) from the Go module proxy
# and prints the folder to use as KUBEBUILDER_ASSETS.
#
# No prebuilt binaries can be downloaded on the machines this project is built on, so the
# binaries are compiled from source once and cached outside the work tree; later runs
# (and clean clones on the same machine) reuse them.
set -euo pipefail

KUBE_VERSION="${KUBE_VERSION:-1.37.2}"
ETCD_VERSION="${ETCD_VERSION:-3.6.16}"
STAGING_VERSION="v0.${KUBE_VERSION#1.}"  # k8s.io/kubernetes v1.X.Y <-> staging v0.X.Y
CACHE_ROOT="${ENVTEST_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/football-tracker/envtest}"
DEST="${CACHE_ROOT}/k8s-${KUBE_VERSION}-etcd-${ETCD_VERSION}"

log() { echo "envtest-assets: $*" >&2; }

if [[ -x "${DEST}/kube-apiserver" && -x "${DEST}/etcd" ]]; then
  echo "${DEST}"
  exit 0
fi

mkdir -p "${DEST}"
work="$(mktemp -d)"
trap 'rm -rf "${work}"' EXIT
export GOFLAGS=-mod=mod GOWORK=off CGO_ENABLED=0

if [[ ! -x "${DEST}/etcd" ]]; then
  log "building etcd v${ETCD_VERSION} (about a minute)"
  mkdir -p "${work}/etcd"
  (
    cd "${work}/etcd"
    go mod init envtest/etcd >/dev/null 2>&1
    go get "go.etcd.io/etcd/server/v3@v${ETCD_VERSION}" >/dev/null 2>&1
    go build -trimpath -ldflags "-s -w" -o "${DEST}/etcd.tmp" go.etcd.io/etcd/server/v3
  )
  mv "${DEST}/etcd.tmp" "${DEST}/etcd"
fi

if [[ ! -x "${DEST}/kube-apiserver" ]]; then
  log "building kube-apiserver v${KUBE_VERSION} (about ten minutes on a cold cache)"
  mkdir -p "${work}/apiserver"
  cd "${work}/apiserver"
  go mod init envtest/apiserver >/dev/null 2>&1
  # k8s.io/kubernetes points its staging modules at ./staging with replace directives,
  # which is why it cannot be go-installed; replace each one with its published release.
  go mod download -json "k8s.io/kubernetes@v${KUBE_VERSION}" >"${work}/k8s.json"
  gomod="$(sed -n 's/.*"GoMod": "\(.*\)".*/\1/p' "${work}/k8s.json")"
  {
    echo "require k8s.io/kubernetes v${KUBE_VERSION}"
    echo "replace ("
    awk '/^replace \(/{f=1;next} f&&/^\)/{f=0} f{print $1}' "${gomod}" | while read -r mod; do
      echo "	${mod} => ${mod} ${STAGING_VERSION}"
    done
    echo ")"
  } >>go.mod
  cat > tools.go <<'GO'
//go:build tools

package tools

import _ "k8s.io/kubernetes/cmd/kube-apiserver"
GO
  go mod tidy >/dev/null 2>&1
  pkgs=(k8s.io/component-base/version k8s.io/client-go/pkg/version)
  minor="${KUBE_VERSION#1.}"
  minor="${minor%%.*}"
  ldflags="-s -w"
  for p in "${pkgs[@]}"; do
    ldflags+=" -X ${p}.gitVersion=v${KUBE_VERSION} -X ${p}.gitMajor=1 -X ${p}.gitMinor=${minor}"
  done
  go build -trimpath -ldflags "${ldflags}" -o "${DEST}/kube-apiserver.tmp" k8s.io/kubernetes/cmd/kube-apiserver
  mv "${DEST}/kube-apiserver.tmp" "${DEST}/kube-apiserver"
fi

echo "${DEST}"
