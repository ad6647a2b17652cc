#!/usr/bin/env bash
# Builds (once, cached in ~/.cache/falco-talon/servers) and starts a real MinIO server.
#   minio.sh build   -> build only, print the binary path
#   minio.sh start   -> start on a free 127.0.0.1 port with a temp data dir and print one JSON
#                       line: {"endpoint","accessKey","secretKey","pid","dataDir"}.
#                       The caller stops it by killing the pid and removes dataDir.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"

MINIO_MODULE="${MINIO_MODULE:-github.com/minio/minio@v0.0.0-20260212201848-7aac2a2c5b7c}"

binary="$(go_build_cached "$MINIO_MODULE" minio)"
case "${1:-start}" in
build)
  echo "$binary"
  ;;
start)
  port="$(free_port)"
  console_port="$(free_port)"
  data_dir="$(mktemp -d -t falco-talon-minio.XXXXXX)"
  access_key="talon-test-access"
  secret_key="talon-test-secret-key"
  MINIO_ROOT_USER="$access_key" MINIO_ROOT_PASSWORD="$secret_key" MINIO_BROWSER=off \
    MINIO_UPDATE=off MINIO_CI_CD=1 \
    nohup "$binary" server --quiet --address "127.0.0.1:$port" \
    --console-address "127.0.0.1:$console_port" "$data_dir/data" >"$data_dir/minio.log" 2>&1 &
  pid=$!
  if ! wait_http "http://127.0.0.1:$port/minio/health/live" 60; then
    cat "$data_dir/minio.log" >&2
    kill "$pid" 2>/dev/null || true
    exit 1
  fi
  printf '{"endpoint":"http://127.0.0.1:%s","accessKey":"%s","secretKey":"%s","pid":%s,"dataDir":"%s"}\n' \
    "$port" "$access_key" "$secret_key" "$pid" "$data_dir"
  ;;
*)
  echo "usage: $0 build|start" >&2
  exit 2
  ;;
esac
