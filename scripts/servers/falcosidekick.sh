#!/usr/bin/env bash
# Builds (once, cached in ~/.cache/falco-talon/servers) and starts Falcosidekick with its
# `talon` output pointed at our engine.
#   falcosidekick.sh build              -> build only, print the binary path (exit 1 if the
#                                          module proxy does not serve it)
#   falcosidekick.sh start TALON_URL    -> start on a free 127.0.0.1 port and print one JSON line:
#                                          {"endpoint","pid","logFile"}. The caller kills pid.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"

# Falcosidekick's go.mod has no /v2 suffix, so its v2.x tags are not valid module versions:
# @latest resolves to the newest commit's pseudo-version (set FALCOSIDEKICK_MODULE to pin one).
FALCOSIDEKICK_MODULE="${FALCOSIDEKICK_MODULE:-github.com/falcosecurity/falcosidekick@latest}"

binary="$(go_build_cached "$FALCOSIDEKICK_MODULE" falcosidekick)" || exit 1
case "${1:-start}" in
build)
  echo "$binary"
  ;;
start)
  talon_url="${2:?usage: $0 start TALON_URL}"
  port="$(free_port)"
  log_file="$(mktemp -t falco-talon-falcosidekick.XXXXXX.log)"
  LISTENADDRESS=127.0.0.1 LISTENPORT="$port" TALON_ADDRESS="$talon_url" TALON_CHECKCERT=false \
    CUSTOMFIELDS="${FALCOSIDEKICK_CUSTOMFIELDS:-}" \
    nohup "$binary" >"$log_file" 2>&1 &
  pid=$!
  if ! wait_http "http://127.0.0.1:$port/ping" 60; then
    cat "$log_file" >&2
    kill "$pid" 2>/dev/null || true
    exit 1
  fi
  printf '{"endpoint":"http://127.0.0.1:%s","pid":%s,"logFile":"%s"}\n' "$port" "$pid" "$log_file"
  ;;
*)
  echo "usage: $0 build|start TALON_URL" >&2
  exit 2
  ;;
esac
