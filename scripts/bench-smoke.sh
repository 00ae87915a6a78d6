#!/usr/bin/env bash
# Runs every benchmark at its --smoke size, as `python -m benchmarks.NAME --smoke` from the
# repository root, so that none breaks unnoticed; stops at the first that fails and prints
# the time each took. One whose data or extras are absent says so ("skipped: ...") and passes.
#   bash scripts/bench-smoke.sh                  # every benchmarks/*.py
#   bash scripts/bench-smoke.sh retrieval load   # these
set -euo pipefail
cd "$(dirname "$0")/.."
PYTHON=${PYTHON:-.venv/bin/python}
# A smoke run measures nothing worth keeping, so llama.cpp gets one thread: its threads spin
# while they wait for each other and crawl when another process holds a core.
export NUTGRAF_LLM_THREADS=${NUTGRAF_LLM_THREADS:-1}

if [ $# -gt 0 ]; then
  names=("$@")
else
  names=()
  for path in benchmarks/*.py; do
    name=$(basename "$path" .py)
    case $name in __init__|harness) ;; *) names+=("$name") ;; esac
  done
fi

log=$(mktemp)
trap 'rm -f "$log"' EXIT
passed=0 skipped=0 summary=()
started=$SECONDS
for name in "${names[@]}"; do
  echo "== benchmarks.$name --smoke"
  began=$SECONDS
  if ! "$PYTHON" -m "benchmarks.$name" --smoke 2>&1 | tee "$log"; then
    echo "benchmarks.$name failed after $((SECONDS - began)) s" >&2
    echo "benchmarks: $passed passed, 1 failed"
    exit 1
  fi
  if grep -q "^skipped: " "$log"; then
    skipped=$((skipped + 1)) outcome="skipped"
  else
    passed=$((passed + 1)) outcome="ran"
  fi
  summary+=("$(printf '%-20s %4d s  %s' "$name" $((SECONDS - began)) "$outcome")")
done
echo
printf '%s\n' "${summary[@]}"
echo "all ${#names[@]} at smoke size in $((SECONDS - started)) s"
echo "benchmarks: $passed passed, 0 failed, $skipped skipped"
