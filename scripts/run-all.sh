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

"$bin/command-service" & pids+=($!)
"$bin/query-service" & pids+=($!)
"$bin/projector" & pids+=($!)

echo "command-service :${CHRONICLE_COMMAND_PORT:-8080}  query-service :8081  projector :8082 — Ctrl-C stops all" >&2
wait -n "${pids[@]}"
status=$?
echo "a process exited (status $status); stopping the others" >&2
stop_all
exit "$status"
