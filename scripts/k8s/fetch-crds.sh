#!/usr/bin/env bash
# Copies the real Cilium and Calico policy CRDs out of their Go modules (module cache)
# into DEST. Nothing fetched here is ever committed.
#   cilium.io/v2 CiliumNetworkPolicy: as shipped by github.com/cilium/cilium.
#   crd.projectcalico.org/v1 NetworkPolicy: as shipped by github.com/projectcalico/calico.
#   projectcalico.org/v3 NetworkPolicy: normally an aggregated API (calico-apiserver);
#     derived from the v1 CRD above (same spec schema) by renaming group and version.
set -euo pipefail
DEST=$1
CILIUM=${CILIUM_VERSION:-v1.18.6}
# github.com/projectcalico/api is not served by the proxy and the calico monorepo has no
# semver tags for Go, so pin the pseudo-version the proxy lists.
CALICO=${CALICO_VERSION:-v1.11.0-cni-plugin.0.20250813170300-a0db560f0520}
export GOTOOLCHAIN=local GOSUMDB=${GOSUMDB_OVERRIDE:-off} GOFLAGS=-mod=mod
mkdir -p "$DEST"
dir_of() { go mod download -json "$1" | sed -n 's/^[[:space:]]*"Dir": "\(.*\)",$/\1/p'; }
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cd "$work"
cilium_dir=$(dir_of "github.com/cilium/cilium@$CILIUM")
calico_dir=$(dir_of "github.com/projectcalico/calico@$CALICO")
cp "$cilium_dir/pkg/k8s/apis/cilium.io/client/crds/v2/ciliumnetworkpolicies.yaml" "$DEST/cilium.io_ciliumnetworkpolicies.yaml"
v1="$calico_dir/libcalico-go/config/crd/crd.projectcalico.org_networkpolicies.yaml"
cp "$v1" "$DEST/crd.projectcalico.org_networkpolicies.yaml"
sed -e 's/^  name: networkpolicies\.crd\.projectcalico\.org$/  name: networkpolicies.projectcalico.org/' \
  -e 's/^  group: crd\.projectcalico\.org$/  group: projectcalico.org/' \
  -e 's/^  - name: v1$/  - name: v3/' "$v1" >"$DEST/projectcalico.org_networkpolicies.yaml"
grep -q '^  group: projectcalico.org$' "$DEST/projectcalico.org_networkpolicies.yaml"
grep -q '^  - name: v3$' "$DEST/projectcalico.org_networkpolicies.yaml"
chmod u+w "$DEST"/*.yaml
echo "CRDs in $DEST" >&2
