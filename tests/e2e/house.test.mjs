// The house stays in rooms small enough to see at once, with no import
// circles (issue 29):
// - no non-test `.rs` file of domain/src, worker/src, app/src or cli/src
//   is over 600 lines: lines inside `#[cfg(test)] mod … { }` blocks do not
//   count, and files named `tests.rs` are tests;
// - the top-level modules of each of those crates import each other
//   without a circle: `crate::x` and `super::x` paths (grouped
//   `crate::{x, y}` too), outside comments and test modules;
// - no module of the domain outside `contract/` imports `crate::contract`:
//   the document is built from the domain, never the other way round.
// Reads files only, no build.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { basename, dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
const crates = ['domain/src', 'worker/src', 'app/src', 'cli/src'];
const LIMIT = 600;

function rustFiles(dir) {
  const out = [];
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) out.push(...rustFiles(path));
    else if (entry.name.endsWith('.rs')) out.push(path);
  }
  return out.sort();
}

// A file's lines, each with comments blanked out (line and block comments,
// doc comments included) and string and char literals emptied, so braces
// and paths are counted only where they are code.
function codeLines(text) {
  const lines = text.replace(/\n$/, '').split('\n');
  let inBlock = 0;
  let inString = false;
  return lines.map((line) => {
    let out = '';
    for (let i = 0; i < line.length; i++) {
      const c = line[i];
      const next = line[i + 1];
      if (inBlock) {
        if (c === '*' && next === '/') (inBlock--, i++);
        else if (c === '/' && next === '*') (inBlock++, i++);
        continue;
      }
      if (inString) {
        if (c === '\\') i++;
        else if (c === '"') (inString = false, (out += '"'));
        continue;
      }
      if (c === '/' && next === '/') break;
      if (c === '/' && next === '*') {
        inBlock++;
        i++;
        continue;
      }
      if (c === '"') {
        inString = true;
        out += '"';
        continue;
      }
      // A char literal ('{', '\n', '\''); a lifetime ('a) is left alone.
      const ch = line.slice(i).match(/^'(\\.|\\u\{[0-9a-fA-F]+\}|[^\\'])'/);
      if (ch) {
        out += "''";
        i += ch[0].length - 1;
        continue;
      }
      out += c;
    }
    return out;
  });
}

// The file's code lines outside `#[cfg(test)] mod name { … }` blocks, as
// [{ n, raw, code }] (n 1-based).
function outsideTests(file) {
  const raw = readFileSync(file, 'utf8').replace(/\n$/, '').split('\n');
  const code = codeLines(readFileSync(file, 'utf8'));
  const kept = [];
  for (let i = 0; i < raw.length; i++) {
    if (/^\s*#\[cfg\(test\)\]\s*$/.test(code[i])) {
      // The attribute may be followed by others before the `mod`.
      let j = i + 1;
      while (j < raw.length && /^\s*#\[/.test(code[j])) j++;
      if (j < raw.length && /^\s*(pub(\([^)]*\))?\s+)?mod\s+\w+\s*\{/.test(code[j])) {
        let depth = 0;
        for (; j < raw.length; j++) {
          for (const c of code[j]) depth += c === '{' ? 1 : c === '}' ? -1 : 0;
          if (depth <= 0) break;
        }
        i = j;
        continue;
      }
    }
    kept.push({ n: i + 1, raw: raw[i], code: code[i] });
  }
  return kept;
}

// The code outside tests as one text (a `use` may span lines), and the
// file's line number of an offset in it.
function joined(file) {
  const kept = outsideTests(file);
  const text = kept.map((l) => l.code).join('\n');
  const starts = [];
  let offset = 0;
  for (const l of kept) {
    starts.push(offset);
    offset += l.code.length + 1;
  }
  const lineAt = (at) => {
    let i = 0;
    while (i + 1 < starts.length && starts[i + 1] <= at) i++;
    return kept[i].n;
  };
  return { text, lineAt };
}

const isTestFile = (file) => basename(file) === 'tests.rs';

// The module path of a file inside its crate: `a/b.rs` and `a/b/mod.rs`
// are ['a', 'b']; lib.rs and main.rs are the root, [].
function modulePath(crateDir, file) {
  const parts = relative(crateDir, file).replace(/\.rs$/, '').split(/[\\/]/);
  if (['mod', 'lib', 'main'].includes(parts[parts.length - 1])) parts.pop();
  return parts;
}

// The paths a piece of code names from `crate::` or `super::`, resolved to
// module paths from the crate root: `crate::a::b` is ['a', 'b'],
// `crate::{a, b::c}` is ['a'] and ['b', 'c'], and `super::x` in module
// ['m', 'n'] is ['m', 'x']; each as { path, at } (its offset in `code`).
function namedPaths(code, here) {
  const found = [];
  let at = 0;
  const group = (text, base) => {
    // Top-level items of a `{ … }` group, each a path (maybe a group).
    let depth = 0;
    let item = '';
    const items = [];
    for (const c of text) {
      if (c === '{') depth++;
      if (c === '}') depth--;
      if (c === ',' && depth === 0) {
        items.push(item);
        item = '';
      } else item += c;
    }
    items.push(item);
    for (const it of items) path(it.trim(), base);
  };
  const path = (text, base) => {
    const m = text.match(/^((?:[A-Za-z_][A-Za-z0-9_]*\s*::\s*)*)(\{[\s\S]*\}|[A-Za-z_][A-Za-z0-9_]*)?/);
    if (!m) return;
    const segs = m[1].split('::').map((s) => s.trim()).filter(Boolean);
    const full = [...base, ...segs];
    if (m[2] && m[2].startsWith('{')) group(m[2].slice(1, -1), full);
    else found.push({ path: m[2] ? [...full, m[2]] : full, at });
  };
  const re = /(?<![A-Za-z0-9_$:])(crate|super)((?:\s*::\s*super)*)\s*::\s*/g;
  let m;
  while ((m = re.exec(code))) {
    at = m.index;
    let base;
    if (m[1] === 'crate') base = [];
    else {
      const ups = 1 + (m[2].match(/super/g) || []).length;
      base = here.slice(0, Math.max(0, here.length - ups));
    }
    const rest = code.slice(m.index + m[0].length);
    if (rest.startsWith('{')) {
      let depth = 0;
      let end = 0;
      for (; end < rest.length; end++) {
        if (rest[end] === '{') depth++;
        if (rest[end] === '}' && --depth === 0) break;
      }
      group(rest.slice(1, end), base);
    } else path(rest, base);
  }
  return found;
}

// Every circle (strongly connected set of two or more) of a graph
// { node: Set(nodes) }, each sorted, Tarjan's way.
function circles(graph) {
  let index = 0;
  const idx = new Map();
  const low = new Map();
  const stack = [];
  const on = new Set();
  const out = [];
  const visit = (v) => {
    idx.set(v, index);
    low.set(v, index++);
    stack.push(v);
    on.add(v);
    for (const w of graph[v] ?? []) {
      if (!idx.has(w)) {
        visit(w);
        low.set(v, Math.min(low.get(v), low.get(w)));
      } else if (on.has(w)) low.set(v, Math.min(low.get(v), idx.get(w)));
    }
    if (low.get(v) === idx.get(v)) {
      const comp = [];
      let w;
      do {
        w = stack.pop();
        on.delete(w);
        comp.push(w);
      } while (w !== v);
      if (comp.length > 1) out.push(comp.sort());
    }
  };
  for (const v of Object.keys(graph).sort()) if (!idx.has(v)) visit(v);
  return out;
}

test(`no non-test Rust file is over ${LIMIT} lines`, () => {
  const over = [];
  for (const dir of crates) {
    for (const file of rustFiles(join(root, dir))) {
      if (isTestFile(file)) continue;
      const n = outsideTests(file).length;
      if (n > LIMIT) over.push(`${relative(root, file)}: ${n} lines outside tests`);
    }
  }
  assert.deepEqual(over, [], `over ${LIMIT} lines (split by meaning into submodules):\n${over.join('\n')}`);
});

test('no import circle among the top-level modules of a crate', () => {
  const found = [];
  for (const dir of crates) {
    const crateDir = join(root, dir);
    const graph = {};
    // Where each edge was seen, to name it in the message.
    const where = new Map();
    for (const file of rustFiles(crateDir)) {
      if (isTestFile(file)) continue;
      const here = modulePath(crateDir, file);
      if (here.length === 0) continue;
      const from = here[0];
      const { text, lineAt } = joined(file);
      for (const { path, at } of namedPaths(text, here)) {
        const to = path[0];
        if (!to || to === from) continue;
        (graph[from] ??= new Set()).add(to);
        const key = `${from}->${to}`;
        if (!where.has(key)) where.set(key, `${relative(root, file)}:${lineAt(at)}`);
      }
    }
    for (const circle of circles(graph)) {
      const edges = [];
      for (const a of circle)
        for (const b of circle) if (graph[a]?.has(b)) edges.push(`  ${a} -> ${b} (${where.get(`${a}->${b}`)})`);
      found.push(`${dir}: ${circle.join(', ')}\n${edges.join('\n')}`);
    }
  }
  assert.deepEqual(found, [], `import circles (move what both sides need lower):\n${found.join('\n')}`);
});

test('no module of the domain outside contract/ imports crate::contract', () => {
  const crateDir = join(root, 'domain/src');
  const found = [];
  for (const file of rustFiles(crateDir)) {
    if (isTestFile(file)) continue;
    const here = modulePath(crateDir, file);
    if (here[0] === 'contract' || here.length === 0) continue;
    const { text, lineAt } = joined(file);
    for (const { path, at } of namedPaths(text, here)) {
      if (path[0] === 'contract') found.push(`${relative(root, file)}:${lineAt(at)}`);
    }
  }
  assert.deepEqual(found, [], `the domain imports its contract document (it should be the other way round):\n${found.join('\n')}`);
});
