#!/usr/bin/env bash
# Migrates, then runs command-service, query-service and projector until one
# of them exits or Ctrl-C; then sends SIGTERM to all and waits, so each
# drains and exits cleanly. Expects DATABASE_URL (see with-postgres.sh).
set -uo pipefail
bin=${BIN_DIR:?BIN_DIR is the directory of the built executables}

"$bin/chronicle-admin" migrate || exit 1

pids=()
stop_all() {
    trap - INT TERM
    echo "stopping: sending SIGTERM to ${pids[*]}" >&2
    kill -TERM "${pids[@]}" 2>/dev/null
    wait "${pids[@]}" 2>/dev/null
}
trap 'stop_all; exit 0' INT TERM

# Ports: CHRONICLE_COMMAND_PORT, CHRONICLE_QUERY_PORT, CHRONICLE_PROJECTOR_PORT
# (0 picks a free one), else each service's default.
command_port=${CHRONICLE_COMMAND_PORT:-8080}
query_port=${CHRONICLE_QUERY_PORT:-8081}
projector_port=${CHRONICLE_PROJECTOR_PORT:-8082}
"$bin/command-service" --port "$command_port" & pids+=($!)
"$bin/query-service" --port "$query_port" & pids+=($!)
"$bin/projector" --port "$projector_port" & pids+=($!)

echo "command-service :$command_port  query-service :$query_port  projector :$projector_port — Ctrl-C stops all" >&2
wait -n "${pids[@]}"
status=$?
echo "a process exited (status $status); stopping the others" >&2
stop_all
exit "$status"
