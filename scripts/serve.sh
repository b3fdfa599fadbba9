#!/usr/bin/env bash
# Sets up what is missing, builds, and serves Omniloyal at http://127.0.0.1:3000 on an
# embedded SQLite file (data/omniloyal.db, created and migrated on first start) with the
# demo brand loaded. Set DATABASE_URL=postgres://... to use PostgreSQL instead.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
source scripts/env.sh
export OMNILOYAL_DEMO="${OMNILOYAL_DEMO:-1}"
printf '\n\033[1m==> Building and serving at http://127.0.0.1:3000 (Ctrl-C stops)\033[0m\n'
# --split: pages are lazy routes, each its own WASM chunk (see README, "Page weight").
exec cargo leptos serve --split
