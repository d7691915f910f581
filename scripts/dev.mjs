// Keyward's two workers in one `wrangler dev` (docs/architecture.md, "Two workers"): the
// edge (wrangler.toml) first, so it is the one on --port, and the control
// plane (wrangler.control.toml) beside it, reached by its service binding.
//
//   node scripts/dev.mjs [--var NAME:VALUE]… [--without '[[block]]']…
//                        [--state DIR] [any other `wrangler dev` option]…
//
// Why not plain `wrangler dev -c … -c … --var …`: wrangler gives --var (and
// --env-file) to the first worker only, and both read the same settings.
// So each --var is written into copies of both configurations (in --state,
// default: beside --persist-to), whose paths are made absolute; --without
// leaves a block out of both (the fail-closed tests' missing bindings).
// Signals reach wrangler through the process group; this exits with it.
import { spawn } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, isAbsolute, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const vars = new Map();
const without = [];
const pass = [];
let state = null;
let persist = null;
const argv = process.argv.slice(2);
for (let i = 0; i < argv.length; i++) {
  const a = argv[i];
  if (a === '--var') {
    const [k, ...v] = argv[++i].split(':');
    vars.set(k, v.join(':'));
  } else if (a === '--without') {
    without.push(argv[++i]);
  } else if (a === '--state') {
    state = argv[++i];
  } else {
    if (a === '--persist-to') persist = argv[i + 1];
    pass.push(a);
  }
}
state = resolve(state ?? (persist ? dirname(resolve(persist)) : join(root, '.wrangler')));
mkdirSync(state, { recursive: true });

/// A copy of `file` with absolute paths, without the blocks named, and
/// with `vars` set in its `[vars]` table (the last table of both files).
function configure(file, out) {
  const lines = readFileSync(join(root, file), 'utf8').split('\n');
  const kept = [];
  let skipping = false;
  let inVars = false;
  for (const line of lines) {
    const t = line.trim();
    if (t.startsWith('[')) {
      skipping = without.includes(t);
      inVars = t === '[vars]';
    }
    if (skipping) continue;
    const m = line.match(/^(\s*)(main|directory)(\s*=\s*)"([^"]*)"/);
    if (m && !isAbsolute(m[4])) {
      kept.push(`${m[1]}${m[2]}${m[3]}${JSON.stringify(join(root, m[4]))}`);
      continue;
    }
    const key = inVars && t.match(/^([A-Z0-9_]+)\s*=/);
    if (key && vars.has(key[1])) continue;
    kept.push(line);
  }
  if (vars.size) {
    if (!kept.some((l) => l.trim() === '[vars]')) kept.push('[vars]');
    for (const [k, v] of vars) kept.push(`${k} = ${JSON.stringify(v)}`);
  }
  const path = join(state, out);
  writeFileSync(path, kept.join('\n') + '\n');
  return path;
}

const edge = configure('wrangler.toml', 'wrangler.edge.toml');
const control = configure('wrangler.control.toml', 'wrangler.control.toml');
const wrangler = join(root, 'node_modules', 'wrangler', 'bin', 'wrangler.js');
// Each run its own registry of local workers: wrangler's default one is
// shared by every `wrangler dev` on the machine, by worker name, and the
// test suites run many deployments of these same two names at once.
const child = spawn(process.execPath, [wrangler, 'dev', '-c', edge, '-c', control, ...pass], {
  cwd: root,
  stdio: 'inherit',
  env: { WRANGLER_REGISTRY_PATH: join(state, 'registry'), ...process.env },
});
// SIGINT comes to the whole process group (the tests, Ctrl-C) and reaches
// wrangler by itself; a SIGTERM or SIGHUP sent to this process alone is
// passed on. Either way this waits for wrangler to finish.
process.on('SIGINT', () => {});
for (const s of ['SIGTERM', 'SIGHUP']) process.on(s, () => child.kill('SIGINT'));
child.on('exit', (code, signal) => process.exit(code ?? (signal ? 1 : 0)));
