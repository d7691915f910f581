// The deploy path offline (docs/deploy.md): `scripts/deploy --dry-run`
// bundles both workers with their production environment, as `wrangler
// deploy` would upload them, and each bundle fits Cloudflare's documented
// Worker size limits (https://developers.cloudflare.com/workers/platform/limits/#worker-size):
// 3 MB gzipped on Workers Free (10 MB on Paid), 64 MB before compression.
// Startup time (≤ 1 s) cannot be measured here. Also: the edge reaches the
// control plane by its production name, secrets are never vars, and the D1
// migrations hold the schema the worker creates. Uses the built
// worker/build*/ and dist/ (--no-build): no Rust is built, no account used.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const wrangler = createRequire(join(root, 'package.json'))('wrangler');
const production = (config) => wrangler.unstable_readConfig({ config: join(root, config), env: 'production' });
const topLevel = (config) => wrangler.unstable_readConfig({ config: join(root, config) });

// Cloudflare's limits, in decimal megabytes (the stricter reading of "MB").
const FREE_GZIP = 3_000_000;
const RAW = 64_000_000;
const kib = (n) => `${(n / 1024).toFixed(1)} KiB`;

const WORKERS = [
  // [outdir, config]: the order scripts/deploy bundles (and deploys) them.
  ['control', 'wrangler.control.toml'],
  ['edge', 'wrangler.toml'],
];
const SECRETS = ['BOOTSTRAP_TOKEN_HASH', 'RECOVERY_KEY_HASH', 'GATEWAY_SIGNING_KEY', 'EMAIL_API_KEY', 'LEAK_PARTNER_KEY_HASH'];

let out;
let run;
before(() => {
  out = mkdtempSync(join(tmpdir(), 'keyward-deploy-'));
  run = spawnSync('bash', [join(root, 'scripts', 'deploy'), '--dry-run', '--no-build', '--outdir', out], {
    cwd: root,
    encoding: 'utf8',
    env: { ...process.env, WRANGLER_SEND_METRICS: 'false', CLOUDFLARE_CF_FETCH_ENABLED: 'false', NO_COLOR: '1' },
    timeout: 120_000,
  });
});
after(() => rmSync(out, { recursive: true, force: true }));

test('scripts/deploy --dry-run bundles both workers with the production environment', () => {
  assert.equal(run.status, 0, `scripts/deploy --dry-run failed:\n${run.stdout}\n${run.stderr}`);
  for (const [dir, config] of WORKERS) {
    assert.match(run.stderr, new RegExp(`wrangler deploy --dry-run --env production -c ${config} --outdir \\S+/${dir}`));
    const files = readdirSync(join(out, dir));
    assert.ok(files.includes('index.js'), `${dir}: no index.js in ${files}`);
    assert.ok(files.some((f) => f.endsWith('.wasm')), `${dir}: no wasm module in ${files}`);
  }
  assert.equal((run.stdout.match(/--dry-run: exiting now\./g) ?? []).length, 2, run.stdout);
});

// What wrangler reports for each bundle, in order: "Total Upload: X KiB / gzip: Y KiB".
const reported = () =>
  [...run.stdout.matchAll(/Total Upload: ([\d.]+) KiB \/ gzip: ([\d.]+) KiB/g)].map((m) => ({
    raw: Number(m[1]) * 1024,
    gzip: Number(m[2]) * 1024,
  }));

WORKERS.forEach(([dir], i) => {
  test(`the ${dir} bundle is under 3 MB gzipped (Workers Free) and 64 MB raw`, () => {
    assert.equal(run.status, 0, 'the dry run failed');
    // The upload is the modules: index.js and the wasm (not the source
    // map, not wrangler's README); gzipped together, as wrangler counts.
    const files = readdirSync(join(out, dir)).filter((f) => /\.(m?js|wasm)$/.test(f));
    const bytes = Buffer.concat(files.map((f) => readFileSync(join(out, dir, f))));
    const gz = gzipSync(bytes).length;
    console.log(`${dir}: ${kib(gz)} gzipped, ${kib(bytes.length)} raw (${files.join(', ')})`);
    assert.ok(gz < FREE_GZIP, `${dir} is ${kib(gz)} gzipped: over the Workers Free limit of 3 MB`);
    assert.ok(bytes.length < RAW, `${dir} is ${kib(bytes.length)} raw: over the 64 MB limit`);
    // The same as wrangler's own count of what it would upload.
    const w = reported()[i];
    assert.ok(w, `wrangler reported no size for ${dir}`);
    assert.ok(Math.abs(w.raw - bytes.length) / w.raw < 0.01, `${dir}: wrangler counts ${kib(w.raw)} raw, the outdir ${kib(bytes.length)}`);
    assert.ok(Math.abs(w.gzip - gz) / w.gzip < 0.02, `${dir}: wrangler counts ${kib(w.gzip)} gzipped, the outdir ${kib(gz)}`);
  });
});

test("the edge reaches the control plane by the control plane's production name", () => {
  const control = production('wrangler.control.toml');
  const edge = production('wrangler.toml');
  assert.equal(control.name, 'keyward', 'the control plane keeps its name in production');
  assert.equal(edge.name, 'keyward-edge', 'the edge keeps its name in production');
  assert.deepEqual(edge.services, [{ binding: 'CONTROL', service: control.name }]);
  for (const b of edge.durable_objects.bindings) assert.equal(b.script_name, control.name, `${b.name}'s script_name`);
  const objects = control.durable_objects.bindings.map((b) => b.class_name);
  for (const b of edge.durable_objects.bindings) assert.ok(objects.includes(b.class_name), `the control plane defines ${b.class_name}`);
  // And so the dry run says: the edge's bindings as wrangler would upload them.
  const edgeOut = run.stdout.slice(run.stdout.lastIndexOf('Total Upload'));
  assert.match(edgeOut, new RegExp(`env\\.CONTROL \\(${control.name}\\)\\s+Worker`));
  assert.match(edgeOut, new RegExp(`env\\.RATE_LIMITER \\(RateLimiter, defined in ${control.name}\\)`));
});

test('production has every binding of the local run, and the queue and database the control plane consumes', () => {
  for (const [, config] of WORKERS) {
    const local = topLevel(config);
    const prod = production(config);
    const names = (c) =>
      [...c.kv_namespaces, ...c.d1_databases, ...(c.queues.producers ?? []), ...c.services]
        .map((b) => b.binding)
        .concat(c.durable_objects.bindings.map((b) => b.name))
        .sort();
    assert.deepEqual(names(prod), names(local), `${config}: production's bindings`);
    assert.deepEqual(Object.keys(prod.vars).sort(), Object.keys(local.vars).sort(), `${config}: production's vars`);
    assert.equal(prod.main, local.main);
    assert.equal(prod.d1_databases[0].migrations_dir, 'migrations');
  }
  const control = production('wrangler.control.toml');
  assert.equal(control.queues.consumers[0].queue, control.queues.producers[0].queue);
  assert.deepEqual(control.triggers.crons, topLevel('wrangler.control.toml').triggers.crons);
  assert.equal(control.migrations.length, topLevel('wrangler.control.toml').migrations.length);
});

test('secrets are never vars (Cloudflare refuses a name that is both)', () => {
  for (const [, config] of WORKERS) {
    for (const c of [production(config), topLevel(config)]) {
      for (const s of SECRETS) assert.ok(!(s in c.vars), `${config} has ${s} in its vars`);
    }
  }
});

test('no [build] command: a dry run or a deploy never rebuilds the workers', () => {
  for (const [, config] of WORKERS) {
    for (const c of [production(config), topLevel(config)]) {
      assert.ok(!c.build?.command, `${config} runs ${c.build?.command}`);
    }
  }
});

// The tables, columns and indexes of a local D1 database (wrangler d1
// execute), with D1's and SQLite's own left out.
const SCHEMA = `SELECT m.name AS object, 'column' AS kind, c.name AS name, c.type AS type, c."notnull" AS not_null, c.pk AS pk
  FROM sqlite_master m JOIN pragma_table_info(m.name) c
  WHERE m.type = 'table' AND m.name NOT LIKE 'sqlite_%' AND m.name NOT LIKE 'd1_%' AND m.name NOT LIKE '_cf_%'
UNION ALL
SELECT m.name, 'index on ' || m.tbl_name, i.name, i.seqno, NULL, NULL
  FROM sqlite_master m JOIN pragma_index_info(m.name) i
  WHERE m.type = 'index' AND m.name NOT LIKE 'sqlite_%' AND m.tbl_name NOT LIKE 'd1_%' AND m.tbl_name NOT LIKE '_cf_%'
ORDER BY 1, 2, 3`;

function d1(persist, ...args) {
  const r = spawnSync(
    process.execPath,
    [join(root, 'node_modules', 'wrangler', 'bin', 'wrangler.js'), 'd1', ...args, 'keyward-audit', '--local',
      '--persist-to', persist, '-c', join(root, 'wrangler.control.toml')],
    { cwd: root, encoding: 'utf8', env: { ...process.env, WRANGLER_SEND_METRICS: 'false', CI: '1' }, timeout: 60_000 },
  );
  assert.equal(r.status, 0, `wrangler d1 ${args[0]} failed:\n${r.stdout}\n${r.stderr}`);
  return r.stdout;
}
const schema = (persist) => {
  const out = d1(persist, 'execute', '--json', '--command', SCHEMA);
  return JSON.parse(out.slice(out.indexOf('[')))[0].results;
};

test('the D1 migrations (migrations/) make the schema the worker creates', () => {
  // What the worker runs on a fresh store (worker/src/audit/d1.rs, db()).
  const source = readFileSync(join(root, 'worker', 'src', 'audit', 'd1.rs'), 'utf8');
  const created = [...source.matchAll(/"(CREATE (?:TABLE|INDEX) IF NOT EXISTS [^"]+)"/g)].map((m) => m[1]);
  assert.ok(created.length >= 2, 'found no CREATE statements in worker/src/audit/d1.rs');
  const byWorker = join(out, 'd1-worker');
  d1(byWorker, 'execute', '--command', created.join('; '));
  // What `wrangler d1 migrations apply` makes (scripts/deploy, --remote there).
  const byMigrations = join(out, 'd1-migrations');
  d1(byMigrations, 'migrations', 'apply');
  const worker = schema(byWorker);
  const migrations = schema(byMigrations);
  assert.ok(worker.some((r) => r.object === 'audit'), `no audit table: ${JSON.stringify(worker)}`);
  assert.deepEqual(
    migrations,
    worker,
    'migrations/ and worker/src/audit/d1.rs make different schemas: a change to the worker\'s schema needs a new migrations/NNNN_….sql',
  );
});
