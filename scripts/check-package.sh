#!/usr/bin/env bash
# Builds the wheel, installs it into a fresh venv (no source tree in sight), and ingests and
# answers from it: what `pip install -e` would hide (a data file left out of the package)
# fails here. Needs the llama.cpp wheel that scripts/install.sh builds and caches.
#   bash scripts/check-package.sh
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
PYTHON=${PYTHON:-python3}
LLAMA_VERSION=0.3.36
CACHE=${NUTGRAF_WHEEL_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/nutgraf/wheels}
# The build this machine's venv holds (scripts/install.sh marks it), else any cached one.
VARIANT=$(ls .venv/.llama-* 2>/dev/null | head -1 | sed 's/.*\.llama-//' || true)
WHEELS=$(ls -d "$CACHE"/llama-$LLAMA_VERSION-${VARIANT:-*}/ 2>/dev/null | head -1 || true)
if [ -z "$WHEELS" ]; then
  echo "Error: no cached llama-cpp-python wheel under $CACHE; run bash scripts/install.sh first" >&2
  exit 1
fi

WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
# Built from the tracked files only, so nothing lying in the work tree slips into the wheel.
mkdir "$WORK/src"
git ls-files -z | xargs -0 cp --parents -t "$WORK/src"
"$PYTHON" -m pip --disable-pip-version-check wheel --quiet --no-deps "$WORK/src" -w "$WORK/dist"
"$PYTHON" -m venv "$WORK/venv"
pip() { "$WORK/venv/bin/python" -m pip --disable-pip-version-check "$@"; }
pip install --quiet --find-links "$WHEELS" "$WORK"/dist/nutgraf-*.whl
pip install --quiet --no-deps -r requirements/no-deps.txt

cd "$WORK"  # away from the source tree: only the installed package can be imported
export NUTGRAF_DB="$WORK/news.db"
export NUTGRAF_MODELS_DIR="$WORK/models"
"$WORK/venv/bin/nutgraf" ingest --no-progress "$ROOT/tests/fixtures/riverside-bridge.md" | tee "$WORK/ingested"
ARTICLE=$(cut -f1 "$WORK/ingested")
"$WORK/venv/bin/nutgraf" ask "How much will the footbridge cost?" --article "$ARTICLE" --model none \
  --min-confidence 0 --json > "$WORK/answer.json"
"$WORK/venv/bin/python" - "$WORK/answer.json" <<'EOF'
import json, sys
answer = json.load(open(sys.argv[1]))
assert answer["mode"] == "extractive" and answer["citations"], answer
assert "$4.5 million" in answer["citations"][0]["text"], answer
print(f"installed wheel answers: {answer['answer']!r} citing {answer['citations'][0]['text']!r}")
EOF
