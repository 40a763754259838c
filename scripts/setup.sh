#!/usr/bin/env bash
# Installs what building Cairn needs and is missing, saying what it does:
#   - a Rust toolchain (rustup must already be there: https://rustup.rs),
#   - rustfmt and clippy,
#   - the wasm32-unknown-unknown target (contracts and the no_std primitives),
#   - a C/C++ compiler and libclang (RocksDB's build uses bindgen).
# Sourced by scripts/test.sh and scripts/devnet.sh; safe to run again (does nothing when done).
set -euo pipefail

say() { printf '\033[1m[cairn setup]\033[0m %s\n' "$*" >&2; }

if ! command -v cargo >/dev/null 2>&1; then
    if [ -x "$HOME/.cargo/bin/cargo" ]; then
        export PATH="$HOME/.cargo/bin:$PATH"
    else
        say "cargo not found: install Rust with rustup first (https://rustup.rs), then run this again."
        exit 1
    fi
fi

if command -v rustup >/dev/null 2>&1; then
    installed_components=$(rustup component list --installed 2>/dev/null || true)
    for component in rustfmt clippy; do
        if ! grep -q "^$component" <<<"$installed_components"; then
            say "installing the Rust component $component"
            rustup component add "$component"
        fi
    done
    if ! rustup target list --installed | grep -qx wasm32-unknown-unknown; then
        say "installing the Rust target wasm32-unknown-unknown (for contracts)"
        rustup target add wasm32-unknown-unknown
    fi
fi

# Debian/Ubuntu packages: a C++ compiler and libclang for RocksDB.
apt_missing=()
command -v c++ >/dev/null 2>&1 || apt_missing+=(g++)
command -v make >/dev/null 2>&1 || apt_missing+=(make)
# Any one of these is enough for bindgen (ls fails if one pattern matches nothing, so test each).
# libclang-cpp.so (which some images carry without libclang) is not: bindgen needs the C API.
have_libclang=""
for pattern in /usr/lib/llvm-*/lib/libclang.so* /usr/lib/llvm-*/lib/libclang-[0-9]*.so* \
    /usr/lib/*-linux-gnu/libclang.so* /usr/lib/*-linux-gnu/libclang-[0-9]*.so*; do
    if [ -e "$pattern" ]; then have_libclang=yes; break; fi
done
[ -n "$have_libclang" ] || apt_missing+=(libclang-dev)
if [ ${#apt_missing[@]} -gt 0 ]; then
    if ! command -v apt-get >/dev/null 2>&1; then
        say "missing ${apt_missing[*]} and apt-get is not available: install them with your package manager."
        exit 1
    fi
    sudo=""
    if [ "$(id -u)" -ne 0 ]; then
        if command -v sudo >/dev/null 2>&1; then sudo="sudo"; else
            say "missing ${apt_missing[*]}: run as root or install sudo."
            exit 1
        fi
    fi
    say "installing ${apt_missing[*]} with apt-get (needed to build RocksDB)"
    $sudo apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "${apt_missing[@]}" >/dev/null
fi
