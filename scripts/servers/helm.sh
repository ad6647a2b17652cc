#!/usr/bin/env bash
# Builds Helm once from its Go module (cached in ~/.cache/falco-talon/servers, outside the repo)
# and prints the binary path; exits 1 when the module proxy does not serve it or the build fails.
#   helm.sh            -> build only, print the binary path
#   helm.sh ARGS...    -> build if needed, then run `helm ARGS...`
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"

HELM_MODULE="${HELM_MODULE:-helm.sh/helm/v3/cmd/helm@v3.22.0}"

binary="$(go_build_cached "$HELM_MODULE" helm)" || exit 1
if (($# == 0)); then
  echo "$binary"
else
  exec "$binary" "$@"
fi
