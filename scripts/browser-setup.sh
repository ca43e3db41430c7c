#!/usr/bin/env bash
# Chromium for the web UI's browser tests (test/ui: playwright-core drives Debian's Chromium; no
# browser is downloaded). Installs the Debian package when it is missing; idempotent; needs root.
# .ci/run calls it and then requires the browser tests (OPENCLAW_REQUIRE_BROWSER=1).
set -euo pipefail

CHROMIUM="${OPENCLAW_CHROMIUM:-/usr/bin/chromium}"
if [ -x "$CHROMIUM" ]; then
  echo "chromium: $CHROMIUM is installed"
  exit 0
fi
if [ "$(id -u)" != 0 ]; then
  echo "chromium is missing: run as root, or: sudo apt-get install -y chromium" >&2
  exit 1
fi
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends chromium fonts-liberation >/dev/null
echo "chromium: installed $CHROMIUM"
