#!/usr/bin/env bash
# Makes Docker usable for the container-task tests on a Debian 12 machine (run as root):
#   1. installs docker.io from Debian's apt repositories (skipped when dockerd and docker exist),
#   2. starts dockerd in the background (skipped when `docker info` already answers),
#   3. builds the local test images local/busybox and local/node without any registry (skipped
#      when they exist): scripts/docker-images.sh, which `npm test` also runs when a daemon answers.
# Idempotent: run it as often as you like. No image registry is needed (none is reachable in CI).
#
# Environment: OPENCLAW_DOCKERD_LOG (default /tmp/openclaw-dockerd.log), DOCKER_HOST (honoured
# by the docker CLI; when it is set, dockerd is not started here — the daemon is assumed remote).
set -euo pipefail

log() { echo "== docker-setup: $*"; }

apt_updated=0
apt_install() {
  if [ "$(id -u)" != 0 ]; then
    echo "docker-setup: need root to apt-get install $*" >&2
    exit 1
  fi
  if [ "$apt_updated" = 0 ]; then
    apt-get update -qq >&2
    apt_updated=1
  fi
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "$@" >&2
}

# ---- 1. docker.io ------------------------------------------------------------------------------
if command -v docker >/dev/null 2>&1 && { [ -n "${DOCKER_HOST:-}" ] || command -v dockerd >/dev/null 2>&1; }; then
  log "docker already installed ($(command -v docker))"
else
  log "installing docker.io"
  apt_install docker.io
fi

# ---- 2. dockerd --------------------------------------------------------------------------------
if docker info >/dev/null 2>&1; then
  log "docker daemon already answers"
elif [ -n "${DOCKER_HOST:-}" ]; then
  echo "docker-setup: DOCKER_HOST=$DOCKER_HOST does not answer (docker info failed); not starting a local dockerd" >&2
  exit 1
else
  logfile="${OPENCLAW_DOCKERD_LOG:-/tmp/openclaw-dockerd.log}"
  log "starting dockerd in the background (log: $logfile)"
  nohup dockerd >"$logfile" 2>&1 </dev/null &
  for _ in $(seq 1 60); do
    docker info >/dev/null 2>&1 && break
    sleep 1
  done
  if ! docker info >/dev/null 2>&1; then
    echo "docker-setup: dockerd did not answer within 60 s; last lines of $logfile:" >&2
    tail -n 30 "$logfile" >&2 || true
    exit 1
  fi
fi

# ---- 3. local test images ----------------------------------------------------------------------
# Built by scripts/docker-images.sh (also run by the tests' global setup when an image is missing).
bash "$(dirname "$0")/docker-images.sh"
