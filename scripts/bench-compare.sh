#!/usr/bin/env bash
# Compares two builds of the load benchmark (src/bin/bench.rs) fairly on one machine: runs
# them in the order A B B A A B (so neither always goes first), each on a freshly created
# PostgreSQL database after a CHECKPOINT, and prints each run's summary lines. Build each
# binary first, e.g. for an older commit:
#   git worktree add /tmp/old <commit> && (cd /tmp/old && CARGO_TARGET_DIR=$PWD/target \
#     cargo build --release --no-default-features --features ssr --bin bench) && cp ... /tmp/bench-old
#   scripts/bench-compare.sh /tmp/bench-old /tmp/bench-new
# Needs a PostgreSQL role that may create databases (PGURL, default the test role).
set -euo pipefail
a="$1"; b="$2"
base="${PGURL:-postgres://omniloyal_test:omniloyal_test@127.0.0.1:5432}"
args=(--backend "${BACKEND:-both}" --clients "${CLIENTS:-16}" --seconds "${SECONDS_PER:-10}")
n=0
for which in A B B A A B; do
  n=$((n + 1))
  bin="$a"; [ "$which" = B ] && bin="$b"
  psql -q "$base/postgres" -c "DROP DATABASE IF EXISTS omniloyal_compare" -c "CREATE DATABASE omniloyal_compare"
  # A checkpoint needs the pg_checkpoint role (or the postgres user); without it, go on.
  psql -q "$base/postgres" -c "CHECKPOINT" 2>/dev/null || runuser -u postgres -- psql -qc "CHECKPOINT" 2>/dev/null || true
  echo "== run $n: $which ($bin)"
  "$bin" "${args[@]}" --postgres-url "$base/omniloyal_compare" 2>&1 | grep -vE '^\s*$' | tail -n "${TAIL:-12}"
done
psql -q "$base/postgres" -c "DROP DATABASE IF EXISTS omniloyal_compare"
