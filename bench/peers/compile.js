#!/usr/bin/env node
// Compiles contracts/BenchToken.sol with the pinned `solc` npm package
// (solc-js, no native compiler or network needed) and writes BenchToken.bin:
// the creation bytecode as one line of 0x-prefixed hex plus a newline.
//
//   node compile.js           # (re)write BenchToken.bin
//   node compile.js --check   # compile and compare with the committed BenchToken.bin;
//                             # exit 0 if identical, 1 (with a message) if not
"use strict";

const fs = require("fs");
const path = require("path");
const solc = require("solc");

const HERE = __dirname;
const SOURCE_NAME = "contracts/BenchToken.sol";
const CONTRACT = "BenchToken";
const OUT = path.join(HERE, "BenchToken.bin");
const EXPECTED_SOLC = require("./package.json").dependencies.solc;

function compile() {
  const version = solc.version(); // e.g. "0.8.28+commit.7893614a.Emscripten.clang"
  if (!version.startsWith(EXPECTED_SOLC + "+")) {
    throw new Error(
      `solc ${version} is loaded but package.json pins ${EXPECTED_SOLC}; run ./install.sh`
    );
  }
  // The source unit name is relative to this directory, so the metadata hash
  // appended to the bytecode does not depend on where the repo is checked out.
  const input = {
    language: "Solidity",
    sources: {
      [SOURCE_NAME]: { content: fs.readFileSync(path.join(HERE, SOURCE_NAME), "utf8") },
    },
    settings: {
      optimizer: { enabled: true, runs: 200 },
      evmVersion: "paris",
      outputSelection: { [SOURCE_NAME]: { [CONTRACT]: ["evm.bytecode.object"] } },
    },
  };
  const output = JSON.parse(solc.compile(JSON.stringify(input)));
  const errors = (output.errors || []).filter((e) => e.severity === "error");
  for (const e of output.errors || []) {
    process.stderr.write((e.formattedMessage || e.message) + "\n");
  }
  if (errors.length > 0) {
    throw new Error(`compilation failed with ${errors.length} error(s)`);
  }
  const object = output.contracts[SOURCE_NAME][CONTRACT].evm.bytecode.object;
  if (!/^[0-9a-f]+$/.test(object)) {
    throw new Error("unexpected bytecode output (empty or with unlinked libraries)");
  }
  return { version, bin: "0x" + object + "\n" };
}

function main() {
  const check = process.argv.includes("--check");
  const { version, bin } = compile();
  if (check) {
    let committed;
    try {
      committed = fs.readFileSync(OUT, "utf8");
    } catch (e) {
      console.error(`compile.js --check: ${OUT} is missing; run \`node compile.js\``);
      process.exit(1);
    }
    if (committed !== bin) {
      console.error(
        `compile.js --check: BenchToken.bin is out of date with contracts/BenchToken.sol ` +
          `(solc ${version}); run \`node compile.js\` and commit BenchToken.bin`
      );
      process.exit(1);
    }
    console.log(`BenchToken.bin is up to date (solc ${version}, ${(bin.length - 3) / 2} bytes)`);
    return;
  }
  fs.writeFileSync(OUT, bin);
  console.log(`wrote ${OUT} (solc ${version}, ${(bin.length - 3) / 2} bytes of creation code)`);
}

try {
  main();
} catch (e) {
  console.error(`compile.js: ${e.message}`);
  process.exit(1);
}
