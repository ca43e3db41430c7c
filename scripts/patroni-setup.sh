#!/usr/bin/env bash
# Installs what the chaos suite's Patroni failover scenario (R19, docs/chaos.md) needs, from Debian's
# repositories: Patroni, etcd, HAProxy and PostgreSQL 15's server binaries. Nothing is started or
# enabled by this script (the scenario starts its own cluster in a temp dir). Idempotent: does nothing when all is
# there. Needs root (or sudo) and apt-get.
set -euo pipefail
need=()
command -v patroni >/dev/null || need+=(patroni python3-psycopg2)
command -v etcd >/dev/null || need+=(etcd-server etcd-client)
command -v haproxy >/dev/null || need+=(haproxy)
[ -x /usr/lib/postgresql/15/bin/postgres ] || need+=(postgresql-15)
if [ ${#need[@]} -eq 0 ]; then
  echo "patroni-setup: patroni, etcd, haproxy and PostgreSQL 15 are installed"
  exit 0
fi
SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO="sudo"
echo "patroni-setup: installing ${need[*]}"
# The scenario runs its own etcd, Patroni and HAProxy on free ports in a temp dir; whatever the
# packages start themselves is not used.
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
echo "patroni-setup: done"
