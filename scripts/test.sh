#!/usr/bin/env bash
# Runs every check and test of Cairn, exactly as CI does (.ci/run calls this script):
# formatting, clippy with warnings as errors, the wasm32 build of the guest-side crates, and
# the whole test suite. Ends with one summary line: "tests: N passed, N failed, N skipped".
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/setup.sh

step() { printf '\n\033[1m==> %s\033[0m\n' "$*"; }

# A cold build and the suite take about 23 GB (measured); say so up front rather than fail on ENOSPC later.
free_kb=$(df -Pk . | awk 'NR == 2 {print $4}')
if [ "${free_kb:-0}" -lt $((25 * 1024 * 1024)) ]; then
  echo "warning: only $((free_kb / 1024 / 1024)) GiB free on the build disk; a cold build and the test suite take about 23 GB" >&2
fi

step "cargo fmt --check"
cargo fmt --all --check

step "cargo clippy (warnings are errors)"
cargo clippy --workspace --all-targets --locked -- -D warnings

step "wasm32 build of the guest-side crates"
cargo build --locked -p cairn-primitives --target wasm32-unknown-unknown --no-default-features

step "example contracts for wasm32 (the contract profile, where cairn-testkit looks for them)"
contracts=()
for manifest in contracts/*/Cargo.toml; do
  contracts+=(-p "$(sed -n 's/^name = "\(.*\)"$/\1/p' "$manifest" | head -1)")
done
CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-target}/wasm" \
CARGO_ENCODED_RUSTFLAGS=$'-Clink-arg=--max-memory=4194304\x1f-Clink-arg=-zstack-size=65536' \
  cargo build --locked --lib --target wasm32-unknown-unknown --profile contract "${contracts[@]}"
ls -l "${CARGO_TARGET_DIR:-target}"/wasm/wasm32-unknown-unknown/contract/*.wasm

step "cargo test --workspace"
log=$(mktemp)
trap 'rm -f "$log"' EXIT
set +e
cargo test --workspace --locked --no-fail-fast 2>&1 | tee "$log"
status=${PIPESTATUS[0]}
set -e

# One line adding up every test binary's "test result:" line.
awk '/^test result:/ {
        for (i = 1; i <= NF; i++) {
            if ($(i+1) ~ /^passed/)  p += $i
            if ($(i+1) ~ /^failed/)  f += $i
            if ($(i+1) ~ /^ignored/) s += $i
        }
     }
     END { printf "\ntests: %d passed, %d failed, %d skipped\n", p, f, s }' "$log"
exit "$status"
