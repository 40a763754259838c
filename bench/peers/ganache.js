#!/usr/bin/env node
// Ganache 7.9.2 server for the peer-chain benchmark.
//
//   node ganache.js --port 8546
//
// Listens on 127.0.0.1:PORT, chainId 1337, instamine "eager" (each transaction
// is mined in its own block before eth_sendRawTransaction returns), block gas
// limit 1,000,000,000, quiet logging. Prints exactly one line,
// "ganache listening on 127.0.0.1:PORT", once it accepts requests, and closes
// the server cleanly on SIGTERM / SIGINT (exit code 0).
//
// Environment:
//   CAIRN_PEER_ACCOUNTS  path of a JSON array of {"privateKey":"0x<64 hex>","balance":"<decimal wei>"};
//                        unset: 10 random accounts (wallet.totalAccounts 10).
"use strict";


const HOST = "127.0.0.1";
const CHAIN_ID = 1337;
const BLOCK_GAS_LIMIT = 1_000_000_000;

function fail(message) {
  console.error(`ganache.js: ${message}`);
  process.exit(1);
}

function parsePort(argv) {
  let port;
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === "--port" || a === "-p") {
      port = argv[++i];
    } else if (a.startsWith("--port=")) {
      port = a.slice("--port=".length);
    } else {
      fail(`unknown argument ${JSON.stringify(a)}; usage: node ganache.js --port PORT`);
    }
  }
  if (port === undefined) {
    fail("missing --port PORT");
  }
  if (!/^[0-9]+$/.test(port) || Number(port) < 1 || Number(port) > 65535) {
    fail(`invalid port ${JSON.stringify(port)}`);
  }
  return Number(port);
}

function loadAccounts() {
  const accounts = require("./accounts").loadAccounts(fail);
  return accounts && accounts.map((a) => ({
    secretKey: a.privateKey,
    balance: "0x" + BigInt(a.balance).toString(16),
  }));
}

async function main() {
  const port = parsePort(process.argv.slice(2));
  const accounts = loadAccounts();
  const ganache = require("ganache");

  const wallet = accounts === undefined ? { totalAccounts: 10 } : { accounts };
  const server = ganache.server({
    chain: { chainId: CHAIN_ID },
    logging: { quiet: true },
    miner: { instamine: "eager", blockGasLimit: BLOCK_GAS_LIMIT },
    wallet,
  });

  let closing = false;
  const shutdown = async (signal) => {
    if (closing) {
      return;
    }
    closing = true;
    try {
      await server.close();
      process.exit(0);
    } catch (e) {
      console.error(`ganache.js: error while closing on ${signal}: ${e.message}`);
      process.exit(1);
    }
  };
  process.on("SIGTERM", () => shutdown("SIGTERM"));
  process.on("SIGINT", () => shutdown("SIGINT"));

  await server.listen(port, HOST);
  console.log(`ganache listening on ${HOST}:${port}`);
}

main().catch((e) => fail(e && e.stack ? e.stack : String(e)));
