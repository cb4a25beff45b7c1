#!/usr/bin/env bash
# Installs the system packages Chronicle needs, only when something is missing:
# PostgreSQL 15 (server and client), libpq headers and pkg-config (for the
# CLibPQ system-library target). Safe to run repeatedly.
set -euo pipefail

missing=()
have_pg_bin() {
    [ -x "$(command -v pg_config 2>/dev/null)" ] && [ -x "$(pg_config --bindir)/initdb" ] && return 0
    ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1
}
have_pg_bin || missing+=(postgresql)
[ -f /usr/include/postgresql/libpq-fe.h ] || missing+=(libpq-dev)
command -v pkg-config >/dev/null 2>&1 || missing+=(pkg-config)
command -v psql >/dev/null 2>&1 || missing+=(postgresql-client)
for extra in "$@"; do
    command -v "$extra" >/dev/null 2>&1 || missing+=("$extra")
done

[ ${#missing[@]} -eq 0 ] && exit 0

echo "installing: ${missing[*]}"
sudo=""
[ "$(id -u)" -eq 0 ] || sudo="sudo"
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -qq
$sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
