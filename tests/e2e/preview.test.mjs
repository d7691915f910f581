// The blast-radius "Preview" step in the app (issue 18): editing a persona
// that tokens link shows, before saving, which tokens gain or lose which
// permissions and which gateway routes change; the saved change then does
// exactly that. Deleting a linked persona shows what unlinking takes away.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { useApp, screenshot } from './support/app.mjs';

const env = useApp();

const json = async (r) => { assert.ok(r.ok, `${r.status} ${await r.clone().text()}`); return r.json(); };

async function reads(tokenId, bucket) {
  const e = await json(await env.app.api(`/api/v1/tokens/${tokenId}/explain`, {
    method: 'POST', body: { service: 'storage', permission: 'read', resource: bucket },
  }));
  return e.decision;
}

test('a persona edit is previewed, then saved with exactly the previewed effect', async () => {
  const { app } = env;
  const persona = await json(await app.api('/api/v1/personas', {
    method: 'POST',
    body: { name: 'Readers', grants: [{ service: 'storage', permission: 'read', resource: 'in.c-main' }] },
  }));
  const { token } = await json(await app.api('/api/v1/tokens', {
    method: 'POST', body: { name: 'ci-reader', grants: [], personas: [persona.id] },
  }));
  assert.equal(await reads(token.id, 'out.c-other'), 'deny');

  const page = await env.adminPage();
  await page.goto(`${app.url}/personas`);
  await page.getByTestId('persona-row').filter({ hasText: 'Readers' }).getByTestId('persona-edit').click();
  const form = page.getByTestId('persona-form');
  await form.getByTestId('scope-storage-read-all').check();
  await form.getByTestId('persona-preview').click();
  const preview = form.getByTestId('blast-preview');
  await preview.waitFor();
  assert.equal(await preview.getByTestId('preview-headline').innerText(), "1 token's permissions change:");
  const row = preview.getByTestId('preview-token').filter({ hasText: 'ci-reader' });
  assert.match(await row.getByTestId('preview-gained').innerText(), /gains storage:read@\*/);
  assert.match(await row.innerText(), /\/gw\/reports\/\{bucket\}\/\{path\*\}: some calls \(in\.c-main\) → every call/);
  await screenshot(page, 'persona-preview');
  // Previewing changed nothing.
  assert.equal(await reads(token.id, 'out.c-other'), 'deny');

  // Changing the form again retires the shown preview.
  await form.getByTestId('persona-name-input').fill('Readers of all');
  await preview.waitFor({ state: 'detached' });

  await form.getByTestId('persona-submit').click();
  await page.getByTestId('persona-done').filter({ hasText: 'Readers of all' }).waitFor();
  assert.equal(await reads(token.id, 'out.c-other'), 'allow', 'the saved change is the previewed one');
  await page.close();
});

test('deleting a linked persona shows what each token loses before confirming', async () => {
  const { app } = env;
  const persona = await json(await app.api('/api/v1/personas', {
    method: 'POST',
    body: { name: 'Writers', grants: [{ service: 'storage', permission: 'write', resource: 'in.c-stage' }] },
  }));
  await json(await app.api('/api/v1/tokens', {
    method: 'POST', body: { name: 'loader', grants: [], personas: [persona.id] },
  }));
  const page = await env.adminPage();
  await page.goto(`${app.url}/personas`);
  await page.getByTestId('persona-row').filter({ hasText: 'Writers' }).getByTestId('persona-delete').click();
  const dialog = page.getByTestId('persona-delete-dialog');
  const lost = dialog.getByTestId('preview-token').filter({ hasText: 'loader' }).getByTestId('preview-lost');
  await lost.waitFor();
  assert.match(await lost.innerText(), /^loses .*storage:write@in\.c-stage/);
  assert.equal((await app.api(`/api/v1/personas/${persona.id}`)).status, 200, 'the preview deleted nothing');
  await page.close();
});

test("a member's edit is previewed on their user token, and removing them shows what it takes", async () => {
  const { app } = env;
  const { member } = await json(await app.api('/api/v1/members', {
    method: 'POST',
    body: { email: 'dana@example.com', name: 'Dana', grants: [{ service: 'storage', permission: 'read', resource: '*' }] },
  }));
  const page = await env.adminPage();
  await page.goto(`${app.url}/members`);
  const row = page.getByTestId('member-row').filter({ hasText: 'dana@example.com' });
  await row.getByTestId('member-edit').click();
  const form = page.getByTestId('member-form');
  await form.getByTestId('level-storage-write').selectOption('none');
  await form.getByTestId('member-preview').click();
  const preview = form.getByTestId('blast-preview');
  await preview.waitFor();
  const user = preview.getByTestId('preview-token');
  assert.equal(await user.count(), 1, 'their user token is the one token reached');
  assert.match(await user.getByTestId('preview-lost').innerText(), /^loses .*storage:read@\*/);
  await screenshot(page, 'member-preview');
  const now = await json(await app.api(`/api/v1/members/${member.id}`));
  assert.equal(now.grants.length, 1, 'the preview changed nothing');
  // Another change retires the preview.
  await form.getByTestId('edit-member-name').fill('Dana R.');
  await preview.waitFor({ state: 'detached' });
  await form.getByTestId('member-cancel').click();

  await row.getByTestId('member-delete').click();
  const dialog = page.getByTestId('member-delete-dialog');
  const gone = dialog.getByTestId('preview-token');
  await gone.filter({ hasText: 'deleted: it stops working' }).waitFor();
  assert.equal((await app.api(`/api/v1/members/${member.id}`)).status, 200, 'still a member');
  await dialog.getByTestId('member-delete-confirm').click();
  await row.waitFor({ state: 'detached' });
  await page.close();
});

test("a project's expiry policy is previewed: the tokens it would not admit are named", async () => {
  const { app } = env;
  await json(await app.api('/api/v1/projects', { method: 'POST', body: { id: 'ops', name: 'Night Ops' } }));
  await json(await app.api('/api/v1/tokens', { method: 'POST', body: { name: 'forever-job', project: 'ops', grants: [] } }));
  await json(await app.api('/api/v1/tokens', {
    method: 'POST', body: { name: 'nightly-job', project: 'ops', grants: [], expires_in: 86400 },
  }));
  const page = await env.adminPage();
  await page.goto(`${app.url}/projects`);
  const row = page.getByTestId('project-row').filter({ hasText: 'Night Ops' });
  await row.getByTestId('policy-edit').click();
  await row.getByTestId('policy-days').fill('30');
  await row.getByTestId('policy-never').uncheck();
  await row.getByTestId('policy-preview').click();
  const named = row.getByTestId('preview-expiry-token');
  await named.first().waitFor();
  assert.equal(await named.count(), 1);
  assert.match(await named.innerText(), /^forever-job: /);
  await screenshot(page, 'policy-preview');
  const { items } = await json(await app.api('/api/v1/projects'));
  assert.equal(items.find((p) => p.id === 'ops').expiry_policy.allow_never, true, 'the preview changed nothing');
  await page.close();
});

test('each permission on the token page says where it comes from', async () => {
  const { app } = env;
  const persona = await json(await app.api('/api/v1/personas', {
    method: 'POST',
    body: { name: 'Loaders', grants: [{ service: 'storage', permission: 'write', resource: '*' }] },
  }));
  const { token } = await json(await app.api('/api/v1/tokens', {
    method: 'POST',
    body: {
      name: 'etl',
      grants: [{ service: 'storage', permission: 'read', resource: 'in.c-main' }],
      personas: [persona.id],
    },
  }));
  const page = await env.adminPage();
  await page.goto(`${app.url}/tokens/${token.id}`);
  const chips = async (perm) => page.getByTestId(`held-storage-${perm}`).getByTestId('held-via').allInnerTexts();
  await page.getByTestId('held-storage-read').waitFor();
  // The persona chips come with the personas, which load after the token.
  await page.getByTestId('held-storage-write').getByTestId('held-via').first().waitFor();
  assert.deepEqual(await chips('read'), ['own', 'persona Loaders'], 'read: its own grant, and the persona’s write implies it');
  assert.deepEqual(await chips('write'), ['persona Loaders']);
  await page.close();
});
