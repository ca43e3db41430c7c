#!/usr/bin/env bash
# Builds the local images the container tests run, without any image registry (none is reachable
# in CI), when they are missing:
#   local/busybox  busybox-static and its applets, PATH=/bin
#   local/node     the host's node binary + the libraries ldd lists, plus busybox for `sh`
# This is the one place that knows how they are built. It needs a Docker daemon that answers
# (the docker CLI, honouring DOCKER_HOST) and a statically linked /bin/busybox (installed from
# Debian's busybox-static when missing, which needs root). Idempotent, and quick when both
# images exist (nothing is built or run then).
#
# Run by scripts/docker-setup.sh (which first installs and starts Docker) and by the test run's
# global setup (test/helpers/docker-check.ts) when a daemon answers but an image is missing.
set -euo pipefail

log() { echo "== docker-images: $*"; }

if ! docker info >/dev/null 2>&1; then
  echo "docker-images: no Docker daemon answers (${DOCKER_HOST:-unix:///var/run/docker.sock}); start dockerd or run scripts/docker-setup.sh" >&2
  exit 1
fi

have_image() { docker image inspect "$1" >/dev/null 2>&1; }

# Installs a Debian package (as root), for what an image is built from.
apt_install() {
  if [ "$(id -u)" != 0 ]; then
    echo "docker-images: need $2: apt-get install $1 (as root)" >&2
    exit 1
  fi
  log "installing $1"
  apt-get update -qq >&2
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "$1" >&2
}

# Copies binary $2 into root $1 at $3 with its shared libraries and the dynamic loader, at the
# paths the binary looks for them.
add_binary() {
  mkdir -p "$1$(dirname "$3")"
  cp "$2" "$1$3"
  for lib in $(ldd "$2" | grep -o '/[^ ]*'); do
    mkdir -p "$1$(dirname "$lib")"
    cp -L "$lib" "$1$lib"
  done
}

if have_image local/busybox && have_image local/node && have_image local/psql; then
  log "images local/busybox, local/node and local/psql present"
  exit 0
fi

# The statically linked busybox (busybox-static installs it at /bin/busybox; a dynamic one would
# not run in an image without its libraries).
if ! { [ -x /bin/busybox ] && ! ldd /bin/busybox >/dev/null 2>&1; }; then
  apt_install busybox-static 'a static /bin/busybox'
fi

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
  add_binary "$root" "$(readlink -f "$(command -v node)")" /usr/local/bin/node
  tar -C "$root" -c . | docker import -c 'ENV PATH=/usr/local/bin:/bin' -m "OpenClaw test image: node $(node -v)" - local/node >/dev/null
fi

# local/psql: busybox + PostgreSQL's psql client (Debian's postgresql-client), for the etl-orders
# example's load step, which connects to a database on its own.
psql_bin() { ls /usr/lib/postgresql/*/bin/psql 2>/dev/null | sort -V | tail -n 1; }
if have_image local/psql; then
  log "image local/psql present"
else
  [ -n "$(psql_bin)" ] || apt_install postgresql-client psql
  bin="$(psql_bin)"
  log "building local/psql from $bin"
  root="$work/psql"
  busybox_rootfs "$root"
  add_binary "$root" "$bin" /usr/local/bin/psql
  tar -C "$root" -c . | docker import -c 'ENV PATH=/usr/local/bin:/bin' -m "OpenClaw example image: $("$bin" --version)" - local/psql >/dev/null
fi

# What was just built must run.
docker run --rm --network none local/busybox true
docker run --rm --network none local/node node -e 'process.exit(0)'
docker run --rm --network none local/psql psql --version >/dev/null
log "ready: $(docker version --format '{{.Server.Version}}') with local/busybox, local/node and local/psql"
