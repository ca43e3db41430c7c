#!/usr/bin/env bash
# Makes Docker usable for the container-task tests on a Debian 12 machine (run as root):
#   1. installs docker.io from Debian's apt repositories (skipped when dockerd and docker exist),
#   2. starts dockerd in the background (skipped when `docker info` already answers),
#   3. builds the local test images without any registry (skipped when they exist):
#      local/busybox  busybox-static and its applets, PATH=/bin
#      local/node     the host's node binary + the libraries ldd lists, plus busybox for `sh`
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
have_image() { docker image inspect "$1" >/dev/null 2>&1; }

# The statically linked busybox (busybox-static installs it at /bin/busybox; a dynamic one would
# not run in an image without its libraries).
ensure_static_busybox() {
  if [ -x /bin/busybox ] && ! ldd /bin/busybox >/dev/null 2>&1; then return; fi
  log "installing busybox-static"
  apt_install busybox-static
}

# A root filesystem with busybox in /bin: every applet as a link (not the `busybox` applet itself:
# it would make a link loop), /tmp (the tasks mount a tmpfs there), and a passwd naming nobody.
busybox_rootfs() {
  local dir="$1" bb=/bin/busybox
  mkdir -p "$dir/bin" "$dir/etc" "$dir/tmp"
  chmod 1777 "$dir/tmp"
  cp "$bb" "$dir/bin/busybox"
  for applet in $("$bb" --list); do
    [ "$applet" = busybox ] && continue
    [ -e "$dir/bin/$applet" ] || ln -s busybox "$dir/bin/$applet"
  done
  printf 'root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/nonexistent:/bin/false\n' >"$dir/etc/passwd"
  printf 'root:x:0:\nnogroup:x:65534:\n' >"$dir/etc/group"
}

have_image local/busybox && have_image local/node || ensure_static_busybox
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

if have_image local/busybox; then
  log "image local/busybox present"
else
  log "building local/busybox"
  busybox_rootfs "$work/busybox"
  tar -C "$work/busybox" -c . | docker import -c 'ENV PATH=/bin' -m 'OpenClaw test image: busybox-static' - local/busybox >/dev/null
fi

if have_image local/node; then
  log "image local/node present"
else
  log "building local/node from $(command -v node) ($(node -v))"
  root="$work/node"
  busybox_rootfs "$root"
  node_bin="$(readlink -f "$(command -v node)")"
  mkdir -p "$root/usr/local/bin"
  cp "$node_bin" "$root/usr/local/bin/node"
  # The shared libraries and the dynamic loader, at the paths the binary looks for them.
  for lib in $(ldd "$node_bin" | grep -o '/[^ ]*'); do
    mkdir -p "$root$(dirname "$lib")"
    cp -L "$lib" "$root$lib"
  done
  tar -C "$root" -c . | docker import -c 'ENV PATH=/usr/local/bin:/bin' -m "OpenClaw test image: node $(node -v)" - local/node >/dev/null
fi

docker run --rm --network none local/busybox true
docker run --rm --network none local/node node -e 'process.exit(0)'
log "ready: $(docker version --format '{{.Server.Version}}') with local/busybox and local/node"
