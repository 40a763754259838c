#!/usr/bin/env bash
# Installs the pinned peer-chain tools (hardhat, ganache, solc) into
# bench/peers/node_modules from package-lock.json with `npm ci`, unless
# node_modules is already there and newer than the lock file.
#
#   bench/peers/install.sh          # from anywhere
#   FORCE=1 bench/peers/install.sh  # reinstall regardless
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
cd "$here"

for tool in node npm; do
  if ! command -v "$tool" >/dev/null 2>&1; then
    echo "install.sh: '$tool' not found on PATH; install Node.js >= 18 (20.x is what this was tested with) and npm" >&2
    exit 1
  fi
done

node_major="$(node -p 'process.versions.node.split(".")[0]')"
if [ "$node_major" -lt 18 ]; then
  echo "install.sh: Node.js $(node --version) is too old; hardhat 2.29 needs >= 18 (tested with 20.x)" >&2
  exit 1
fi

if [ ! -f package-lock.json ]; then
  echo "install.sh: $here/package-lock.json is missing" >&2
  exit 1
fi

# npm ci touches node_modules/.package-lock.json; compare against it so a
# completed install counts, and a half-finished one (no marker) does not.
marker=node_modules/.package-lock.json
if [ "${FORCE:-0}" != "1" ] && [ -f "$marker" ] && [ ! package-lock.json -nt "$marker" ]; then
  echo "install.sh: node_modules is up to date"
  exit 0
fi

echo "install.sh: npm ci in $here"
npm ci --no-audit --no-fund
echo "install.sh: done ($(node -p 'require("hardhat/package.json").version') hardhat, $(node -p 'require("ganache/package.json").version') ganache, $(node -p 'require("solc/package.json").version') solc)"
