#!/usr/bin/env bash
# Builds Falco Talon (Go) from its module, once, into ~/.cache/falco-talon/servers, for the
# benchmarks (bench/run.ts runs it next to our server).
#   talon.sh build   -> print the binary path; exit 1 with the reason on stderr when the
#                       module proxy does not serve the module or the build fails
# TALON_MODULE pins another version (default: the latest release).
# The module's own go.mod is used (copied out of the module cache), so its replace
# directives apply; `go install module@version` refuses modules that have any.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/../servers/common.sh"

TALON_MODULE="${TALON_MODULE:-github.com/falcosecurity/falco-talon@latest}"
module="${TALON_MODULE%@*}"
query="${TALON_MODULE##*@}"

case "${1:-build}" in
build) ;;
*)
  echo "usage: $0 build" >&2
  exit 2
  ;;
esac

# Resolve the query (latest, a tag) to a concrete version so each release gets its own cache entry.
if ! resolved="$(go list -m -json "$module@$query" 2>&1)"; then
  echo "cannot resolve $module@$query: $(echo "$resolved" | tr '\n' ' ' | sed "s/  */ /g; s/ *$//")" >&2
  exit 1
fi
version="$(echo "$resolved" | sed -n 's/^[[:space:]]*"Version": "\(.*\)",\{0,1\}$/\1/p' | head -n1)"
[[ -n "$version" ]] || {
  echo "no version in: $resolved" >&2
  exit 1
}
bin_dir="$SERVERS_CACHE/falco-talon-$version"
binary="$bin_dir/falco-talon"
if [[ ! -x "$binary" ]]; then
  mkdir -p "$bin_dir"
  (
    flock 9
    [[ -x "$binary" ]] && exit 0
    started=$SECONDS
    src_dir="$(go mod download -json "$module@$version" | sed -n 's/^[[:space:]]*"Dir": "\(.*\)",\{0,1\}$/\1/p')"
    [[ -d "$src_dir" ]] || {
      echo "cannot download $module@$version" >&2
      exit 1
    }
    work="$(mktemp -d)"
    trap 'chmod -R u+w "$work"; rm -rf "$work"' EXIT
    cp -r "$src_dir/." "$work/"
    chmod -R u+w "$work"
    (cd "$work" && CGO_ENABLED=0 GOFLAGS=-buildvcs=false go build -mod=mod -trimpath -ldflags "-s -w" -o "$binary" .) >&2
    echo "built $module@$version in $((SECONDS - started))s" >&2
  ) 9>"$bin_dir.lock" || true
  [[ -x "$binary" ]] || {
    echo "could not build $module@$version" >&2
    exit 1
  }
fi
echo "$binary"
