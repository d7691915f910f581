// Issue 8 end to end, in a browser: personas linked to tokens as a
// complete set (Atlan), members with personal keys that act as them
// (Dataiku), and projects with project tokens and global keys. Each step
// is done through the pages and confirmed through the API.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { useApp, screenshot } from './support/app.mjs';

const BUCKET = 'ppl-data';

const env = useApp({
  seed: async (app) => {
    const r = await app.api('/api/v1/buckets', { method: 'POST', body: { id: BUCKET } });
    assert.equal(r.status, 201, `create bucket: ${await r.text()}`);
    for (const [id, name] of [['alpha', 'Alpha'], ['beta', 'Beta']]) {
      const p = await app.api('/api/v1/projects', { method: 'POST', body: { id, name } });
      assert.equal(p.status, 201, `create project ${id}: ${await p.text()}`);
    }
  },
});

async function json(r, status = 200) {
  const text = await r.text();
  assert.equal(r.status, status, text);
  return text ? JSON.parse(text) : null;
}
const whoami = async (secret) => json(await env.app.api('/api/v1/whoami', { secret }));
const held = (who, service) => (who.permissions.find((s) => s.service === service)?.permissions ?? [])
  .map((p) => `${p.permission}@${p.resources.join(',')}`);

async function signIn(page, secret) {
  await page.goto(`${env.app.url}/signin`);
  await page.getByTestId('health').filter({ hasText: 'Service ok' }).waitFor();
  await page.getByTestId('signin-use-token').click();
  await page.getByTestId('signin-input').fill(secret);
  await page.getByTestId('signin-submit').click();
}

async function adminPage(width = 1440) {
  const context = await env.browser.newContext({ viewport: { width, height: 900 } });
  const page = await context.newPage();
  await signIn(page, env.app.adminSecret);
  await page.waitForURL('**/tokens');
  return { context, page };
}

async function noSidewaysOverflow(page) {
  const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
  assert.ok(overflow <= 0, `page is ${overflow}px wider than the screen`);
}

async function createPersona(page, name, tick) {
  await page.getByTestId('new-persona').click();
  const form = page.getByTestId('persona-form');
  await form.waitFor();
  await form.getByTestId('persona-name-input').fill(name);
  await form.getByTestId('persona-description').fill(`${name}, made in the browser`);
  await tick(form);
  await form.getByTestId('persona-submit').click();
  await page.getByTestId('persona-done').filter({ hasText: name }).waitFor();
  await page.getByTestId('persona-row').filter({ hasText: name }).waitFor();
}

async function personaByName(name) {
  const { items } = await json(await env.app.api('/api/v1/personas'));
  const p = items.find((x) => x.name === name);
  assert.ok(p, `persona ${name} exists`);
  return p;
}

let linkedToken; let readers; let auditors;

test('personas link to a token as a complete set: unticking one unlinks it', async () => {
  const { app } = env;
  // A token with no grants of its own; everything will come from personas.
  const issued = await json(await app.api('/api/v1/tokens', {
    method: 'POST', body: { name: 'atlan token' },
  }), 201);
  linkedToken = issued;
  const { context, page } = await adminPage();
  await page.getByTestId('nav-personas').click();
  await page.waitForURL('**/personas');
  await page.getByTestId('personas-empty').waitFor();

  await createPersona(page, 'Readers', async (form) => {
    await form.getByTestId('level-storage-write').selectOption('read');
    await form.getByTestId('scope-storage-read-all').check();
    assert.equal(await form.getByTestId('summary').innerText(), 'Read all buckets; nothing else');
  });
  await createPersona(page, 'Auditors', async (form) => {
    await form.getByTestId('grant-audit-read').check();
  });
  readers = await personaByName('Readers');
  auditors = await personaByName('Auditors');
  assert.deepEqual(readers.grants, [{ service: 'storage', permission: 'read', resource: '*' }]);
  assert.deepEqual(auditors.grants, [{ service: 'audit', permission: 'read' }]);
  const row = page.getByTestId('persona-row').filter({ hasText: 'Readers' });
  assert.equal(await row.getByTestId('persona-summary').innerText(), 'Read all buckets; nothing else');
  assert.equal(await row.getByTestId('persona-linked').innerText(), '0 tokens');
  await screenshot(page, 'personas');

  // Link both in the token editor; the summary follows every tick.
  await page.goto(`${app.url}/tokens/${issued.token.id}`);
  await page.getByTestId('edit-token').click();
  const form = page.getByTestId('token-form');
  await form.waitFor();
  assert.equal(await form.getByTestId('personas-note').innerText(),
    'Linked personas are a complete set: any persona you untick is unlinked when you save.');
  assert.match(await form.getByTestId('summary').innerText(), /^Nothing/i);
  await form.getByTestId(`persona-${readers.id}`).check();
  await form.getByTestId('summary').filter({ hasText: 'Read all buckets' }).waitFor();
  await form.getByTestId(`persona-${auditors.id}`).check();
  const both = await form.getByTestId('summary').innerText();
  assert.match(both, /Read all buckets/);
  assert.match(both, /audit log/);
  assert.match(await form.getByTestId('summary-sources').innerText(), /Readers, Auditors/);
  await screenshot(page, 'token-personas-edit');
  await form.getByTestId('token-submit').click();
  await page.getByTestId('token-personas').filter({ hasText: 'Readers, Auditors' }).waitFor();
  assert.match(await page.getByTestId('detail-summary').innerText(), /audit log/);
  assert.match(await page.getByTestId('detail-persona-note').innerText(), /Readers, Auditors/);

  let token = await json(await app.api(`/api/v1/tokens/${issued.token.id}`));
  assert.deepEqual([...token.personas].sort(), [readers.id, auditors.id].sort());
  let who = await whoami(issued.secret);
  assert.deepEqual(held(who, 'storage'), ['read@*']);
  assert.deepEqual(held(who, 'audit'), ['read@']);

  // Untick Auditors and save: it is unlinked, and the token loses audit:read.
  await page.getByTestId('edit-token').click();
  await form.waitFor();
  assert.ok(await form.getByTestId(`persona-${auditors.id}`).isChecked());
  await form.getByTestId(`persona-${auditors.id}`).uncheck();
  await form.getByTestId('summary').filter({ hasText: 'Read all buckets; nothing else' }).waitFor();
  await form.getByTestId('token-submit').click();
  await page.getByTestId('token-personas').filter({ hasText: /^Readers$/ }).waitFor();
  token = await json(await app.api(`/api/v1/tokens/${issued.token.id}`));
  assert.deepEqual(token.personas, [readers.id]);
  who = await whoami(issued.secret);
  assert.deepEqual(held(who, 'audit'), [], 'audit:read went with the persona');
  assert.deepEqual(held(who, 'storage'), ['read@*']);

  // The personas page counts the link; its link lists the linking tokens.
  await page.getByTestId('nav-personas').click();
  const readersRow = page.getByTestId('persona-row').filter({ hasText: 'Readers' });
  await readersRow.getByTestId('persona-linked').filter({ hasText: '1 token' }).waitFor();
  await readersRow.getByTestId('persona-linked').click();
  await page.getByTestId('persona-filter').waitFor();
  await page.getByTestId('token-row').filter({ hasText: 'atlan token' }).waitFor();
  assert.equal(await page.getByTestId('token-row').count(), 1);
  await context.close();
});

test('deleting a linked persona asks first, then unlinks it from its tokens', async () => {
  const { app } = env;
  const { context, page } = await adminPage();
  await page.goto(`${app.url}/personas`);
  const row = page.getByTestId('persona-row').filter({ hasText: 'Readers' });
  await row.getByTestId('persona-delete').click();
  const dialog = page.getByTestId('persona-delete-dialog');
  await dialog.waitFor();
  assert.match(await dialog.getByTestId('persona-delete-warning').innerText(), /1 token links this persona.*unlinks it/s);
  await screenshot(page, 'persona-delete-dialog');
  // Cancel keeps it.
  await dialog.getByTestId('persona-delete-cancel').click();
  assert.equal(await dialog.count(), 0);
  assert.equal((await app.api(`/api/v1/personas/${readers.id}`)).status, 200);
  await row.getByTestId('persona-delete').click();
  await dialog.getByTestId('persona-delete-confirm').click();
  await page.getByTestId('persona-done').filter({ hasText: 'Readers' }).waitFor();
  await page.getByTestId('persona-row').filter({ hasText: 'Readers' }).waitFor({ state: 'detached' });
  await page.getByTestId('persona-row').filter({ hasText: 'Auditors' }).waitFor();

  assert.equal((await app.api(`/api/v1/personas/${readers.id}`)).status, 404);
  const token = await json(await app.api(`/api/v1/tokens/${linkedToken.token.id}`));
  assert.deepEqual(token.personas, []);
  const who = await whoami(linkedToken.secret);
  assert.deepEqual(held(who, 'storage'), [], 'the persona\'s grants are gone');
  await page.goto(`${app.url}/tokens/${linkedToken.token.id}`);
  await page.getByTestId('token-personas').filter({ hasText: 'None' }).waitFor();
  await context.close();
});

test('a member is invited, accepts, makes a personal key that follows their permissions', async () => {
  const { app, browser } = env;
  const EMAIL = 'ann@example.com';
  const { context, page } = await adminPage();
  await page.getByTestId('nav-members').click();
  await page.waitForURL('**/members');
  await page.getByTestId('members-empty').waitFor();
  await page.getByTestId('invite-member').click();
  const dialog = page.getByTestId('invite-dialog');
  await dialog.waitFor();
  await dialog.getByTestId('member-email-input').fill(EMAIL);
  await dialog.getByTestId('member-name-input').fill('Ann Example');
  await dialog.getByTestId('member-message').fill('Welcome to the data team.');
  assert.equal(await dialog.getByTestId('member-project').inputValue(), 'default');
  await dialog.getByTestId('level-storage-write').selectOption('read');
  await dialog.getByTestId('scope-storage-read-all').check();
  await dialog.getByTestId('grant-audit-read').check();
  await dialog.getByTestId(`persona-${auditors.id}`).check();
  assert.match(await dialog.getByTestId('summary').innerText(), /Read all buckets.*audit log/s);
  await screenshot(page, 'member-invite');
  await dialog.getByTestId('invite-submit').click();
  await page.getByTestId('member-done').filter({ hasText: `Invitation sent to ${EMAIL}` }).waitFor();
  const row = page.getByTestId('member-row').filter({ hasText: EMAIL });
  await row.getByTestId('member-status').filter({ hasText: 'Invited' }).waitFor();

  const { items: members } = await json(await app.api('/api/v1/members'));
  const member = members.find((m) => m.email === EMAIL);
  assert.equal(member.status, 'invited');
  assert.deepEqual(member.personas, [auditors.id]);

  // The email, from the dev outbox.
  const { items: mails } = await json(await app.api('/api/v1/outbox'));
  // (The member also gets an enrolment email, for a passkey.)
  const mail = mails.find((m) => m.to === EMAIL && /\/invite\//.test(m.text));
  assert.ok(mail, 'an invitation email');
  const link = mail.text.match(/https?:\/\/\S+\/invite\/[^\s.,;)]+/)?.[0];
  assert.ok(link, mail.text);

  // The member accepts in their own browser.
  const mc = await browser.newContext({ viewport: { width: 1440, height: 900 } });
  const mp = await mc.newPage();
  await mp.goto(link);
  await mp.getByTestId('invite-accept').click();
  const userSecret = (await mp.getByTestId('secret-text').innerText()).trim();
  assert.match(userSecret, /^kw_u_/);
  await mp.getByTestId('invite-open-console').click();
  await mp.waitForURL('**/console');
  await mp.getByTestId('console-profile-link').click();
  await mp.waitForURL('**/profile');
  assert.equal(await mp.getByTestId('nav-profile').getAttribute('aria-current'), 'page');
  await mp.getByTestId('profile-name').filter({ hasText: 'Ann Example' }).waitFor();
  assert.equal(await mp.getByTestId('profile-email').innerText(), EMAIL);
  assert.match(await mp.getByTestId('profile-summary').innerText(), /Read all buckets.*audit log/s);
  // The persona they hold through, by name (the API shows a member only theirs).
  await mp.getByTestId('profile-personas').filter({ hasText: auditors.name }).waitFor();
  await mp.getByTestId('keys-empty').waitFor();

  // A personal key: the secret once, with a copy button.
  await mp.getByTestId('key-create').click();
  await mp.getByTestId('key-error-name').filter({ hasText: /name/ }).waitFor();
  await mp.getByTestId('key-name-input').fill('laptop');
  await mp.getByTestId('key-expiry').selectOption('7');
  await mp.getByTestId('key-create').click();
  const keySecret = (await mp.getByTestId('secret-text').innerText()).trim();
  assert.match(keySecret, /^kw_p_/);
  assert.equal(await mp.getByTestId('copy-secret').count(), 1);
  await mp.getByTestId('key-row').filter({ hasText: 'laptop' }).waitFor();
  await screenshot(mp, 'profile');
  await mp.setViewportSize({ width: 375, height: 800 });
  await noSidewaysOverflow(mp);
  await screenshot(mp, 'profile-375');
  await mp.setViewportSize({ width: 1440, height: 900 });

  // The key acts as the member: the same permissions.
  const userWho = await whoami(userSecret);
  const keyWho = await whoami(keySecret);
  assert.deepEqual(keyWho.permissions, userWho.permissions);
  assert.equal(keyWho.acting_as, userWho.token.client_id);
  assert.deepEqual(held(keyWho, 'audit'), ['read@']);
  const keys = await json(await app.api(`/api/v1/members/${member.id}/keys`));
  assert.equal(keys.items.length, 1);
  const keyDays = (Date.parse(keys.items[0].expires_at) - Date.now()) / 86_400_000;
  assert.ok(keyDays > 6.9 && keyDays <= 7, `a 7-day key, got ${keyDays}`);

  // The admin removes audit:read from the member (grant and persona): the
  // key loses it at once.
  await page.reload();
  await row.getByTestId('member-status').filter({ hasText: 'Active' }).waitFor();
  await row.getByTestId('member-keys').filter({ hasText: '1 key' }).click();
  await page.getByTestId('member-keys-panel').getByTestId('key-row').filter({ hasText: 'laptop' }).waitFor();
  await row.getByTestId('member-edit').click();
  const edit = page.getByTestId('member-form');
  await edit.waitFor();
  await edit.getByTestId('grant-audit-read').uncheck();
  await edit.getByTestId(`persona-${auditors.id}`).uncheck();
  await edit.getByTestId('summary').filter({ hasText: 'Read all buckets; nothing else' }).waitFor();
  await edit.getByTestId('member-save').click();
  await page.getByTestId('member-done').filter({ hasText: 'saved' }).waitFor();
  await row.getByTestId('member-summary').filter({ hasText: 'Read all buckets; nothing else' }).waitFor();
  await screenshot(page, 'members');
  const after = await whoami(keySecret);
  assert.deepEqual(held(after, 'audit'), [], 'the key lost audit:read with its member');
  assert.deepEqual(held(after, 'storage'), ['read@*']);

  // The member sees it on their profile; and deletes the key.
  await mp.reload();
  await mp.getByTestId('profile-summary').filter({ hasText: 'Read all buckets; nothing else' }).waitFor();
  const keyRow = mp.getByTestId('key-row').filter({ hasText: 'laptop' });
  await keyRow.getByTestId('key-delete').click();
  await keyRow.getByTestId('key-delete-confirm').click();
  await mp.getByTestId('keys-empty').waitFor();
  assert.equal((await app.api('/api/v1/whoami', { secret: keySecret })).status, 401);
  await mc.close();

  // Removing the member: the user token stops working.
  await row.getByTestId('member-delete').click();
  await page.getByTestId('member-delete-dialog').getByTestId('member-delete-confirm').click();
  await page.getByTestId('members-empty').waitFor();
  assert.equal((await app.api('/api/v1/whoami', { secret: userSecret })).status, 401);
  await context.close();
});

test('projects: the header switcher, a project token, and a global key with per-project grants', async () => {
  const { app, browser } = env;
  const { context, page } = await adminPage();
  const switcher = page.getByTestId('project-switcher');
  assert.equal(await switcher.inputValue(), 'default');
  // A project made on the projects page shows up in the switcher.
  await page.getByTestId('nav-projects').click();
  await page.getByTestId('project-row').filter({ hasText: 'beta' }).waitFor();
  await page.getByTestId('project-id').fill('Gamma!');
  await page.getByTestId('project-name').fill('Gamma');
  await page.getByTestId('project-create').click();
  await page.getByTestId('form-error').waitFor();
  await page.getByTestId('project-id').fill('gamma');
  await page.getByTestId('project-create').click();
  await page.getByTestId('project-created').filter({ hasText: 'gamma' }).waitFor();
  await page.getByTestId('project-row').filter({ hasText: 'gamma' }).waitFor();
  await switcher.locator('option[value="gamma"]').waitFor({ state: 'attached' });
  const { items: projects } = await json(await app.api('/api/v1/projects'));
  assert.ok(projects.some((p) => p.id === 'gamma' && p.name === 'Gamma'));
  await page.getByTestId('nav-tokens').click();
  await switcher.locator('option[value="beta"]').waitFor({ state: 'attached' });
  await switcher.selectOption('beta');
  assert.equal(await page.evaluate(() => sessionStorage.getItem('keyward.project')), 'beta');
  await page.getByTestId('tokens-empty').filter({ hasText: 'No tokens in this project' }).waitFor();
  assert.equal(await page.getByTestId('token-project-filter').inputValue(), 'beta');

  // A project token, made in the switcher's project.
  await page.getByTestId('new-token').click();
  assert.equal(await page.getByTestId('token-project').inputValue(), 'beta');
  await page.getByTestId('token-name').fill('beta reader');
  await page.getByTestId('level-storage-write').selectOption('read');
  await page.getByTestId('scope-storage-read-all').check();
  await page.getByTestId('token-submit').click();
  const betaSecret = (await page.getByTestId('secret-text').innerText()).trim();
  await page.getByTestId('nav-tokens').click();
  const betaRow = page.getByTestId('token-row').filter({ hasText: 'beta reader' });
  await betaRow.waitFor();
  assert.equal(await betaRow.getByTestId('token-project').innerText(), 'beta');
  assert.equal(await page.getByTestId('token-row').count(), 1, 'only beta\'s tokens');
  await screenshot(page, 'tokens-beta');
  const { items } = await json(await app.api('/api/v1/tokens?project=beta'));
  assert.deepEqual(items.map((t) => t.name), ['beta reader']);
  assert.equal(items[0].project, 'beta');
  const betaWho = await whoami(betaSecret);
  assert.equal(betaWho.project, 'beta');
  // A beta token cannot reach the default project.
  assert.equal((await app.api(`/api/v1/projects/default/buckets`, { secret: betaSecret })).status, 403);

  // A global key: read in alpha, write in beta.
  await page.getByTestId('new-token').click();
  await page.getByTestId('token-name').fill('global key');
  await page.getByTestId('scope-global').check();
  assert.ok(!(await page.getByTestId('token-global-admin').isChecked()));
  await page.getByTestId('project-grant-alpha').check();
  await page.getByTestId('project-grant-beta').check();
  const alpha = page.getByTestId('project-grid-alpha');
  const beta = page.getByTestId('project-grid-beta');
  await alpha.getByTestId('level-storage-write').selectOption('read');
  await alpha.getByTestId('scope-storage-read-all').check();
  await beta.getByTestId('level-storage-write').selectOption('write');
  await beta.getByTestId('scope-storage-write-all').check();
  assert.equal(await alpha.getByTestId('summary').innerText(), 'Read all buckets; nothing else');
  assert.match(await beta.getByTestId('summary').innerText(), /Read and write all buckets/);
  // The radios of one project's grid do not disturb the other's.
  assert.ok(await alpha.getByTestId('scope-storage-read-all').isChecked());
  await screenshot(page, 'global-key-form');
  await page.getByTestId('token-submit').click();
  const globalSecret = (await page.getByTestId('secret-text').innerText()).trim();
  assert.match(globalSecret, /^kw_g_/);

  const { items: found } = await json(await app.api('/api/v1/tokens?q=global%20key'));
  const key = found.find((t) => t.name === 'global key');
  assert.equal(key.kind, 'global');
  assert.equal(key.project, null);
  assert.equal(key.global_admin, false);
  assert.deepEqual(key.project_grants, {
    alpha: [{ service: 'storage', permission: 'read', resource: '*' }],
    beta: [{ service: 'storage', permission: 'write', resource: '*' }],
  });
  const gw = await whoami(globalSecret);
  const inProject = (p) => held(gw.projects.find((x) => x.project === p), 'storage');
  assert.deepEqual(inProject('alpha'), ['read@*']);
  assert.deepEqual(inProject('beta'), ['read@*', 'write@*']);

  // The list shows it as Global under "All projects"; the detail per project.
  await page.getByTestId('nav-tokens').click();
  await page.getByTestId('token-project-filter').selectOption('');
  const globalRow = page.getByTestId('token-row').filter({ hasText: 'global key' });
  await globalRow.waitFor();
  assert.equal(await globalRow.getByTestId('token-project').innerText(), 'Global');
  await globalRow.locator('a.token-name').click();
  await page.getByTestId('token-project-view').filter({ hasText: 'Global' }).waitFor();
  assert.match(await page.getByTestId('detail-project-beta').innerText(), /write all buckets/);

  // The global key's console offers its projects; it may write only in beta.
  for (const [p, id] of [['alpha', 'alpha-data'], ['beta', 'beta-data']]) {
    await json(await app.api(`/api/v1/projects/${p}/buckets`, { method: 'POST', body: { id } }), 201);
  }
  const gc = await browser.newContext({ viewport: { width: 1440, height: 900 } });
  const gp = await gc.newPage();
  await signIn(gp, globalSecret);
  await gp.waitForURL('**/console');
  await gp.getByTestId('console-project').filter({ hasText: 'alpha' }).waitFor();
  await gp.getByTestId('console-bucket').filter({ hasText: 'alpha-data' }).waitFor();
  assert.deepEqual(await gp.getByTestId('console-bucket').allInnerTexts(), ['alpha-data']);
  await gp.getByTestId('console-mode').filter({ hasText: 'may not change them' }).waitFor();
  assert.equal(await gp.getByTestId('upload-form').count(), 0);
  await gp.getByTestId('console-project-select').selectOption('beta');
  await gp.getByTestId('console-project').filter({ hasText: 'beta' }).waitFor();
  await gp.getByTestId('console-bucket').filter({ hasText: 'beta-data' }).waitFor();
  await gp.getByTestId('upload-form').waitFor();
  await gp.getByTestId('upload-file').setInputFiles({
    name: 'g.txt', mimeType: 'text/plain', buffer: Buffer.from('from the global key\n'),
  });
  await gp.getByTestId('upload-submit').click();
  await gp.getByTestId('object-row').filter({ hasText: 'g.txt' }).waitFor();
  const stored = await app.api('/api/v1/projects/beta/buckets/beta-data/objects/g.txt');
  assert.equal(await stored.text(), 'from the global key\n');
  await screenshot(gp, 'console-global-key');
  await gc.close();

  // Editing the global key: its per-project grants are a complete set.
  await page.getByTestId('edit-token').click();
  assert.ok(await page.getByTestId('project-grant-alpha').isChecked());
  assert.equal(await page.getByTestId('scope-global').count(), 0, 'a token never changes kind');
  await page.getByTestId('project-grant-alpha').uncheck();
  await page.getByTestId('token-submit').click();
  await page.getByTestId('detail-project-beta').waitFor();
  await page.getByTestId('detail-project-alpha').waitFor({ state: 'detached' });
  const edited = await json(await app.api(`/api/v1/tokens/${key.id}`));
  assert.deepEqual(Object.keys(edited.project_grants), ['beta']);
  const gw2 = await whoami(globalSecret);
  assert.deepEqual(gw2.projects.map((p) => p.project), ['beta']);

  // The admin's console follows the header's project.
  await page.getByTestId('nav-console').click();
  await page.getByTestId('console-project').filter({ hasText: 'beta' }).waitFor();
  await page.setViewportSize({ width: 375, height: 800 });
  // On a phone the navigation is behind the menu button.
  await page.getByTestId('menu-toggle').click();
  await page.getByTestId('nav-tokens').click();
  await page.getByTestId('token-row').first().waitFor();
  await noSidewaysOverflow(page);
  await screenshot(page, 'tokens-375');
  await context.close();
});
