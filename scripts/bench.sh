#!/usr/bin/env bash
# Measures Cairn beside Hardhat and Ganache on this machine, in one run of the same load
# generator: installs what is missing (Rust side as scripts/setup.sh; the pinned npm peers
# into bench/peers/node_modules), builds `cairn` in release, and runs
#   cairn bench --peers bench/peers --json target/bench.json "$@"
# Extra arguments go to `cairn bench` (see `cairn bench --help`), e.g. `--transfers 1800000`.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/setup.sh
bash bench/peers/install.sh

printf '\033[1m[cairn]\033[0m building the cairn binary in release\n' >&2
cargo build --locked --release -p cairn-cli --bin cairn
target_dir=$(cargo metadata --format-version 1 --no-deps | sed -n 's/.*"target_directory":"\([^"]*\)".*/\1/p')
mkdir -p "$target_dir"
exec "$target_dir/release/cairn" bench --peers bench/peers --json "$target_dir/bench.json" "$@"
