#!/usr/bin/env bash
# Shared helpers for the test-server scripts: Go builds cached outside the repo and free ports.
set -euo pipefail

SERVERS_CACHE="${FALCO_TALON_SERVERS_CACHE:-$HOME/.cache/falco-talon/servers}"

# go_build_cached <module>@<version> <binary-name>: prints the binary path, building it once.
# For the test servers only (MinIO, fake-gcs-server, Helm): the project never builds Falco Talon
# or Falcosidekick, whose binaries come from TALON_BIN and FALCOSIDEKICK_BIN.
go_build_cached() {
  local module_at_version="$1" binary_name="$2"
  local version="${module_at_version##*@}"
  local bin_dir="$SERVERS_CACHE/$binary_name-$version"
  local binary="$bin_dir/$binary_name"
  if [[ ! -x "$binary" ]]; then
    mkdir -p "$bin_dir"
    local started=$SECONDS
    # A lock keeps two concurrent test files from building the same binary twice.
    (
      flock 9
      if [[ ! -x "$binary" ]]; then
        GOBIN="$bin_dir" CGO_ENABLED=0 go install "$module_at_version" >&2
      fi
    ) 9>"$bin_dir.lock" || true
    if [[ ! -x "$binary" ]]; then
      echo "could not build $module_at_version" >&2
      return 1
    fi
    echo "built $module_at_version in $((SECONDS - started))s" >&2
  fi
  echo "$binary"
}

# free_port: prints a TCP port that was free on 127.0.0.1 a moment ago.
free_port() {
  node -e 'const s=require("node:net").createServer();s.listen(0,"127.0.0.1",()=>{console.log(s.address().port);s.close()})'
}

# wait_http <url> <seconds>: waits until the URL answers any HTTP status.
wait_http() {
  local url="$1" deadline=$((SECONDS + $2))
  until curl -s -o /dev/null "$url"; do
    if ((SECONDS >= deadline)); then
      echo "timed out waiting for $url" >&2
      return 1
    fi
    sleep 0.2
  done
}
