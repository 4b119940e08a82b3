#!/usr/bin/env node
// A `solc` command-line front end for solc-js (the official compiler built to WebAssembly),
// for machines where no native solc can be downloaded. It answers the two calls py-solc-x,
// brownie and slither make:
//   --version        prints "Version: <version>"
//   --standard-json  reads Standard JSON on stdin, writes the compiler's JSON on stdout
// Unknown flags (--allow-paths, --base-path, ...) are ignored; imports are read from disk
// relative to the current directory, the folders given by --base-path/--include-path, and
// node_modules.
"use strict";
const fs = require("fs");
const path = require("path");
const solc = require(process.env.FM_SOLC_MODULE || "solc");

const args = process.argv.slice(2);
if (args.includes("--version")) {
  process.stdout.write("solc, the solidity compiler commandline interface\n");
  process.stdout.write(`Version: ${solc.version()}\n`);
  process.exit(0);
}
if (!args.includes("--standard-json")) {
  process.stderr.write("solc-launcher: only --version and --standard-json are supported\n");
  process.exit(2);
}

const roots = [process.cwd()];
for (let i = 0; i < args.length; i++) {
  if ((args[i] === "--base-path" || args[i] === "--include-path") && args[i + 1]) roots.push(args[i + 1]);
  if (args[i] === "--allow-paths" && args[i + 1]) roots.push(...args[i + 1].split(","));
}

function findImports(importPath) {
  const candidates = [importPath];
  for (const root of roots) candidates.push(path.join(root, importPath), path.join(root, "node_modules", importPath));
  for (const file of candidates) {
    try {
      if (fs.statSync(file).isFile()) return { contents: fs.readFileSync(file, "utf8") };
    } catch (_) { /* try the next one */ }
  }
  return { error: `File not found: ${importPath}` };
}

const input = fs.readFileSync(0, "utf8");
const output = solc.compile(input, { import: findImports });
// solc-js can print a notice line before the JSON; keep only the JSON document.
const start = output.indexOf("{");
process.stdout.write(start > 0 ? output.slice(start) : output);
