#!/usr/bin/env bash
# Runs a command with DATABASE_URL pointing at a PostgreSQL server:
# the one DATABASE_URL already names, or a private cluster under .data/
# (started here and stopped when the command ends, however it ends).
#
#   with-postgres.sh durable|fast DIR -- command args...
#
# Ctrl-C in a terminal sends SIGINT to the whole foreground process group:
# this script, the command and its children. The server is not among them
# (pg_ctl starts it in a session of its own), so it is stopped here. The
# command stays in the foreground, so bash runs the signal's trap only once
# the command has finished stopping cleanly; the trap then exits, and the
# EXIT trap stops the cluster, as on a normal end. A supervisor's SIGTERM
# belongs to the whole group too (the command must get it to drain).
set -euo pipefail
mode=$1; dir=$2; shift 2
[ "${1:-}" = "--" ] && shift

if [ -n "${DATABASE_URL:-}" ]; then
    exec "$@"
fi

here=$(cd "$(dirname "$0")" && pwd)
stop_cluster() {
    # Ignored, not reset: another Ctrl-C while the server shuts down must not
    # kill pg_ctl halfway (children inherit the ignored signals).
    trap '' INT TERM HUP
    trap - EXIT
    "$here/pg-cluster.sh" stop "$dir" || echo "with-postgres: could not stop the cluster in $dir" >&2
}
trap stop_cluster EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
trap 'exit 129' HUP

DATABASE_URL=$("$here/pg-cluster.sh" start "$dir" "$mode")
export DATABASE_URL
echo "PostgreSQL: $DATABASE_URL (data in $dir)" >&2
status=0
"$@" || status=$?
exit $status
