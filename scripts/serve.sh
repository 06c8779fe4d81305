#!/usr/bin/env bash
# Set up and run: install into .venv, pull the lists once (official URLs, or SANCTIONS_MIRROR), then serve.
# The server keeps serving the last good lists and re-syncs every SANCTIONS_SYNC_INTERVAL_S in the background.
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PYTHON:-python3}
if [ ! -x .venv/bin/python ]; then
  "$PY" -m venv .venv
fi
. .venv/bin/activate
python -m pip install --quiet --upgrade pip
python -m pip install --quiet -c constraints.txt -e .
# A failed list keeps its last good snapshot; the server starts either way and retries in the background.
sanctions sync || echo "some lists failed to sync (see above); serving what is available" >&2
exec sanctions serve --host "${HOST:-127.0.0.1}" --port "${PORT:-8000}" "$@"
