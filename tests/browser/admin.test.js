// An administrator runs Peertrack in a phone's browser (390×844), on SQLite or PostgreSQL
// (PEERTRACK_BROWSER_DATABASE): signs in through the emailed link, adds an organisation and
// makes it an API key that is shown once and works, retries an email that failed, corrects a
// name, and erases a person whose certificate's check then says "holder details withheld".
// Every administration page passes checkPage (axe at WCAG 2.2 AA, no sideways scrolling, the
// keyboard reaching its controls).
//
//   cd tests/browser && npm ci && node --test --test-concurrency=1 admin.test.js

import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';

import { checkPage, launch } from './lib/checks.js';
import { signInByEmail } from './lib/session.js';
import { startServer } from './lib/server.js';

let server;
let browser;
let admin;

before(async () => {
  server = await startServer();
  browser = await launch();
  console.log(`# ${server.describe()}`);
});

after(async () => {
  await browser?.close();
  await server?.stop();
});

const url = (path) => `${server.base}${path}`;
const check = (page, options) => checkPage(page, { database: server.database, ...options });
const shot = (name) => (server.database === 'sqlite' || process.env.PEERTRACK_SCREENSHOTS ? name : null);
const sql = (text) => server.query(text).trim();

/** Signs `email` in through the emailed link, with the mouse; a fresh browser context. */
async function signIn(email) {
  const context = await signInByEmail(browser, server, email);
  return context;
}

async function adminPage() {
  admin ??= await signIn(server.people.newcomer);
  return admin.newPage();
}

test('the administrator finds Administration at home, and every part of it', async () => {
  const page = await adminPage();
  await page.goto(url('/home'));
  await page.getByRole('link', { name: /^Administration/ }).click();
  await page.waitForURL(url('/admin'));
  await check(page, { where: '/admin', screenshot: shot('admin'), controls: [page.getByRole('link', { name: /^Organisations/ })] });
  const parts = [
    ['Organisations', '/admin/organisations', 'Organisations', [page.getByLabel('Name of the organisation'), page.getByRole('button', { name: 'Add organisation' })]],
    ['Cohorts', '/admin/cohorts', 'Cohorts', [page.getByLabel('Programme', { exact: true }), page.getByRole('button', { name: 'Start cohort' })]],
    ['Programmes', '/admin/programmes', 'Programmes', [page.getByLabel('Programme file'), page.getByRole('button', { name: 'Publish', exact: true })]],
    ['Emails that failed', '/admin/emails', 'Emails that failed', []],
    ['People', '/admin/people', 'People', [page.getByLabel('Name or email address'), page.getByRole('button', { name: 'Find' })]],
  ];
  for (const [link, path, h1, controls] of parts) {
    await page.goto(url('/admin'));
    await page.getByRole('link', { name: new RegExp(`^${link}`) }).click();
    await page.waitForURL(url(path));
    assert.equal(await page.locator('h1').innerText(), h1);
    await check(page, { where: path, screenshot: shot(`admin-${path.split('/').pop()}`), controls });
  }
  await page.close();
});

test('a programme file with faults publishes nothing, and says why beside the upload field', async () => {
  const page = await adminPage();
  await page.goto(url('/admin/programmes'));
  const before = await page.locator('main li').count();
  await page.getByLabel('Programme file').setInputFiles({
    name: 'new-programme.toml',
    mimeType: 'application/toml',
    buffer: Buffer.from('code = "NEW"\ntitle = "A new programme"\nversion = "one"\n'),
  });
  await page.getByRole('button', { name: 'Publish', exact: true }).click();
  await page.getByText('Nothing was published.').waitFor();
  const errors = await page.locator('#file-error').innerText();
  assert.match(errors, /In the file, /);
  assert.equal(await page.getByLabel('Programme file').getAttribute('aria-invalid'), 'true');
  await check(page, { where: '/admin/programmes (a file with faults)', screenshot: shot('admin-programmes-faults'), controls: [page.getByLabel('Programme file')] });
  assert.equal(await page.locator('main li').count() - (await page.locator('#file-error li').count()), before, 'nothing was published');
  await page.close();
});

test('an organisation and its API key, shown once, which works until it is revoked', async () => {
  const page = await adminPage();
  await page.goto(url('/admin/organisations'));
  // A name is needed: the field says so and the page keeps its place.
  await page.getByRole('button', { name: 'Add organisation' }).click();
  await page.locator('#organisation-name-error').waitFor();
  assert.match(await page.locator('#organisation-name-error').innerText(), /give the organisation's name/);
  await check(page, { where: '/admin/organisations (no name)', controls: [page.getByLabel('Name of the organisation')] });

  const organisation = 'Harbour Peer Network Ltd';
  await page.getByLabel('Name of the organisation').fill(organisation);
  await page.getByRole('button', { name: 'Add organisation' }).click();
  await page.getByText('The organisation is added.').waitFor();
  const item = page.locator('li', { has: page.getByRole('heading', { name: organisation }) });
  await item.getByLabel('Name of a new key').fill('HR system');
  const [answer] = await Promise.all([
    page.waitForResponse((r) => r.url() === url('/admin/keys/new')),
    item.getByRole('button', { name: 'Make a key' }).click(),
  ]);
  assert.equal(answer.headers()['cache-control'], 'no-store');
  assert.doesNotMatch(page.url(), /ptk_/, 'the secret is not in the address');
  await page.getByText('Copy it now: we keep only a fingerprint, so it cannot be shown again').waitFor();
  const secret = (await page.locator('#secret').innerText()).trim();
  assert.match(secret, /^ptk_[A-Za-z0-9_-]{20,}$/);
  await check(page, { where: '/admin/keys/new', screenshot: shot('admin-key-once') });

  // Reloading, or going back and forward again, never shows it again.
  await page.reload();
  await page.getByText('cannot be shown again').first().waitFor();
  assert.ok(!(await page.content()).includes(secret), 'reloading shows the secret again');
  await page.goBack();
  await page.goForward();
  assert.ok(!(await page.content()).includes(secret), 'back and forward show the secret again');
  await check(page, { where: '/admin/keys/new (again)' });

  // The partner's system can use it.
  const asPartner = (key) => fetch(url('/v1/register/peer-supporters?limit=1'), { headers: { 'X-Api-Key': key } });
  assert.equal((await asPartner(secret)).status, 200);

  // Revoking asks first, naming the key.
  await page.goto(url('/admin/organisations'));
  await item.getByRole('link', { name: /^Revoke/ }).click();
  await page.getByRole('heading', { level: 1, name: 'Revoke HR system?' }).waitFor();
  await check(page, { where: 'revoke a key', controls: [page.getByRole('button', { name: 'Revoke HR system' })] });
  await page.getByRole('button', { name: 'Revoke HR system' }).click();
  await page.getByText('The key is revoked').waitFor();
  await item.getByText(/^Revoked /).waitFor();
  assert.equal((await asPartner(secret)).status, 401);
  await page.close();
});

test('an email that failed is sent again with Retry', async () => {
  // The mail server refused an email for good: one of those the demo sent, marked failed.
  const id = sql(`SELECT MIN(id) FROM outbox WHERE channel = 'email' AND status = 'sent' AND template <> 'sign_in'`);
  assert.match(id, /^\d+$/, 'the demo sent an email that can fail');
  sql(`UPDATE outbox SET status = 'failed', sent_at = NULL, attempts = 7,
       last_error = 'gave up after 7 attempts; the last said: 550 mailbox unavailable' WHERE id = ${id}`);
  const page = await adminPage();
  await page.goto(url('/admin'));
  await page.getByRole('link', { name: /^Emails that failed 1 email to look at/ }).click();
  const item = page.locator('li', { hasText: '550 mailbox unavailable' });
  await item.waitFor();
  await check(page, { where: '/admin/emails (one failed)', screenshot: shot('admin-emails-failed'), controls: [item.getByRole('button', { name: 'Retry' })] });
  await item.getByRole('button', { name: 'Retry' }).click();
  await page.getByText('The email is back in the queue').waitFor();
  assert.equal(await page.getByText('550 mailbox unavailable').count(), 0);
  assert.match(sql(`SELECT status FROM outbox WHERE id = ${id}`), /^(pending|sent)$/);
  await page.close();
});

test('a name corrected in another script, and a person erased whose certificate still checks', async () => {
  // A certificate holder (not an administrator) and their certificate's code.
  const [personId, code] = sql(`
    SELECT p.id, c.verification_code FROM people p JOIN certificates c ON c.person_id = p.id
    WHERE p.erased_at IS NULL AND NOT p.is_admin AND c.revoked_at IS NULL AND p.email IS NOT NULL
    ORDER BY p.id DESC LIMIT 1`).split('|');
  const email = sql(`SELECT email FROM people WHERE id = '${personId}'`);
  const page = await adminPage();
  await page.goto(url('/admin/people'));
  await page.getByLabel('Name or email address').fill(email.toUpperCase());
  await page.getByRole('button', { name: 'Find' }).click();
  await page.getByRole('heading', { name: '1 person found' }).waitFor();
  await check(page, { where: '/admin/people (found)' });
  await page.locator(`main a[href="/admin/people/${personId}"]`).click();
  await page.waitForURL(url(`/admin/people/${personId}`));

  // A correction with a mistake keeps what was typed and says what to change.
  const name = 'Aoife Ní Bhriain';
  await page.getByLabel(/^Name/).fill(name);
  await page.getByLabel(/^Email address/).fill('not an address');
  await page.getByRole('button', { name: 'Save' }).click();
  await page.locator('#email-error').waitFor();
  assert.equal(await page.getByLabel(/^Name/).inputValue(), name);
  await check(page, { where: 'person (correction refused)', controls: [page.getByLabel(/^Email address/)] });
  await page.getByLabel(/^Email address/).fill(email);
  await page.getByRole('button', { name: 'Save' }).click();
  await page.getByText('Saved.').waitFor();
  assert.equal(await page.locator('h1').innerText(), name);
  assert.equal(sql(`SELECT name FROM people WHERE id = '${personId}'`), name, 'stored exactly');
  await check(page, { where: '/admin/people/{id}', screenshot: shot('admin-person') });

  // Erasing asks first, naming them.
  await page.getByRole('link', { name: `Erase ${name}…` }).click();
  await page.getByRole('heading', { level: 1, name: `Erase ${name}?` }).waitFor();
  await check(page, { where: 'erase (confirm)', screenshot: shot('admin-erase'), controls: [page.getByRole('button', { name: `Erase ${name}` })] });
  await page.getByRole('button', { name: `Erase ${name}` }).click();
  await page.getByText('Their details are erased.').waitFor();
  assert.equal(sql(`SELECT COUNT(*) FROM people WHERE id = '${personId}' AND name IS NULL AND email IS NULL`), '1');

  // Their certificate still checks, without their name.
  const verify = await page.goto(url(`/verify/${code}`));
  assert.equal(verify.status(), 200);
  const text = await page.locator('main').innerText();
  assert.match(text, /Holder details withheld/i);
  assert.ok(!text.includes(name));
  await page.close();
});

test("a learner's session is refused every administration page", async () => {
  const context = await signIn(server.people.learner);
  const page = await context.newPage();
  for (const path of ['/admin', '/admin/organisations', '/admin/cohorts', '/admin/programmes', '/admin/emails', '/admin/people']) {
    const response = await page.goto(url(path));
    assert.equal(response.status(), 403, path);
    await page.getByRole('heading', { level: 1, name: 'You cannot do this here' }).waitFor();
    assert.match(await page.locator('main').innerText(), /Only an administrator can do this/);
  }
  await check(page, { where: 'admin refused' });
  await page.close();
  await context.close();
});
