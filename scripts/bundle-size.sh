#!/usr/bin/env bash
# Measures what each surface's first load downloads of the browser bundle, in a release build
# split per page (`cargo leptos build --release --split`): it builds, serves the demo brand on
# a throw-away SQLite file at 127.0.0.1:3200, signs in as each role in Chromium and prints a
# table (raw and gzipped). A benchmark, not a test: the test suite stays on debug builds.
#   scripts/bundle-size.sh            build, then measure
#   SKIP_BUILD=1 scripts/bundle-size.sh   measure the build already in target/
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/env.sh
# cargo-leptos runs wasm-opt on release builds, from PATH. Debian's binaryen (108) breaks the
# split chunks (their functions fail to load into the table), so binaryen 123, the version
# cargo-leptos 0.3.10 names, comes from the npm registry (binaryen.js: the same tools, as
# JavaScript) into target/tools.
if [ ! -x target/tools/node_modules/.bin/wasm-opt ]; then
  npm install --silent --no-save --prefix target/tools binaryen@123.0.0
fi
export PATH="$PWD/target/tools/node_modules/.bin:$PATH"
if [ -z "${SKIP_BUILD:-}" ]; then
  cargo leptos build --release --split 2>&1 | tail -n 3
fi
(cd end2end && [ -d node_modules ] || npm ci --silent)
db="$(mktemp -d)/size.db"
port=3200
DATABASE_URL="sqlite://$db?mode=rwc" OMNILOYAL_DEMO=1 LEPTOS_SITE_ROOT=target/site \
  LEPTOS_SITE_PKG_DIR=pkg LEPTOS_SITE_ADDR="127.0.0.1:$port" RUST_LOG=warn \
  target/release/omniloyal &
server=$!
trap 'kill $server 2>/dev/null || true' EXIT
up=0
for _ in $(seq 1 120); do
  if curl -fsS "http://127.0.0.1:$port/healthz" >/dev/null 2>&1; then up=1; break; fi
  sleep 0.5
done
[ "$up" = 1 ] || { echo "the release server did not answer on port $port" >&2; exit 1; }
echo "WASM files in target/site/pkg: $(find target/site/pkg -name '*.wasm' | wc -l)"
(cd end2end && node bundle-size.mjs "http://127.0.0.1:$port" ../target/site)
