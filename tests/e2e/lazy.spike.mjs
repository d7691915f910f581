// Spike: sign in, then visit lazy routes; record which wasm files the browser fetched and when,
// console errors, and whether each page rendered. Also CSP as served by wrangler (dist/_headers).
import { spawnApp, launchBrowser, signInAsAdmin } from './support/app.mjs';
const app = await spawnApp();
const browser = await launchBrowser();
try {
  const page = await browser.newPage();
  const log = [];
  page.on('console', (m) => { if (m.type() === 'error' || m.type() === 'warning') log.push(`console.${m.type()}: ${m.text()}`); });
  page.on('pageerror', (e) => log.push(`pageerror: ${e.message}`));
  page.on('requestfinished', (r) => { const u = new URL(r.url()); if (/\.(wasm|js)$/.test(u.pathname)) log.push(`fetched ${u.pathname}`); });
  page.on('requestfailed', (r) => log.push(`FAILED ${r.url()} ${r.failure()?.errorText}`));
  const csp = (await fetch(`${app.url}/signin`)).headers.get('content-security-policy');
  console.log('CSP served:', csp?.slice(0, 200));
  await page.goto(`${app.url}/signin`);
  await page.getByTestId('signin-input').waitFor();
  log.push('--- sign-in drawn');
  await signInAsAdmin(page, app);
  await page.getByRole('heading', { level: 1 }).first().waitFor({ timeout: 20000 });
  log.push(`--- /tokens drawn: h1="${await page.getByRole('heading', { level: 1 }).first().textContent()}"`);
  for (const [nav, path] of [['nav-audit', '/audit'], ['nav-members', '/members'], ['nav-personas', '/personas'], ['nav-tokens', '/tokens']]) {
    await page.getByTestId(nav).first().click();
    await page.waitForURL(`**${path}`);
    await page.waitForTimeout(1500);
    log.push(`--- ${path}: h1="${await page.locator('main h1').first().textContent({ timeout: 10000 }).catch((e) => 'NONE ' + e.message.split('\n')[0])}"`);
  }
  console.log(log.join('\n'));
} finally {
  await browser.close(); await app.stop();
}
