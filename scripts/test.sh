#!/usr/bin/env bash
# Sets up what is missing, then runs every test: unit, integration on SQLite and PostgreSQL,
# and the Playwright journeys in Chromium. Exits non-zero on any failure.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT="$PWD"
step() { printf '\n\033[1m==> %s\033[0m\n' "$*"; }
started=$SECONDS

bash scripts/setup.sh
# Builds and the test databases need room; a full disk fails in the linker with odd errors.
df -h "$ROOT" | awk 'NR==2 {print "    disk: " $4 " free of " $2 " at " $6}'
source scripts/env.sh
# cargo-leptos compiles debug builds with LEPTOS_OUTPUT_NAME set and RUSTFLAGS="--cfg
# erase_components". `cargo test` gets the same, so it reuses that build and the server binary
# it rebuilds for integration tests renders the same markup as the WASM (one built without
# erase_components fails to hydrate against it). RUSTFLAGS is not exported: cargo-leptos would
# append its flag to it a second time and rebuild everything.
export LEPTOS_OUTPUT_NAME=omniloyal
LEPTOS_RUSTFLAGS="--cfg erase_components"
LOGS="$(mktemp -d)"

step "PostgreSQL 15: start it and make a throw-away database for this run"
PG_ADMIN=(runuser -u postgres --)
[ "$(id -u)" = 0 ] || PG_ADMIN=(sudo -u postgres)
pg_ok=0
if command -v pg_ctlcluster >/dev/null; then
  if ! "${PG_ADMIN[@]}" pg_ctlcluster 15 main status >/dev/null 2>&1; then
    "${PG_ADMIN[@]}" pg_ctlcluster 15 main start || true
  fi
  for _ in $(seq 1 20); do
    if "${PG_ADMIN[@]}" psql -qtAc 'SELECT 1' >/dev/null 2>&1; then pg_ok=1; break; fi
    sleep 0.5
  done
fi
if [ "$pg_ok" = 1 ]; then
  RUN_DB="omniloyal_run_$(date +%s)_$$"
  "${PG_ADMIN[@]}" psql -qtAc "DO \$\$ BEGIN IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'omniloyal_test') THEN CREATE ROLE omniloyal_test LOGIN CREATEDB PASSWORD 'omniloyal_test'; END IF; END \$\$;" >/dev/null
  "${PG_ADMIN[@]}" psql -qtAc "CREATE DATABASE $RUN_DB OWNER omniloyal_test" >/dev/null
  export OMNILOYAL_TEST_POSTGRES_URL="postgres://omniloyal_test:omniloyal_test@127.0.0.1:5432/$RUN_DB"
  cleanup_pg() { "${PG_ADMIN[@]}" psql -qtAc "DROP DATABASE IF EXISTS $RUN_DB WITH (FORCE)" >/dev/null || true; }
  trap cleanup_pg EXIT
  # Databases left by runs that were killed before their cleanup (their shell is gone).
  for db in $("${PG_ADMIN[@]}" psql -qtAc "SELECT datname FROM pg_database WHERE datname LIKE 'omniloyal\_run\_%' AND datname <> '$RUN_DB'"); do
    if ! kill -0 "${db##*_}" 2>/dev/null; then
      "${PG_ADMIN[@]}" psql -qtAc "DROP DATABASE IF EXISTS $db WITH (FORCE)" >/dev/null || true
    fi
  done
  echo "    ok: database $RUN_DB (each test gets a schema of its own in it; dropped at the end)"
elif [ -n "${CI:-}" ]; then
  echo "PostgreSQL could not be started or reached, and CI is set: failing instead of skipping." >&2
  exit 1
else
  echo "    WARNING: PostgreSQL unavailable; its half of the integration tests will be skipped."
fi

# The API fuzz test (tests/integration/api_fuzz.rs) runs schemathesis against the channel
# API on both backends; set, the path must exist (a missing fuzzer fails the run).
export OMNILOYAL_SCHEMATHESIS="$ROOT/target/tools/schemathesis/bin/schemathesis"
export OMNILOYAL_CDNOW="$ROOT/target/tools/cdnow/CDNOW_sample.txt"  # tests/integration/clv.rs; set, it must exist

step "Unit and integration tests (cargo test, SQLite and PostgreSQL; the API fuzzed on both)"
# A failing suite does not stop the run: every suite reports, then the exit code says.
rc=0
RUSTFLAGS="$LEPTOS_RUSTFLAGS" cargo test --no-fail-fast --features ssr --lib --test integration 2>&1 \
  | tee "$LOGS/cargo.log" || rc=1

step "Build the app with cargo-leptos (server + WASM split per page, debug profile)"
# --split always: pages are lazy routes, and a WASM built without splitting imports their
# chunks from a placeholder module that does not exist (nothing would hydrate).
cargo leptos build --split 2>&1 | tail -n 5 || { echo "cargo leptos build failed" >&2; exit 1; }

step "Playwright journeys in Chromium (hydrated and JavaScript-disabled)"
(cd end2end && npx playwright test 2>&1) | tee "$LOGS/playwright.log" || rc=1

passed=$(grep -hoE '[0-9]+ passed' "$LOGS/cargo.log" "$LOGS/playwright.log" | awk '{s+=$1} END {print s+0}')
failed=$(grep -hoE '[0-9]+ failed' "$LOGS/cargo.log" "$LOGS/playwright.log" | awk '{s+=$1} END {print s+0}')
echo
echo "Finished in $((SECONDS - started)) s"
echo "all: $passed passed, $failed failed"
[ "$failed" = 0 ] && [ "$rc" = 0 ]
