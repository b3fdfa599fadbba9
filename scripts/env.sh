# Sourced by the other scripts: picks the Rust toolchain that can build both halves of the app.
#
# Where rustup has the wasm32 target, its toolchain is used as is. Where rustup cannot reach its
# servers (this workplace), setup.sh installs Debian's rustc-web and builds the wasm32 standard
# library into its sysroot; then /usr/bin must come first so cargo-leptos drives that toolchain
# for the server and the browser alike (mixing two compilers in one target/ rebuilds everything).

CARGO_HOME="${CARGO_HOME:-$HOME/.cargo}"
export CARGO_HOME

has_wasm_std() { # $1 = rustc binary
  local sysroot
  sysroot="$("$1" --print sysroot 2>/dev/null)" || return 1
  compgen -G "$sysroot/lib/rustlib/wasm32-unknown-unknown/lib/libstd-*.rlib" >/dev/null
}

if [ -x "$CARGO_HOME/bin/rustc" ] && has_wasm_std "$CARGO_HOME/bin/rustc"; then
  export PATH="$CARGO_HOME/bin:$PATH"
elif [ -x /usr/bin/rustc ] && has_wasm_std /usr/bin/rustc; then
  export PATH="/usr/bin:$CARGO_HOME/bin:$PATH"
else
  export PATH="$CARGO_HOME/bin:$PATH"
fi

# The locally built tools never download anything; see setup.sh.
export PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1
export LEPTOS_WASM_BINDGEN_VERSION="$(awk '/^name = "wasm-bindgen"$/{getline; gsub(/version = |"/,""); print; exit}' "$(dirname "${BASH_SOURCE[0]}")/../Cargo.lock" 2>/dev/null)"
