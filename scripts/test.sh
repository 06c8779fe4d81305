#!/usr/bin/env bash
# The project's one test command (README; .ci/run calls it): installs what the tests need, then runs
# lint, format check, type check, import contracts and the test suite.
set -euo pipefail
cd "$(dirname "$0")/.."

PY=${PYTHON:-python3}
if [ ! -x .venv/bin/python ]; then
  "$PY" -m venv .venv
fi
. .venv/bin/activate
python -m pip install --quiet --upgrade pip
python -m pip install --quiet -c constraints.txt -e '.[dev]'

# A real Redis for the store tests: use the one on 127.0.0.1:6379, else install and start one.
bash scripts/ensure-redis.sh
# Debian's chromium for the review-page tests (Playwright drives it; no browser build is downloaded).
bash scripts/ensure-chromium.sh

echo "== ruff"; ruff check service tests bench
echo "== ruff format"; ruff format --check service tests bench
echo "== mypy"; mypy
echo "== import contracts"; lint-imports
echo "== pytest"; python -m pytest "$@"
