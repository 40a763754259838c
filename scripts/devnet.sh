#!/usr/bin/env bash
# Starts a local Cairn devnet: installs what is missing, builds the `cairn` binary, runs it.
# Extra arguments go to `cairn devnet` (see `cairn devnet --help`).
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/setup.sh

printf '\033[1m[cairn]\033[0m building the cairn binary (the first build takes a while)\n' >&2
cargo build --locked -p cairn-cli --bin cairn
target_dir=$(cargo metadata --format-version 1 --no-deps | sed -n 's/.*"target_directory":"\([^"]*\)".*/\1/p')
bin="$target_dir/debug/cairn"

exec "$bin" devnet "$@"
