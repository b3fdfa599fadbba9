#!/usr/bin/env bash
# Makes a fresh Debian machine able to build, serve and test Omniloyal, offline but for the
# package registries (Debian, crates.io, npm, PyPI). Idempotent: every step checks first and says
# what it does; a second run takes seconds.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT="$PWD"

CARGO_LEPTOS_VERSION="0.3.10"  # 0.3.11 needs rustc 1.96; 0.3.10 builds on 1.95 too
SCHEMATHESIS_VERSION="4.32.5"  # the API fuzzer (tests/integration/api_fuzz.rs), from PyPI
step() { printf '\n\033[1m==> %s\033[0m\n' "$*"; }
ok() { printf '    ok: %s\n' "$*"; }
SUDO=""
[ "$(id -u)" = 0 ] || SUDO="sudo"

apt_install() { # installs the Debian packages given that are missing
  local missing=()
  for p in "$@"; do dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p"); done
  if [ ${#missing[@]} -eq 0 ]; then ok "already installed: $*"; return; fi
  echo "    installing: ${missing[*]}"
  if [ ! -f /tmp/.omniloyal-apt-updated ]; then
    $SUDO apt-get update -qq && touch /tmp/.omniloyal-apt-updated
  fi
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
}

step "System packages: Chromium (browser tests), PostgreSQL 15 and an SMTP server (integration tests), build tools"
# libc6-dev is only a recommendation of gcc, and without it nothing links.
apt_install chromium fonts-noto-core postgresql-15 pkg-config gcc libc6-dev curl ca-certificates python3 python3-venv python3-aiosmtpd

step "Node.js 20 or newer (Playwright needs it)"
node_major="$(node --version 2>/dev/null | sed -E 's/^v([0-9]+).*/\1/')"
if [ -n "$node_major" ] && [ "$node_major" -ge 20 ]; then
  ok "node $(node --version), npm $(npm --version 2>/dev/null)"
else
  # Debian 12 ships Node 18, too old for @playwright/test; the machine image provides 20.
  echo "Node.js 20+ is required for the browser tests (found: ${node_major:-none})." >&2
  exit 1
fi

# shellcheck source=env.sh
source "$ROOT/scripts/env.sh"

step "Rust toolchain with the wasm32-unknown-unknown target"
if has_wasm_std "$(command -v rustc)"; then
  ok "$(rustc --version) has wasm32-unknown-unknown"
else
  rustup_ok=0
  if command -v rustup >/dev/null; then
    echo "    trying: rustup target add wasm32-unknown-unknown (60 s limit)"
    if timeout 60 rustup target add wasm32-unknown-unknown; then rustup_ok=1; fi
  fi
  if [ "$rustup_ok" = 1 ]; then
    ok "installed by rustup"
  else
    echo "    rustup cannot fetch the target; building it from Debian's Rust sources instead"
    # rust-web-llvm provides rust-lld, the linker of Debian's wasm32 target (only a
    # recommendation of rustc-web, so it has to be named).
    apt_install rustc-web cargo-web rust-web-src rust-web-llvm lld-22
    if ! has_wasm_std /usr/bin/rustc; then
      scratch="$(mktemp -d)"
      # A library, so building the standard library needs no linking.
      mkdir -p "$scratch/src" && : >"$scratch/src/lib.rs"
      printf '[package]\nname = "wasmstd"\nversion = "0.0.0"\nedition = "2021"\n' >"$scratch/Cargo.toml"
      echo "    compiling the wasm32 standard library (about a minute)"
      (cd "$scratch" && RUSTC=/usr/bin/rustc RUSTC_BOOTSTRAP=1 /usr/bin/cargo build -q --release \
        --target wasm32-unknown-unknown -Z build-std=std,panic_abort)
      dest="$(/usr/bin/rustc --print sysroot)/lib/rustlib/wasm32-unknown-unknown/lib"
      $SUDO mkdir -p "$dest"
      find "$scratch/target/wasm32-unknown-unknown/release/deps" -name 'lib*.rlib' ! -name 'libwasmstd*' \
        -exec $SUDO cp {} "$dest/" \;
      rm -rf "$scratch"
    fi
    source "$ROOT/scripts/env.sh"
    has_wasm_std "$(command -v rustc)" || { echo "wasm32 standard library still missing" >&2; exit 1; }
    ok "$(rustc --version) with a locally built wasm32 std"
  fi
fi

step "cargo-leptos $CARGO_LEPTOS_VERSION (builds from crates.io; about 25 minutes the first time)"
if cargo leptos --version 2>/dev/null | grep -q "$CARGO_LEPTOS_VERSION"; then
  ok "$(cargo leptos --version)"
else
  # no_downloads: a missing tool fails loudly instead of being fetched from the web.
  cargo install cargo-leptos --locked --version "$CARGO_LEPTOS_VERSION" --features no_downloads
fi

step "wasm-bindgen-cli $LEPTOS_WASM_BINDGEN_VERSION (the version in Cargo.lock)"
if wasm-bindgen --version 2>/dev/null | grep -q " $LEPTOS_WASM_BINDGEN_VERSION\$"; then
  ok "$(wasm-bindgen --version)"
else
  cargo install wasm-bindgen-cli --version "$LEPTOS_WASM_BINDGEN_VERSION" --locked \
    || cargo install wasm-bindgen-cli --version "$LEPTOS_WASM_BINDGEN_VERSION"
fi

step "Playwright from npm (no browser download: tests use /usr/bin/chromium)"
if [ -d end2end/node_modules/@playwright/test ] && [ end2end/node_modules/.package-lock.json -nt end2end/package-lock.json ]; then
  ok "end2end/node_modules is up to date"
else
  (cd end2end && npm ci --no-audit --no-fund --loglevel=error)
fi

step "schemathesis $SCHEMATHESIS_VERSION from PyPI (the API fuzzer), in target/tools/schemathesis"
ST_VENV="$ROOT/target/tools/schemathesis"
if "$ST_VENV/bin/schemathesis" --version 2>/dev/null | grep -q " $SCHEMATHESIS_VERSION\$"; then
  ok "$("$ST_VENV/bin/schemathesis" --version)"
else
  # A virtual environment of its own: nothing is installed into the system's Python.
  rm -rf "$ST_VENV"
  python3 -m venv "$ST_VENV"
  "$ST_VENV/bin/pip" install --quiet --disable-pip-version-check "schemathesis==$SCHEMATHESIS_VERSION"
  ok "$("$ST_VENV/bin/schemathesis" --version)"
fi

LIFETIMES_VERSION="0.11.3"  # its wheel carries the CDNOW sample
step "CDNOW sample (the CLV test's reference data) from the Lifetimes $LIFETIMES_VERSION wheel, in target/tools/cdnow"
CDNOW="$ROOT/target/tools/cdnow/CDNOW_sample.txt"
if [ -s "$CDNOW" ]; then
  ok "$CDNOW"
else
  # Only the data file is wanted: the wheel is downloaded (no dependencies, nothing installed)
  # and the one file taken out of it. Not committed: tests/integration/clv.rs reads it here.
  scratch="$(mktemp -d)"
  "$ST_VENV/bin/pip" download --quiet --disable-pip-version-check --no-deps --only-binary=:all: \
    --dest "$scratch" "Lifetimes==$LIFETIMES_VERSION"
  python3 -m zipfile -e "$scratch"/Lifetimes-"$LIFETIMES_VERSION"-*.whl "$scratch/wheel"
  mkdir -p "$(dirname "$CDNOW")"
  cp "$scratch/wheel/lifetimes/datasets/CDNOW_sample.txt" "$CDNOW.partial"
  mv "$CDNOW.partial" "$CDNOW"
  rm -rf "$scratch"
  ok "$CDNOW ($(wc -l <"$CDNOW") lines)"
fi

step "Set-up complete"
