#!/usr/bin/env bash
# The Portal's server render time in each language: serves the demo brand on a throw-away
# SQLite file, signs in the English demo member and the Arabic one, and times N renders of
# /portal for each (curl's total time on the loopback, after 10 warm-up requests), printing
# median, p95 and the page's size. A benchmark, not a test.
#   scripts/render-time.sh            uses target/release/omniloyal (build it first:
#                                     cargo leptos build --release --split)
#   BIN=target/debug/omniloyal N=200 scripts/render-time.sh
set -euo pipefail
cd "$(dirname "$0")/.."
bin="${BIN:-target/release/omniloyal}"
n="${N:-300}"
port=3201
[ -x "$bin" ] || { echo "no server binary at $bin" >&2; exit 1; }
tmp="$(mktemp -d)"
DATABASE_URL="sqlite://$tmp/render.db?mode=rwc" OMNILOYAL_DEMO=1 LEPTOS_OUTPUT_NAME=omniloyal \
  LEPTOS_SITE_ROOT=target/site LEPTOS_SITE_PKG_DIR=pkg LEPTOS_SITE_ADDR="127.0.0.1:$port" RUST_LOG=warn \
  "$bin" >/dev/null 2>&1 &
server=$!
trap 'kill $server 2>/dev/null || true; rm -rf "$tmp"' EXIT
for _ in $(seq 1 240); do
  curl -fsS "http://127.0.0.1:$port/healthz" >/dev/null 2>&1 && break
  sleep 0.5
done
base="http://127.0.0.1:$port"
echo "Portal server render, $n requests each, $(basename "$bin") build, $(nproc) cores"
printf "%-8s %-34s %10s %10s %10s\n" language account median_ms p95_ms bytes
for who in "en member@demo.omniloyal.test" "ar noura@demo.omniloyal.test"; do
  set -- $who
  jar="$tmp/$1.jar"
  curl -fsS -o /dev/null -c "$jar" -H "Origin: $base" -H "Accept: application/json" \
    --data-urlencode "email=$2" --data-urlencode "password=omniloyal-demo" "$base/api/login"
  for _ in $(seq 1 10); do curl -fsS -o /dev/null -b "$jar" "$base/portal"; done
  times="$(for _ in $(seq 1 "$n"); do curl -fsS -o /dev/null -b "$jar" -w '%{time_total}\n' "$base/portal"; done | sort -n)"
  bytes="$(curl -fsS -b "$jar" "$base/portal" | wc -c)"
  lang="$(curl -fsS -b "$jar" "$base/portal" | grep -o '<html[^>]*>' | head -1)"
  median="$(echo "$times" | awk -v n="$n" 'NR==int((n+1)/2){printf "%.1f", $1*1000}')"
  p95="$(echo "$times" | awk -v n="$n" 'NR==int(n*0.95){printf "%.1f", $1*1000}')"
  printf "%-8s %-34s %10s %10s %10s   %s\n" "$1" "$2" "$median" "$p95" "$bytes" "$lang"
done
