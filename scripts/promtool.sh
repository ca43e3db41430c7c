#!/usr/bin/env bash
# Makes Prometheus's `promtool` available to the tests (test/deploy/observability.test.ts checks the
# alert rules with `promtool check rules`, test/api/metrics.test.ts lints /metrics with `promtool
# check metrics`). Uses one on PATH; otherwise downloads Debian's `prometheus` package and unpacks
# only its promtool binary into node_modules/.cache/openclaw-promtool (nothing is installed, no
# service is started). Idempotent; prints the path. Without apt (another OS), it says so and exits
# 1: the tests then check the rules as YAML of the expected shape instead.
set -euo pipefail
cd "$(dirname "$0")/.."

if command -v promtool >/dev/null 2>&1; then
  command -v promtool
  exit 0
fi
dest="node_modules/.cache/openclaw-promtool"
bin="$dest/usr/bin/promtool"
if [ -x "$bin" ]; then
  echo "$bin"
  exit 0
fi
if ! command -v apt-get >/dev/null 2>&1; then
  echo "promtool: not on PATH and no apt-get to fetch Debian's prometheus package" >&2
  exit 1
fi
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
# apt-get download needs the package lists; refresh them once when the package is not known yet.
if ! apt-cache show prometheus >/dev/null 2>&1; then apt-get update -qq >/dev/null; fi
(cd "$tmp" && apt-get download -qq prometheus >/dev/null 2>&1) || {
  echo "promtool: could not download Debian's prometheus package" >&2
  exit 1
}
mkdir -p "$dest"
dpkg-deb -x "$tmp"/prometheus_*.deb "$tmp/x"
mkdir -p "$dest/usr/bin"
cp "$tmp/x/usr/bin/promtool" "$bin"
"$bin" --version >/dev/null
echo "$bin"
