// Every link of the documentation resolves (README.md and docs/*.md):
// a relative file exists, relative to the page that links it, and an
// anchor (`#slug`, `page.md#slug`) names a heading of that page by its
// GitHub slug. http(s) and mailto links, and anything inside a fenced
// code block or an inline code span, are not links to check. A target
// outside this repository (`../shared/API.md`, the contract beside it)
// is left alone: a clone need not have it. And the README stays a front
// door: at most 220 lines, with the test command CI runs (.ci/run).
// Reads files only, no server.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');

const pages = () => [
  join(root, 'README.md'),
  ...readdirSync(join(root, 'docs'))
    .filter((f) => f.endsWith('.md'))
    .sort()
    .map((f) => join(root, 'docs', f)),
];

// The page's lines outside fenced code blocks (``` or ~~~), each with its
// 1-based number, as written (raw) and with inline code spans blanked out.
function prose(text) {
  const out = [];
  let fence = null;
  text.split('\n').forEach((line, i) => {
    const open = line.match(/^\s{0,3}(`{3,}|~{3,})/);
    if (fence) {
      if (open && open[1][0] === fence[0] && open[1].length >= fence.length && !line.trim().slice(open[1].length).trim()) fence = null;
      return;
    }
    if (open) {
      fence = open[1];
      return;
    }
    out.push({ n: i + 1, raw: line, line: line.replace(/(`+)[^`]*?\1/g, (m) => ' '.repeat(m.length)) });
  });
  return out;
}

// GitHub's heading anchors: markup and punctuation dropped, lower case,
// spaces to hyphens; a repeated slug gets -1, -2, …
function slug(heading) {
  return heading
    .replace(/!?\[([^\]]*)\]\([^)]*\)/g, '$1') // a link keeps its text
    .replace(/<[^>]+>/g, '')
    .trim()
    .toLowerCase()
    .replace(/[^\p{L}\p{N}\p{M}\p{Pc}\- ]/gu, '')
    .replace(/ /g, '-');
}

const anchorCache = new Map();
function anchors(file) {
  if (!anchorCache.has(file)) {
    const seen = new Map();
    const set = new Set();
    for (const { raw } of prose(readFileSync(file, 'utf8'))) {
      // A heading's code spans count: `## Gateway (`/gw/*`)` is #gateway-gw.
      const h = raw.match(/^\s{0,3}#{1,6}\s+(.*?)(?:\s+#+)?\s*$/);
      if (!h) continue;
      const base = slug(h[1]);
      const count = seen.get(base) ?? 0;
      seen.set(base, count + 1);
      set.add(count ? `${base}-${count}` : base);
    }
    anchorCache.set(file, set);
  }
  return anchorCache.get(file);
}

// Every link target of a page: inline links and images `[text](target "title")`,
// reference definitions `[label]: target`, and autolinks `<target>`.
function links(file) {
  const found = [];
  for (const { n, line } of prose(readFileSync(file, 'utf8'))) {
    for (const m of line.matchAll(/\]\(\s*<?([^)\s>]*)>?(?:\s+["'(][^)]*)?\)/g)) found.push({ n, target: m[1] });
    const def = line.match(/^\s{0,3}\[[^\]]+\]:\s*<?(\S+?)>?(?:\s+["'(].*)?$/);
    if (def) found.push({ n, target: def[1] });
    for (const m of line.matchAll(/<((?:https?|mailto):[^>\s]+)>/g)) found.push({ n, target: m[1] });
  }
  return found;
}

function problem(file, target) {
  if (/^(https?:|mailto:)/i.test(target)) return null;
  if (/^[a-z][a-z0-9+.-]*:/i.test(target)) return `unexpected scheme`;
  if (target === '') return 'empty target';
  const hash = target.indexOf('#');
  const path = decodeURI(hash < 0 ? target : target.slice(0, hash));
  const anchor = hash < 0 ? null : decodeURIComponent(target.slice(hash + 1));
  const dest = path ? resolve(dirname(file), path.split('?')[0]) : file;
  const rel = relative(root, dest);
  if (rel.startsWith('..' + sep) || rel === '..') return null; // outside the repository
  if (!existsSync(dest)) return `no such file ${rel}`;
  if (anchor !== null) {
    if (statSync(dest).isDirectory() || !dest.endsWith('.md')) return `an anchor into ${rel}, which is not a markdown page`;
    if (!anchors(dest).has(anchor)) return `no heading #${anchor} in ${rel}`;
  }
  return null;
}

test('every link of README.md and docs/*.md resolves', () => {
  const broken = [];
  let checked = 0;
  for (const file of pages()) {
    for (const { n, target } of links(file)) {
      checked++;
      const why = problem(file, target);
      if (why) broken.push(`${relative(root, file)}:${n}: (${target}): ${why}`);
    }
  }
  console.log(`${checked} links in ${pages().length} pages`);
  assert.ok(checked > 0, 'found no links at all');
  assert.deepEqual(broken, [], `broken links:\n${broken.join('\n')}`);
});

test('the README is a front door with the test command', () => {
  const lines = readFileSync(join(root, 'README.md'), 'utf8').replace(/\n$/, '').split('\n');
  assert.ok(lines.length <= 220, `README.md is ${lines.length} lines, over 220: move detail into docs/`);
  assert.ok(
    lines.some((l) => l.startsWith('./scripts/test ')),
    'README.md has no line running ./scripts/test (CI runs the README\'s test command)',
  );
});
