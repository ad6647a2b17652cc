#!/usr/bin/env bash
# Server smoke test under a given Node binary, run the way the image runs it: src/ compiled by
# tsc (run by that node) into .tmp/smoke-dist, then `node main.js server -c
# examples/config.yaml` (the embedded default, log-only example rules) on a free port.
# Checks: /healthz answers {"status":"ok"}, one Falco event is accepted (200) and matches
# its example rule, and SIGTERM ends the server with exit code 0.
#   scripts/smoke.sh NODE_BIN      e.g. scripts/smoke.sh "$(bash scripts/node/fetch.sh)"
set -euo pipefail
cd "$(dirname "$0")/.."
node_bin="${1:?usage: $0 NODE_BIN}"
[[ -x "$node_bin" ]] || {
  echo "smoke: $node_bin is not an executable file" >&2
  exit 2
}
version="$("$node_bin" --version)"
fail() {
  echo "smoke ($version): $1" >&2
  [[ -n "${log_dir:-}" ]] && tail -n 20 "$log_dir/stdout" "$log_dir/stderr" >&2
  exit 1
}

out=.tmp/smoke-dist
rm -rf "$out"
"$node_bin" node_modules/typescript/bin/tsc -p tsconfig.build.json --outDir "$out" >&2 ||
  fail "tsc failed"

log_dir="$(mktemp -d "${TMPDIR:-/tmp}/falco-talon-smoke.XXXXXX")"
pid=""
trap '[[ -n "$pid" ]] && kill -KILL "$pid" 2>/dev/null; rm -rf "$log_dir" "$out"' EXIT
# Port 0: the kernel picks a free port, which the server logs once it listens.
LISTEN_ADDRESS=127.0.0.1 LISTEN_PORT=0 LOG_FORMAT=json \
  "$node_bin" "$out/src/cli/main.js" server -c examples/config.yaml \
  >"$log_dir/stdout" 2>"$log_dir/stderr" &
pid=$!

port=""
for _ in $(seq 150); do
  kill -0 "$pid" 2>/dev/null || fail "the server exited before listening"
  port="$(grep '"message":"Falco Talon is up and listening"' "$log_dir/stdout" |
    sed -n 's/.*"port":\([0-9][0-9]*\).*/\1/p' | head -n1 || true)"
  [[ -n "$port" ]] && break
  sleep 0.2
done
[[ -n "$port" ]] || fail "not listening after 30 s"
url="http://127.0.0.1:$port"

status="$(curl -sS -o "$log_dir/health-body" -w '%{http_code}' "$url/healthz")" || fail "GET /healthz failed"
health="$(cat "$log_dir/health-body")"
[[ "$status" == 200 && "$health" =~ ^\{\ *\"status\"\ *:\ *\"ok\"\ *\}$ ]] ||
  fail "GET /healthz answered $status: $health"
echo "smoke ($version): GET /healthz -> 200 $health" >&2

event='{"rule":"Terminal shell in container","priority":"Warning","output":"A shell was spawned","output_fields":{"k8s.ns.name":"default","k8s.pod.name":"nginx"}}'
status="$(curl -sS -o "$log_dir/event-body" -w '%{http_code}' -X POST --data "$event" "$url/")" ||
  fail "POST / failed"
[[ "$status" == 200 ]] || fail "POST / answered $status: $(cat "$log_dir/event-body")"
matched=""
for _ in $(seq 50); do
  if grep '"message":"match"' "$log_dir/stdout" | grep -q '"rule":"Terminal shell in container"'; then
    matched=1
    break
  fi
  sleep 0.2
done
[[ -n "$matched" ]] || fail "the event was accepted but never matched its example rule"
echo "smoke ($version): POST / -> 200, matched 'Terminal shell in container'" >&2

kill -TERM "$pid"
code=""
for _ in $(seq 100); do
  if ! kill -0 "$pid" 2>/dev/null; then
    code=0
    wait "$pid" || code=$?
    break
  fi
  sleep 0.2
done
[[ -n "$code" ]] || fail "still running 20 s after SIGTERM"
pid=""
[[ "$code" == 0 ]] || fail "exit code $code after SIGTERM"
echo "smoke ($version): SIGTERM -> exit 0" >&2
echo "smoke test passed on Node $version"
