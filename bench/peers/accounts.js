// The accounts file both peers start with: CAIRN_PEER_ACCOUNTS names a JSON array of
// {"privateKey":"0x<64 hex>","balance":"<decimal wei>"} (written by `cairn bench --peers`).
// Shared by hardhat.config.js and ganache.js so both read and check it the same way.
"use strict";

const fs = require("fs");

// The validated entries, or undefined when CAIRN_PEER_ACCOUNTS is unset (the peer's
// defaults). `fail(message)` reports a bad file and exits.
function loadAccounts(fail) {
  const file = process.env.CAIRN_PEER_ACCOUNTS;
  if (file === undefined || file === "") {
    return undefined;
  }
  let list;
  try {
    list = JSON.parse(fs.readFileSync(file, "utf8"));
  } catch (e) {
    fail(`cannot read CAIRN_PEER_ACCOUNTS=${file}: ${e.message}`);
  }
  if (!Array.isArray(list) || list.length === 0) {
    fail(`CAIRN_PEER_ACCOUNTS=${file}: expected a non-empty JSON array`);
  }
  return list.map((a, i) => {
    if (a === null || typeof a !== "object" || typeof a.privateKey !== "string" ||
        !/^0x[0-9a-fA-F]{64}$/.test(a.privateKey)) {
      fail(`CAIRN_PEER_ACCOUNTS=${file}: entry ${i}: privateKey must be "0x" + 64 hex digits`);
    }
    if (typeof a.balance !== "string" || !/^[0-9]+$/.test(a.balance)) {
      fail(`CAIRN_PEER_ACCOUNTS=${file}: entry ${i}: balance must be a decimal string of wei`);
    }
    return { privateKey: a.privateKey, balance: a.balance };
  });
}

module.exports = { loadAccounts };
