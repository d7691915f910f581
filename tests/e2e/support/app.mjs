// Browser-test support: a fresh `wrangler dev` (workerd + local KV and
// Durable Objects) per test file, with its own state and a bootstrapped
// first admin; and headless Chromium through playwright-core. `useApp` puts
// the two together for a test file, with the file's own seed.
import { spawn, execFileSync } from 'node:child_process';
import { createServer } from 'node:net';
import { mkdirSync, openSync, readFileSync, rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { before, after } from 'node:test';
import { chromium } from 'playwright-core';

export const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');

function freePort() {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address();
      srv.close(() => resolve(port));
    });
    srv.on('error', reject);
  });
}

// The secret codec lives in the domain crate; its `mint` example is the one
// way to make a secret, here as in the run command.
function mint() {
  const out = execFileSync('cargo', ['run', '-q', '-p', 'keyward-domain', '--example', 'mint'], { cwd: root, encoding: 'utf8' });
  const [secret, hash] = out.trim().split(/\s+/);
  return { secret, hash };
}

/// `host: 'localhost'` gives the browser `http://localhost:<port>`, which
/// passkeys need (Chromium refuses WebAuthn on an IP address); wrangler
/// listens on 127.0.0.1 either way, and the test's own API calls go there.
export async function spawnApp({ vars = {}, host = '127.0.0.1' } = {}) {
  const port = await freePort();
  const inspector = await freePort();
  const dir = join(root, 'target', 'test-state', `e2e-${process.pid}-${port}`);
  mkdirSync(dir, { recursive: true });
  const logPath = join(dir, 'wrangler.log');
  const log = openSync(logPath, 'a');
  const { secret, hash } = mint();
  const direct = `http://127.0.0.1:${port}`;
  const url = `http://${host}:${port}`;
  // Both workers, the edge on --port (scripts/dev.mjs).
  const args = [join(root, 'scripts', 'dev.mjs'), '--local',
    '--ip', '127.0.0.1', '--port', String(port), '--inspector-port', String(inspector),
    '--persist-to', join(dir, 'persist'),
    '--var', `BOOTSTRAP_TOKEN_HASH:${hash}`, '--var', `PUBLIC_BASE_URL:${url}`];
  // As in the HTTP tests: the dev outbox stands in for email, and the
  // failure limiter does not cut off one test's deliberate bad tokens.
  const settings = { DEV_OUTBOX: 'true', FAILURE_LIMIT: '1000000', ...vars };
  for (const [k, v] of Object.entries(settings)) args.push('--var', `${k}:${v}`);
  const child = spawn(process.execPath, args, {
    cwd: root, detached: true, stdio: ['ignore', log, log],
    env: { ...process.env, WRANGLER_SEND_METRICS: 'false', CLOUDFLARE_CF_FETCH_ENABLED: 'false' },
  });
  let exited = false;
  child.on('exit', () => { exited = true; });
  const deadline = Date.now() + 60_000;
  for (;;) {
    // Only once our own runtime listens on this port: a port taken
    // meanwhile by another runtime answers too.
    const ours = readFileSync(logPath, 'utf8').includes(`Ready on ${direct}`);
    try {
      const r = ours && await fetch(`${direct}/api/v1/health`);
      if (r && r.ok) break;
    } catch { /* not listening yet */ }
    if (exited || Date.now() > deadline) {
      throw new Error(`wrangler did not start:\n${readFileSync(logPath, 'utf8')}`);
    }
    await new Promise((r) => setTimeout(r, 150));
  }
  const who = await fetch(`${direct}/api/v1/whoami`, { headers: { authorization: `Bearer ${secret}` } });
  if (who.status !== 200) throw new Error(`bootstrap failed: ${who.status} ${await who.text()}`);
  const stop = async () => {
    if (exited) return;
    try { process.kill(-child.pid, 'SIGINT'); } catch { /* gone */ }
    const until = Date.now() + 8000;
    while (!exited && Date.now() < until) await new Promise((r) => setTimeout(r, 50));
    try { process.kill(-child.pid, 'SIGKILL'); } catch { /* gone */ }
    rmSync(dir, { recursive: true, force: true });
  };
  // The admin secret, as a header, for API calls made by the test itself.
  const api = (path, { method = 'GET', body, secret: s = secret } = {}) =>
    fetch(`${direct}${path}`, {
      method,
      headers: { authorization: `Bearer ${s}`, ...(body ? { 'content-type': 'application/json' } : {}) },
      body: body ? JSON.stringify(body) : undefined,
    });
  return { url, direct, adminSecret: secret, api, stop, logPath };
}

/// Signs in on the sign-in page with a pasted token ("Use a master token
/// instead"): a master or user token opens a cookie session, any other
/// token is held in the tab's memory.
export async function signInWithToken(page, url, secret) {
  await page.goto(`${url}/signin`);
  await page.getByTestId('health').filter({ hasText: 'Service ok' }).waitFor();
  await page.getByTestId('signin-use-token').click();
  await page.getByTestId('signin-input').fill(secret);
  await page.getByTestId('signin-submit').click();
}

/// Goes to `path` inside the app, as a link would, without loading the
/// page afresh: a token that is no person's is held in the tab's memory
/// only, and a reload (or page.goto) signs it out.
export async function appNavigate(page, path) {
  await page.evaluate((p) => {
    history.pushState(null, '', p);
    window.dispatchEvent(new PopStateEvent('popstate', { state: null }));
  }, path);
}

/// Signs in on the sign-in page as the app's first admin (with the master
/// token printed at start-up) and waits for the tokens page.
export async function signInAsAdmin(page, app) {
  await signInWithToken(page, app.url, app.adminSecret);
  await page.waitForURL('**/tokens');
}

export async function launchBrowser() {
  return chromium.launch({
    executablePath: process.env.CHROMIUM_PATH || '/usr/bin/chromium',
    headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
      '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
}

export async function screenshot(page, name) {
  const dir = join(root, 'target', 'screenshots');
  mkdirSync(dir, { recursive: true });
  await page.screenshot({ path: join(dir, `${name}.png`), fullPage: true });
}

/// The shared set-up of a browser test file: registers the file's
/// before/after hooks, which start a fresh app (`vars`, `host` as for
/// `spawnApp`) and a browser, run `seed(app, env)` once both are up, and
/// stop both at the end. `env.app` and `env.browser` are set only once
/// `before` has run: read them inside tests, seeds and helpers, never at
/// the module's top level.
export function useApp({ vars, host, seed } = {}) {
  const env = {
    app: undefined,
    browser: undefined,
    /// A new page, 1280×900 unless `opts.viewport` says otherwise.
    async page(opts = {}) {
      return env.browser.newPage({ viewport: { width: 1280, height: 900 }, ...opts });
    },
    /// A new page signed in as the first admin, on the tokens page.
    async adminPage(opts) {
      const page = await env.page(opts);
      await signInAsAdmin(page, env.app);
      return page;
    },
  };
  before(async () => {
    env.app = await spawnApp({ vars, host });
    env.browser = await launchBrowser();
    if (seed) await seed(env.app, env);
  });
  after(async () => {
    await env.browser?.close();
    await env.app?.stop();
  });
  return env;
}
