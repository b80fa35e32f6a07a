#!/usr/bin/env node
// A `solc` command line backed by the npm solcjs build, for machines where no native solc
// can be downloaded. It answers the two calls that py-solc-x, ape-solidity and forge make:
//   solc --version
//   solc --standard-json [--base-path P] [--include-path P]... [--allow-paths ...] < input.json
// Imports are resolved against the base path, then each include path, like native solc.
'use strict';
const fs = require('fs');
const path = require('path');
const solc = require('solc');

const args = process.argv.slice(2);
const version = solc.version();

if (args.includes('--version')) {
  process.stdout.write(`solc, the solidity compiler commandline interface\nVersion: ${version}\n`);
  process.exit(0);
}
if (!args.includes('--standard-json')) {
  process.stderr.write('solcjs-cli: only --version and --standard-json are supported\n');
  process.exit(2);
}

const roots = [];
for (let i = 0; i < args.length; i++) {
  if (args[i] === '--base-path' || args[i] === '--include-path') roots.push(args[++i]);
  else if (args[i].startsWith('--base-path=')) roots.push(args[i].slice(12));
  else if (args[i].startsWith('--include-path=')) roots.push(args[i].slice(15));
}
if (roots.length === 0) roots.push(process.cwd());

function findImports(importPath) {
  const candidates = path.isAbsolute(importPath)
    ? [importPath]
    : roots.map((root) => path.resolve(root, importPath));
  for (const candidate of candidates) {
    if (fs.existsSync(candidate)) return { contents: fs.readFileSync(candidate, 'utf8') };
  }
  return { error: `File not found: ${importPath} (searched ${roots.join(', ')})` };
}

const input = fs.readFileSync(0, 'utf8');
process.stdout.write(solc.compile(input, { import: findImports }));
