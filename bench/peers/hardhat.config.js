// Hardhat 2 configuration for the peer-chain benchmark: a bare `hardhat node`
// (EDR) with no contracts to compile, funded from Cairn's accounts file.
//
// Start with bench/peers as the working directory (Hardhat 2 exits with HH12
// "non-local installation" when `hardhat` does not resolve from the cwd to this
// installation; HARDHAT_EXPERIMENTAL_ALLOW_NON_LOCAL_INSTALLATION=true lifts that):
//   cd bench/peers && HARDHAT_DISABLE_TELEMETRY_PROMPT=true \
//   node node_modules/hardhat/internal/cli/cli.js node \
//     --hostname 127.0.0.1 --port 8545 --config "$PWD/hardhat.config.js"
//
// Environment:
//   CAIRN_PEER_ACCOUNTS  path of a JSON array of {"privateKey":"0x<64 hex>","balance":"<decimal wei>"};
//                        unset: Hardhat's default 20 test accounts (public mnemonic).
//   CAIRN_PEER_MINING    "auto" (default): automine, one block per transaction;
//                        a positive integer N: automine off, one block every N ms
//                        (holding every pending transaction that fits).
//   CAIRN_PEER_LOGGING   "1": Hardhat's per-request console log and the full account
//                        listing at start. Anything else / unset: both off, and the
//                        only output is the "Started HTTP and WebSocket JSON-RPC server
//                        at http://HOST:PORT/" line plus one summary line.
"use strict";

const path = require("path");
const { subtask } = require("hardhat/config");
const { TASK_NODE_SERVER_READY } = require("hardhat/builtin-tasks/task-names");

const CHAIN_ID = 31337;
const BLOCK_GAS_LIMIT = 1_000_000_000;

function fail(message) {
  // Thrown errors inside a config file are reported by Hardhat with a long
  // stack trace; a plain message and exit code 1 is easier to act on.
  console.error(`hardhat.config.js: ${message}`);
  process.exit(1);
}

function loadAccounts() {
  return require("./accounts").loadAccounts(fail); // undefined: Hardhat's defaults
}

function mining() {
  const m = process.env.CAIRN_PEER_MINING;
  if (m === undefined || m === "" || m === "auto") {
    return { auto: true, interval: 0 };
  }
  if (!/^[0-9]+$/.test(m) || Number(m) <= 0) {
    fail(`CAIRN_PEER_MINING must be "auto" or a positive number of milliseconds, not ${JSON.stringify(m)}`);
  }
  return { auto: false, interval: Number(m) };
}

const verbose = process.env.CAIRN_PEER_LOGGING === "1";
const accounts = loadAccounts();
const miningConfig = mining();

const hardhatNetwork = {
  chainId: CHAIN_ID,
  blockGasLimit: BLOCK_GAS_LIMIT,
  mining: miningConfig,
  // `hardhat node` turns request logging on unless this is set explicitly.
  loggingEnabled: verbose,
  // Behave like a real node: a transaction that reverts is still mined (nonce
  // used, fee paid, receipt status 0x0), so eth_sendRawTransaction returns its
  // hash instead of a JSON-RPC error (Hardhat's default, true, returns an error
  // under automine although the transaction *was* mined). eth_call and
  // eth_estimateGas still answer reverts with an error (throwOnCallFailures).
  throwOnTransactionFailures: false,
  // hardfork: left at Hardhat's default (osaka in 2.29.1; note its per-transaction
  // gas cap of 16,777,216, EIP-7825).
};
if (accounts !== undefined) {
  hardhatNetwork.accounts = accounts;
}

if (!verbose) {
  // Replace the default "server ready" output, which lists every account (two
  // lines each: 20,000 lines for 10,000 accounts), by a one-line summary. The
  // first line is kept word for word so that anything waiting for it still works.
  subtask(TASK_NODE_SERVER_READY).setAction(async ({ address, port }) => {
    const n = accounts === undefined ? "20 default" : String(accounts.length);
    const mode = miningConfig.auto ? "automine" : `interval mining every ${miningConfig.interval} ms`;
    console.log(`Started HTTP and WebSocket JSON-RPC server at http://${address}:${port}/`);
    console.log(`cairn-bench-peers: hardhat chainId ${CHAIN_ID}, ${n} accounts, ${mode}`);
  });
}

// Nothing to compile: sources point at an empty directory, and everything
// Hardhat may write (cache, artifacts) goes under node_modules, which is ignored.
const scratch = path.join(__dirname, "node_modules", ".cairn-hardhat");

/** @type {import("hardhat/config").HardhatUserConfig} */
module.exports = {
  defaultNetwork: "hardhat",
  networks: { hardhat: hardhatNetwork },
  paths: {
    root: __dirname,
    sources: path.join(__dirname, "hh-sources"),
    tests: path.join(scratch, "test"),
    cache: path.join(scratch, "cache"),
    artifacts: path.join(scratch, "artifacts"),
  },
};
