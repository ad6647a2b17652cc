#!/usr/bin/env bash
# Stops what scripts/k8s/up.sh started in RUN_DIR (by pid file): TERM, then KILL after 5s.
RUN=${1:?usage: down.sh RUN_DIR}
pids=()
for name in kwok scheduler kcm apiserver etcd; do
  f="$RUN/$name.pid"
  [ -f "$f" ] || continue
  pids+=("$(cat "$f")")
  kill "$(cat "$f")" 2>/dev/null
  rm -f "$f"
done
for _ in $(seq 50); do
  alive=0
  for p in "${pids[@]}"; do kill -0 "$p" 2>/dev/null && alive=1; done
  [ "$alive" = 0 ] && break
  sleep 0.1
done
for p in "${pids[@]}"; do kill -9 "$p" 2>/dev/null; done
exit 0
