#!/usr/bin/env node
// Checks the syntax of PowerShell files with the tree-sitter-powershell grammar (run as
// WebAssembly through web-tree-sitter: no native build, no PowerShell needed).
//
// Usage: node check.mjs FILE...
// Prints FILE:LINE:COL: syntax error near '...' for every ERROR or MISSING node the parser
// made while recovering (the innermost ones), then one summary line. Exit 0: no errors;
// 1: syntax errors; 2: usage or I/O error. A grammar is not PowerShell: it catches broken
// structure (braces, operators, here-strings, strings), not unknown commands, parameters or
// types.
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { setFlagsFromString } from 'node:v8';
import { Language, Parser } from 'web-tree-sitter';

const require = createRequire(import.meta.url);
const NEAR_MAX = 40;

// The error's own text, else what follows it on its line, else what precedes it there (an
// error at the end of a line, where the parser ran out of input for a construct).
function near(source, node) {
  const start = node.startIndex;
  const lineStart = source.lastIndexOf('\n', start - 1) + 1;
  const lineEnd = source.indexOf('\n', start) < 0 ? source.length : source.indexOf('\n', start);
  const text = (node.isMissing ? '' : node.text.split('\n')[0].trim())
      || source.slice(start, lineEnd).trim();
  if (text) {
    return text.length > NEAR_MAX ? text.slice(0, NEAR_MAX) + '...' : text;
  }
  const before = source.slice(lineStart, start).trim();
  if (before) {
    return before.length > NEAR_MAX ? '...' + before.slice(-NEAR_MAX) : before;
  }
  return start >= source.length ? '(end of file)' : '(empty line)';
}

// Line and column (1-based, UTF-16 code units) of a string index, independent of how the
// binding counts columns.
function position(source, index) {
  const before = source.slice(0, index);
  const line = before.split('\n').length;
  return `${line}:${index - before.lastIndexOf('\n')}`;
}

// The innermost errors: an ERROR node that only wraps other errors (error recovery may wrap
// everything from the top of the file) is reported through them, closer to the mistake.
function collect(node, found) {
  if (node.isMissing) {
    found.push(node);
    return;
  }
  const before = found.length;
  if (node.hasError) {
    for (const child of node.children) {
      collect(child, found);
    }
  }
  if (node.isError && found.length === before) {
    found.push(node);
  }
}

const files = process.argv.slice(2);
if (files.length === 0) {
  console.error('usage: node check.mjs FILE...');
  process.exit(2);
}
// The grammar is 1 MB of WebAssembly: optimizing it costs V8 about ten seconds of CPU, far more
// than the baseline compiler's code ever spends parsing a few scripts.
setFlagsFromString('--liftoff-only');
await Parser.init();
const parser = new Parser();
parser.setLanguage(await Language.load(
    require.resolve('tree-sitter-powershell/tree-sitter-powershell.wasm')));

let errors = 0;
let badFiles = 0;
for (const file of files) {
  let source;
  try {
    source = readFileSync(file, 'utf8').replace(/^\uFEFF/, '');
  } catch (e) {
    console.error(`${file}: cannot read: ${e.message}`);
    process.exit(2);
  }
  const found = [];
  collect(parser.parse(source).rootNode, found);
  for (const node of found) {
    const missing = node.isMissing ? ` (missing '${node.type}')` : '';
    console.log(`${file}:${position(source, node.startIndex)}: syntax error near `
        + `'${near(source, node)}'${missing}`);
  }
  errors += found.length;
  badFiles += found.length > 0 ? 1 : 0;
}
if (errors > 0) {
  console.log(`ps-parse: ${errors} syntax error(s) in ${badFiles} of ${files.length} file(s)`);
  process.exit(1);
}
console.log(`ps-parse: ${files.length} file(s), no syntax errors`);
