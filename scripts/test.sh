#!/usr/bin/env bash
# Runs the test suites through node:test + tsx with explicit file lists
# (Node 20's `--test <dir>` silently finds no .ts files).
#   scripts/test.sh          every suite (unit, then integration)
#   scripts/test.sh unit     unit tests only (src/**/*.test.ts and the console's ui/**/*.test.ts)
#   scripts/test.sh FILE...  the given files
set -euo pipefail
cd "$(dirname "$0")/.."
mode=${1:-all}
if [ "$#" -gt 0 ] && [ -f "$1" ]; then
  files=("$@")
else
  mapfile -t unit < <(find src ui -name '*.test.ts' | sort)
  mapfile -t integ < <(find test -name '*.test.ts' | sort)
  case "$mode" in
    unit) files=("${unit[@]}") ;;
    integration) files=("${integ[@]}") ;;
    all) files=("${unit[@]}" "${integ[@]}") ;;
    *) echo "unknown mode $mode" >&2; exit 2 ;;
  esac
fi
if [ "${#files[@]}" -eq 0 ]; then echo "no test files found" >&2; exit 1; fi
# Integration tests (anything under test/) get a real Kubernetes API server, built into a
# cache outside the repo and started here; an existing FALCO_TALON_TEST_KUBECONFIG is reused.
needs_cluster=""
for f in "${files[@]}"; do case "$f" in test/* | ./test/*) needs_cluster=1 ;; esac; done
# Debian's nats-server (JetStream) for the distributed-mode tests, and busybox (run as
# `busybox sh`) for the shell-template corpus next to dash and bash; installed once, up front,
# so parallel test files never race on dpkg. Debian's chromium too when a console browser test
# runs (driven by playwright-core, which cannot download a browser of its own here).
pkgs=()
command -v nats-server >/dev/null 2>&1 || pkgs+=(nats-server)
command -v busybox >/dev/null 2>&1 || pkgs+=(busybox)
for f in "${files[@]}"; do
  case "$f" in
    test/console/browser-* | ./test/console/browser-*)
      command -v chromium >/dev/null 2>&1 || pkgs+=(chromium)
      break
      ;;
  esac
done
if [ -n "$needs_cluster" ] && [ "${#pkgs[@]}" -gt 0 ]; then
  if [ "$(id -u)" = 0 ]; then
    (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${pkgs[@]}" >/dev/null) ||
      { echo "could not install ${pkgs[*]}" >&2; exit 1; }
  else
    (sudo apt-get update -qq && sudo DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${pkgs[@]}" >/dev/null) ||
      { echo "could not install ${pkgs[*]}" >&2; exit 1; }
  fi
fi
if [ -n "$needs_cluster" ] && [ -z "${FALCO_TALON_TEST_KUBECONFIG:-}" ]; then
  k8s_bin=$(bash scripts/k8s/build.sh) || { echo "Kubernetes test binaries failed to build" >&2; exit 1; }
  k8s_run=$(mktemp -d "${TMPDIR:-/tmp}/falco-talon-k8s.XXXXXX")
  trap 'bash scripts/k8s/down.sh "$k8s_run"; rm -rf "$k8s_run"' EXIT
  trap 'exit 130' INT TERM
  bash scripts/k8s/up.sh "$k8s_bin" "$k8s_run" >/dev/null || { echo "Kubernetes test cluster failed to start" >&2; exit 1; }
  export FALCO_TALON_TEST_KUBECONFIG="$k8s_run/kubeconfig"
  node --import tsx --test --test-concurrency="${TEST_CONCURRENCY:-2}" "${files[@]}"
  exit $?
fi
exec node --import tsx --test --test-concurrency="${TEST_CONCURRENCY:-2}" "${files[@]}"
