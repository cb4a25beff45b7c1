#!/usr/bin/env bash
# A private PostgreSQL cluster for development, tests and benchmarks.
#
#   pg-cluster.sh start DIR [durable|fast]   start (initdb first if needed); prints the URL
#   pg-cluster.sh stop DIR                   fast shutdown, if running
#   pg-cluster.sh crash DIR                  immediate shutdown (as a crash: unlogged tables are emptied at the next start)
#   pg-cluster.sh url DIR                    the URL of a running cluster
#
# PostgreSQL refuses to run as root: as root, the server runs as the
# `postgres` OS user (created if missing). If that user cannot reach DIR (a
# checkout under /root, say), the data lives under /var/tmp and DIR becomes a
# symlink to it.
set -euo pipefail

cmd=${1:?usage: pg-cluster.sh start|stop|crash|url DIR [durable|fast]}
dir=${2:?usage: pg-cluster.sh start|stop|crash|url DIR [durable|fast]}
mode=${3:-durable}

bindir=""
if command -v pg_config >/dev/null 2>&1 && [ -x "$(pg_config --bindir)/initdb" ]; then
    bindir=$(pg_config --bindir)
else
    bindir=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)
fi
[ -x "$bindir/initdb" ] || { echo "pg-cluster: initdb not found; run scripts/install-deps.sh" >&2; exit 1; }

as_owner() {
    if [ "$(id -u)" -eq 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

if [ "$(id -u)" -eq 0 ] && ! id postgres >/dev/null 2>&1; then
    useradd --system --home-dir /var/lib/postgresql --shell /bin/bash postgres
fi

mkdir -p "$(dirname "$dir")"
abs=$(cd "$(dirname "$dir")" && pwd)/$(basename "$dir")

# Resolve where the data really lives.
data=$abs
if [ -L "$abs" ]; then
    data=$(readlink -f "$abs")
elif [ "$cmd" = start ] && [ ! -e "$abs" ] && [ "$(id -u)" -eq 0 ]; then
    mkdir -p "$abs" && chown postgres: "$abs"
    if ! runuser -u postgres -- test -w "$abs"; then
        rmdir "$abs"
        data=/var/tmp/chronicle-$(printf '%s' "$abs" | cksum | cut -d' ' -f1)/$(basename "$abs")
        mkdir -p "$data" && chown postgres: "$(dirname "$data")" "$data"
        ln -s "$data" "$abs"
    fi
fi

port_of() { sed -n 4p "$data/postmaster.pid" 2>/dev/null; }
url_of() { echo "postgresql://postgres@127.0.0.1:$(port_of)/postgres"; }
running() { [ -f "$data/postmaster.pid" ] && as_owner "$bindir/pg_ctl" -D "$data" status >/dev/null 2>&1; }

free_port() {
    local port tries
    for tries in $(seq 1 200); do
        port=$((54320 + RANDOM % 600))
        if ! (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then echo "$port"; return; fi
    done
    echo "pg-cluster: no free port in 54320-54919" >&2; exit 1
}

case "$cmd" in
start)
    if [ ! -f "$data/PG_VERSION" ]; then
        mkdir -p "$data"
        [ "$(id -u)" -eq 0 ] && chown postgres: "$data"
        as_owner "$bindir/initdb" -D "$data" -U postgres --auth=trust --no-sync -E UTF8 --locale=C.UTF-8 >/dev/null
        {
            echo "listen_addresses = '127.0.0.1'"
            echo "shared_buffers = 256MB"
            echo "unix_socket_directories = ''"
            if [ "$mode" = fast ]; then
                echo "fsync = off"; echo "synchronous_commit = off"; echo "full_page_writes = off"
            fi
        } | as_owner tee -a "$data/postgresql.conf" >/dev/null
    fi
    if ! running; then
        # Parallel tests each open a few connections to databases of their own:
        # a test running the three services in-process holds 30-40 (three
        # pools, a lease per projection, watchers, probes), and the suite
        # runs many at once, more with each context's projections.
        connections=${PG_MAX_CONNECTIONS:-300}
        [ "$mode" = fast ] && connections=${PG_MAX_CONNECTIONS:-2500}
        # Reuse the last port when it is free, so a restart keeps the URL;
        # retry elsewhere if another cluster took the port meanwhile.
        port=$(cat "$data/chronicle.port" 2>/dev/null || true)
        for attempt in 1 2 3 4 5; do
            if [ -z "$port" ] || (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then port=$(free_port); fi
            echo "$port" | as_owner tee "$data/chronicle.port" >/dev/null
            if as_owner "$bindir/pg_ctl" -D "$data" -w -t 30 -l "$data/server.log" \
                -o "-p $port -c max_connections=$connections" start >/dev/null; then
                break
            fi
            [ "$attempt" = 5 ] && { echo "pg-cluster: could not start; see $data/server.log" >&2; exit 1; }
            port=""
        done
    fi
    url_of
    ;;
stop)
    if running; then as_owner "$bindir/pg_ctl" -D "$data" -m fast -w stop >/dev/null; fi
    ;;
crash)
    # Stops the server as a crash would (no shutdown checkpoint): the next
    # start recovers from the WAL and empties unlogged tables.
    if running; then as_owner "$bindir/pg_ctl" -D "$data" -m immediate -w stop >/dev/null; fi
    ;;
url)
    running || { echo "pg-cluster: not running: $dir" >&2; exit 1; }
    url_of
    ;;
*)
    echo "pg-cluster: unknown command $cmd" >&2; exit 2
    ;;
esac
