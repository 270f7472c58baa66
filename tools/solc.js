#!/usr/bin/env node
// A solc command line over the npm `solc` package (the official compiler built to wasm), standing
// where py-solc-x looks for a native `solc-v<version>`: no network is needed to get a compiler.
// It speaks the subset py-solc-x and brownie use: --version and --standard-json on stdin.
'use strict';
const fs = require('fs');
const path = require('path');
const solc = require(path.join(__dirname, '..', 'node_modules', 'solc'));

const args = process.argv.slice(2);
// --allow-paths / --base-path / --include-path take a value; imports are resolved against them.
const roots = [process.cwd(), path.join(__dirname, '..')];
for (let i = 0; i < args.length; i++) {
  if (['--allow-paths', '--base-path', '--include-path'].includes(args[i]) && args[i + 1]) {
    for (const p of args[++i].split(',')) if (p) roots.push(path.resolve(p));
  }
}

function findImport(importPath) {
  const candidates = path.isAbsolute(importPath) ? [importPath] : roots.map((r) => path.join(r, importPath));
  for (const c of candidates) {
    if (fs.existsSync(c)) return { contents: fs.readFileSync(c, 'utf8') };
  }
  return { error: `File not found: ${importPath}` };
}

function write(text, code) {
  // Exit only once stdout has drained: outputs exceed the 64 KiB pipe buffer.
  process.stdout.write(text, () => process.exit(code));
}

if (args.includes('--version')) {
  write(`solc, the solidity compiler commandline interface\nVersion: ${solc.version()}\n`, 0);
} else if (args.includes('--standard-json')) {
  const chunks = [];
  process.stdin.on('data', (c) => chunks.push(c));
  process.stdin.on('end', () => {
    write(solc.compile(Buffer.concat(chunks).toString('utf8'), { import: findImport }), 0);
  });
} else {
  process.stderr.write('usage: solc --version | solc --standard-json [--allow-paths P] [--base-path P]\n');
  process.exit(2);
}
