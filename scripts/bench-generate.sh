#!/usr/bin/env bash
# How the demo data generator and Insights scale: `omniloyal demo generate` at each size on a
# fresh SQLite file and a fresh PostgreSQL database, printing members, orders, the time it
# took and the database's size; then `omniloyal demo bench-insights` on that data: the
# server time of each dashboard page over 50 requests with varied filters, and a rebuild of the rollups
# from the ledger. A benchmark, not a test.
#   scripts/bench-generate.sh                      10,000 and 100,000 members, 12 months
#   SIZES="10000 100000 1000000" MONTHS=24 scripts/bench-generate.sh
#   BACKENDS=sqlite scripts/bench-generate.sh
# Uses target/release/omniloyal (cargo leptos build --release --split); PostgreSQL from
# OMNILOYAL_BENCH_POSTGRES_URL (a database the script may drop and create tables in).
set -euo pipefail
cd "$(dirname "$0")/.."
bin="${BIN:-target/release/omniloyal}"
sizes="${SIZES:-10000 100000}"
months="${MONTHS:-12}"
backends="${BACKENDS:-sqlite postgres}"
pg="${OMNILOYAL_BENCH_POSTGRES_URL:-postgres://omniloyal_test:omniloyal_test@127.0.0.1:5432/omniloyal_bench}"
[ -x "$bin" ] || { echo "no server binary at $bin" >&2; exit 1; }
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
echo "demo generate, $months months, $(nproc) cores, $(basename "$bin") build"
printf "%-9s %10s %10s %10s %10s\n" backend members orders seconds size_MB
for backend in $backends; do
  for n in $sizes; do
    if [ "$backend" = sqlite ]; then
      url="sqlite://$tmp/gen-$n.db?mode=rwc"
    else
      psql -q "$pg" -c "SET client_min_messages = warning; DROP SCHEMA public CASCADE; CREATE SCHEMA public;" >/dev/null
      url="$pg"
    fi
    out="$(DATABASE_URL="$url" RUST_LOG=warn "$bin" demo generate --members "$n" --months "$months" --seed 1)"
    line="$(grep '^Generated program' <<<"$out")"
    secs="$(sed -E 's/.* in ([0-9]+) s.*/\1/' <<<"$line")"
    orders="$(sed -E 's/.* ([0-9]+) orders.*/\1/' <<<"$line")"
    if [ "$backend" = sqlite ]; then
      bytes="$(stat -c %s "$tmp/gen-$n.db")"
    else
      bytes="$(psql -qtA "$pg" -c "SELECT pg_database_size(current_database())")"
    fi
    printf "%-9s %10s %10s %10s %10s\n" "$backend" "$n" "$orders" "$secs" "$((bytes / 1000000))"
    grep '^Time spent' <<<"$out" || true
    DATABASE_URL="$url" RUST_LOG=warn "$bin" demo bench-insights --requests "${REQUESTS:-50}"
  done
done
