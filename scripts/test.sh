#!/usr/bin/env bash
# Runs the test suites through node:test + tsx with explicit file lists
# (Node 20's `--test <dir>` silently finds no .ts files).
#   scripts/test.sh          every suite (unit, then integration)
#   scripts/test.sh unit     unit tests only (src/**/*.test.ts)
#   scripts/test.sh FILE...  the given files
set -euo pipefail
cd "$(dirname "$0")/.."
mode=${1:-all}
if [ "$#" -gt 0 ] && [ -f "$1" ]; then
  files=("$@")
else
  mapfile -t unit < <(find src -name '*.test.ts' | sort)
  mapfile -t integ < <(find test -name '*.test.ts' | sort)
  case "$mode" in
    unit) files=("${unit[@]}") ;;
    integration) files=("${integ[@]}") ;;
    all) files=("${unit[@]}" "${integ[@]}") ;;
    *) echo "unknown mode $mode" >&2; exit 2 ;;
  esac
fi
if [ "${#files[@]}" -eq 0 ]; then echo "no test files found" >&2; exit 1; fi
exec node --import tsx --test --test-concurrency="${TEST_CONCURRENCY:-2}" "${files[@]}"
