#!/usr/bin/env bash
# Starts Falcosidekick, the binary FALCOSIDEKICK_BIN names (built by hand outside the project:
# the project never builds it), with its `talon` output pointed at our engine.
#   falcosidekick.sh start TALON_URL    -> start on a free 127.0.0.1 port and print one JSON line:
#                                          {"endpoint","pid","logFile"}. The caller kills pid.
# Exits 1 with the reason on stderr when FALCOSIDEKICK_BIN is unset or not executable.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"

binary="${FALCOSIDEKICK_BIN:-}"
if [[ -z "$binary" ]]; then
  echo "set FALCOSIDEKICK_BIN to a Falcosidekick binary" >&2
  exit 1
fi
if [[ ! -f "$binary" || ! -x "$binary" ]]; then
  echo "FALCOSIDEKICK_BIN '$binary' is not an executable file" >&2
  exit 1
fi
case "${1:-start}" in
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
  echo "usage: $0 start TALON_URL" >&2
  exit 2
  ;;
esac
