#!/usr/bin/env bash
# usage: catchup.sh URL  — runs the release projector until every projection is at the log head; prints seconds.
CU=$1
psql $CU -qtAc "select pg_stat_statements_reset()" >/dev/null
start=$(date +%s.%N)
"$(dirname "$0")/../../.build/release/projector" --database-url "$CU" --port 0 --log-level warning > /tmp/projector-catchup.log 2>&1 &
pid=$!
while true; do
  done=$(psql $CU -qtAc "select count(*) = 3 and bool_and((c.transaction_id, c.global_position) >= (h.transaction_id, h.global_position)) from projection_checkpoints c, (select transaction_id, global_position from events order by transaction_id desc, global_position desc limit 1) h")
  [ "$done" = t ] && break
  sleep 0.2
done
end=$(date +%s.%N)
kill -TERM $pid; wait $pid
echo "elapsed $(echo "$end - $start" | bc)"
psql $CU -qtAc "select round(sum(total_exec_time)::numeric/1000, 2) as server_exec_seconds, sum(calls) as calls from pg_stat_statements where dbid = (select oid from pg_database where datname = current_database())"
