#!/usr/bin/env bash
# Builds (once, cached in ~/.cache/falco-talon/servers) and starts fake-gcs-server.
#   fake-gcs.sh build  -> build only, print the binary path
#   fake-gcs.sh start  -> start on a free 127.0.0.1 port (in-memory backend) and print one JSON
#                         line: {"endpoint","pid","logFile"}. The caller kills pid when done.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"

FAKE_GCS_MODULE="${FAKE_GCS_MODULE:-github.com/fsouza/fake-gcs-server@v1.56.1}"

binary="$(go_build_cached "$FAKE_GCS_MODULE" fake-gcs-server)"
case "${1:-start}" in
build)
  echo "$binary"
  ;;
start)
  port="$(free_port)"
  log_file="$(mktemp -t falco-talon-fake-gcs.XXXXXX.log)"
  nohup "$binary" -scheme http -host 127.0.0.1 -port "$port" -backend memory \
    -public-host "127.0.0.1:$port" -external-url "http://127.0.0.1:$port" >"$log_file" 2>&1 &
  pid=$!
  if ! wait_http "http://127.0.0.1:$port/storage/v1/b" 60; then
    cat "$log_file" >&2
    kill "$pid" 2>/dev/null || true
    exit 1
  fi
  printf '{"endpoint":"http://127.0.0.1:%s","pid":%s,"logFile":"%s"}\n' "$port" "$pid" "$log_file"
  ;;
*)
  echo "usage: $0 build|start" >&2
  exit 2
  ;;
esac
