#!/usr/bin/env bash
# Make sure Debian's chromium is installed for the review-page browser tests (tests/api/test_ui_browser.py).
# Playwright drives this binary (SANCTIONS_CHROMIUM, default /usr/bin/chromium): no test downloads a browser
# build, and `playwright install` is never run.
set -euo pipefail
browser=${SANCTIONS_CHROMIUM:-/usr/bin/chromium}
if [ -x "$browser" ]; then exit 0; fi
echo "chromium not found at $browser: installing it from the distribution's packages" >&2
if [ "$(id -u)" = 0 ]; then SUDO=""; else SUDO="sudo"; fi
$SUDO apt-get update -qq
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq chromium fonts-dejavu-core >/dev/null
"$browser" --version >/dev/null 2>&1 || { echo "chromium installed but $browser does not run" >&2; exit 1; }
