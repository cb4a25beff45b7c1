#!/usr/bin/env bash
# Runs a command with DATABASE_URL pointing at a PostgreSQL server:
# the one DATABASE_URL already names, or a private cluster under .data/
# (started here and stopped when the command ends).
#
#   with-postgres.sh durable|fast DIR -- command args...
set -euo pipefail
mode=$1; dir=$2; shift 2
[ "${1:-}" = "--" ] && shift

if [ -n "${DATABASE_URL:-}" ]; then
    exec "$@"
fi

here=$(cd "$(dirname "$0")" && pwd)
DATABASE_URL=$("$here/pg-cluster.sh" start "$dir" "$mode")
export DATABASE_URL
echo "PostgreSQL: $DATABASE_URL (data in $dir)" >&2
status=0
"$@" || status=$?
"$here/pg-cluster.sh" stop "$dir"
exit $status
