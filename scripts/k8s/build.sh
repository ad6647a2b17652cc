#!/usr/bin/env bash
# Builds a real Kubernetes control plane for the integration tests from Go
# modules (kube-apiserver, kube-controller-manager, kube-scheduler, etcd, kwok)
# plus the Calico/Cilium CRDs, into a cache outside the repo. Prints the bin dir.
# Idempotent: a warm cache returns immediately.
set -euo pipefail

K8S=${K8S_VERSION:-1.37.2}
ETCD=${ETCD_VERSION:-3.6.16}
KWOK=${KWOK_VERSION:-0.8.0}
CILIUM=${CILIUM_VERSION:-}
CALICO_API=${CALICO_API_VERSION:-}
CACHE_ROOT=${FALCO_TALON_K8S_CACHE:-$HOME/.cache/falco-talon/k8s}
OUT=${K8S_BIN_DIR:-$CACHE_ROOT/k$K8S-e$ETCD-w$KWOK}

log() { echo "[k8s-build] $*" >&2; }

# The marker is written last, so an interrupted build is resumed, not trusted.
if [ -f "$OUT/.complete" ] && [ -f "$OUT/crds/.complete" ]; then
  echo "$OUT"
  exit 0
fi

export GOTOOLCHAIN=local CGO_ENABLED=0
# sum.golang.org is unreachable here; these throwaway modules are only built, never published.
export GOSUMDB=${GOSUMDB_OVERRIDE:-off}
export GOFLAGS="-p=${K8S_BUILD_PARALLEL:-2} -buildvcs=false"
mkdir -p "$OUT/stages" "$OUT/crds"
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
START=$(date +%s)

build_k8s() {
  if [ -x "$OUT/kube-apiserver" ] && [ -x "$OUT/kube-controller-manager" ] && [ -x "$OUT/kube-scheduler" ]; then
    return 0
  fi
  log "building kube-apiserver/kube-controller-manager/kube-scheduler v$K8S"
  mkdir -p "$WORK/k" && cd "$WORK/k"
  go mod init local.test/k8sbins >/dev/null 2>&1
  local modfile
  modfile=$(go mod download -json "k8s.io/kubernetes@v$K8S" | sed -n 's/^[[:space:]]*"GoMod": "\(.*\)",$/\1/p')
  [ -f "$modfile" ] || { log "cannot download k8s.io/kubernetes@v$K8S"; return 1; }
  # Staging modules are required at v0.0.0 and replaced by ./staging; map them to their published v0.X.Y.
  local m
  for m in $(awk '$1 ~ /^k8s\.io\// && $2 == "v0.0.0" {print $1}' "$modfile" | sort -u); do
    go mod edit "-replace=$m=$m@v0.${K8S#1.}"
  done
  local pkgs="k8s.io/kubernetes/cmd/kube-apiserver k8s.io/kubernetes/cmd/kube-controller-manager k8s.io/kubernetes/cmd/kube-scheduler"
  # shellcheck disable=SC2046
  go get $(for p in $pkgs; do echo "$p@v$K8S"; done) >&2
  local minor now ldf v
  minor=$(echo "$K8S" | cut -d. -f2)
  now=$(date -u +%Y-%m-%dT%H:%M:%SZ)
  ldf="-s -w"
  for v in k8s.io/component-base/version k8s.io/client-go/pkg/version; do
    ldf="$ldf -X $v.gitVersion=v$K8S -X $v.gitMajor=1 -X $v.gitMinor=$minor -X $v.gitTreeState=clean -X $v.buildDate=$now"
  done
  local p
  for p in $pkgs; do
    log "go build $p"
    go build -mod=mod -trimpath -ldflags "$ldf" -o "$OUT/" "$p"
  done
}

build_etcd() {
  [ -x "$OUT/etcd" ] && return 0
  log "building etcd v$ETCD"
  mkdir -p "$WORK/e" && cd "$WORK/e"
  go mod init local.test/etcdbin >/dev/null 2>&1
  go get "go.etcd.io/etcd/server/v3@v$ETCD" >&2
  go build -mod=mod -trimpath -ldflags "-s -w" -o "$OUT/etcd" go.etcd.io/etcd/server/v3
}

build_kwok() {
  if [ ! -x "$OUT/kwok" ]; then
    log "installing kwok v$KWOK"
    GOBIN="$OUT" go install -trimpath -ldflags "-s -w" "sigs.k8s.io/kwok/cmd/kwok@v$KWOK"
  fi
  # Default stages come from the module cache; they are never committed.
  local s
  s="$(go env GOMODCACHE)/sigs.k8s.io/kwok@v$KWOK/kustomize/stage"
  cp "$s/node/fast/node-initialize.yaml" "$s/node/heartbeat/node-heartbeat.yaml" \
    "$s/pod/fast/pod-ready.yaml" "$s/pod/fast/pod-complete.yaml" "$s/pod/fast/pod-delete.yaml" "$OUT/stages/"
  chmod u+w "$OUT"/stages/*
}

SCRIPT_DIR=$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")
if [ ! -f "$OUT/.complete" ]; then
  build_etcd
  build_kwok
  build_k8s
  "$OUT/kube-apiserver" --version >&2
  touch "$OUT/.complete"
fi
if [ ! -f "$OUT/crds/.complete" ]; then
  bash "$SCRIPT_DIR/fetch-crds.sh" "$OUT/crds" >&2
  touch "$OUT/crds/.complete"
fi
log "done in $(($(date +%s) - START))s"
echo "$OUT"
