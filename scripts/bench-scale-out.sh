#!/usr/bin/env bash
# Scale-out of a sharded daily run on PostgreSQL (docs/performance.md,
# "Scale-out"): for N in the given worker counts, a fresh copy of a template
# database (the imported portfolio, nothing run), N `relance worker --run-now
# --mailer none` processes, and the seconds until every daily run is done.
# Not run by CI.
#
#   scripts/bench-scale-out.sh TEMPLATE_DB [N...]        (default N: 1 2 4)
set -euo pipefail
template=${1:?the template database (an imported store, nothing run)}
shift
counts=${*:-1 2 4}
relance=${RELANCE:-target/release/relance}
config=${RELANCE_CONFIG:-config}
admin=${PGURL:-postgres://postgres@127.0.0.1:5432}
for n in $counts; do
  db="relance_scale_$n"
  psql "$admin/postgres" -qc "DROP DATABASE IF EXISTS $db" -c "CREATE DATABASE $db TEMPLATE $template"
  url="$admin/$db"
  pids=()
  start=$(date +%s.%N)
  for i in $(seq 1 "$n"); do
    extra=()
    [ "$i" = 1 ] && extra=(--run-now)
    "$relance" --config "$config" --db "$url" worker --mailer none --poll 1s "${extra[@]}" \
      2> "/tmp/scale-$n-$i.log" & pids+=($!)
  done
  while :; do
    sleep 0.2
    state=$(psql "$url" -Atc "SELECT count(*), count(*) FILTER (WHERE state = 'done') FROM api_runs WHERE daily_key IS NOT NULL" 2>/dev/null || echo "0|0")
    total=${state%|*}; done_=${state#*|}
    if [ "$total" -gt 0 ] && [ "$total" = "$done_" ]; then break; fi
  done
  end=$(date +%s.%N)
  actions=$(psql "$url" -Atc "SELECT count(*) FROM actions")
  shards=$(psql "$url" -Atc "SELECT count(*), sum(attempts) FROM run_shards")
  kill -INT "${pids[@]}"; wait
  printf 'workers %d: every daily run done in %.2f s (%s actions; shards, attempts: %s)\n' \
    "$n" "$(echo "$end - $start" | bc)" "$actions" "$shards"
  psql "$admin/postgres" -qc "DROP DATABASE IF EXISTS $db WITH (FORCE)"
done
