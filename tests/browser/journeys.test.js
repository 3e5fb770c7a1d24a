// Peertrack in Debian's Chromium: the real `peertrack serve` on a fresh database (SQLite, or
// PostgreSQL with PEERTRACK_BROWSER_DATABASE=postgres), people from `peertrack demo` and
// `peertrack admin`, signing in through the link in the email the service wrote.
//
//   cd tests/browser && npm ci && npm test
//
// Every page visited passes checkPage (lib/checks.js): axe-core at WCAG 2.2 AA, one h1, no
// sideways scrolling at 360, 390 and 1280 px, the keyboard reaching its main controls with
// visible focus, no request leaving the server, no console error (CSP violations are errors).

import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';

import { assertNoProblems, checkPage, focusTop, launch, newContext, tabTo } from './lib/checks.js';
import { signInByEmail } from './lib/session.js';
import { startServer } from './lib/server.js';
import { EMPTY_PAGES, PAGES, locate } from './pages.js';

let server;
let browser;
/** Signed-in browser contexts by person (learner, supervisor, newcomer). */
const signedIn = new Map();

before(async () => {
  server = await startServer();
  browser = await launch();
  console.log(`# ${server.describe()}; learner ${server.people.learner}`);
});

after(async () => {
  await browser?.close();
  await server?.stop();
});

const url = (path) => `${server.base}${path}`;
const check = (page, options) => checkPage(page, { database: server.database, ...options });
const shot = (name) => (server.database === 'sqlite' || process.env.PEERTRACK_SCREENSHOTS ? name : null);

/** Text of main, with `email` replaced, to compare pages that must read the same. */
const mainText = async (page, email) => (await page.locator('main').innerText()).replaceAll(email, '…');

/** Signs `who` in with the mouse, through the emailed link; the context is kept for later tests. */
async function signIn(who) {
  if (signedIn.has(who)) return signedIn.get(who);
  const email = server.people[who];
  const context = await signInByEmail(browser, server, email);
  signedIn.set(who, context);
  return context;
}

test('a peer worker signs in by email with the keyboard alone', async () => {
  const email = server.people.learner;
  const context = await newContext(browser, server.base);
  const page = await context.newPage();
  const welcome = await page.goto(url('/'));
  assert.equal(welcome.status(), 200);
  const csp = welcome.headers()['content-security-policy'] ?? '';
  assert.ok(csp.includes("default-src 'none'") || csp.includes("script-src 'self'") || csp.includes('default-src'), `a CSP: ${csp}`);
  assert.ok(!/script-src[^;]*unsafe-inline/.test(csp), `no inline script allowed: ${csp}`);
  await check(page, {
    where: 'welcome',
    screenshot: shot('welcome'),
    controls: [page.getByLabel('Email address'), page.getByRole('button', { name: 'Email me a sign-in link' })],
  });

  // Keyboard alone: Tab to the field, type, Tab to the button, Enter.
  await focusTop(page);
  await tabTo(page, page.getByLabel('Email address'), 'welcome');
  await page.keyboard.type(email);
  await tabTo(page, page.getByRole('button', { name: 'Email me a sign-in link' }), 'welcome');
  const since = Date.now();
  await page.keyboard.press('Enter');
  await page.getByRole('heading', { level: 1, name: 'Check your email' }).waitFor();
  await check(page, { where: 'check your email', screenshot: shot('check-email'), controls: [page.getByRole('link', { name: 'Use a different address' })] });
  const known = await mainText(page, email);

  // An unknown address gets the same page, and no email.
  const other = await context.newPage();
  await other.goto(url('/'));
  const unknown = 'nobody-here@peertrack-browser.example';
  await other.getByLabel('Email address').fill(unknown);
  await other.getByRole('button', { name: 'Email me a sign-in link' }).click();
  await other.getByRole('heading', { level: 1, name: 'Check your email' }).waitFor();
  assert.equal(await mainText(other, unknown), known, 'the same page whatever the address');
  await other.close();

  // A wrong address is refused beside the field, keeping what was typed.
  const typo = await context.newPage();
  await typo.goto(url('/'));
  await typo.getByLabel('Email address').fill('not an address');
  await typo.getByRole('button', { name: 'Email me a sign-in link' }).click();
  await typo.locator('#email-error').waitFor();
  assert.equal(await typo.getByLabel('Email address').inputValue(), 'not an address');
  assert.equal(await typo.getByLabel('Email address').getAttribute('aria-invalid'), 'true');
  await check(typo, { where: 'welcome with a wrong address' });
  await typo.close();

  // The link in the email: opening it spends nothing; the button signs in.
  const link = await server.signInLink(email, since);
  assert.ok(link.startsWith(`${server.base}/sign-in?token=`), link);
  assert.equal(server.signInEmailsTo(unknown), 0);
  await page.goto(link);
  await check(page, { where: 'sign in', screenshot: shot('sign-in'), controls: [page.getByRole('button', { name: 'Sign in', exact: true })] });
  await focusTop(page);
  await tabTo(page, page.getByRole('button', { name: 'Sign in', exact: true }), 'sign in');
  await page.keyboard.press('Enter');
  await page.waitForURL(url('/home'));
  const cookies = await context.cookies();
  const session = cookies.find((c) => c.name === 'peertrack_session');
  assert.ok(session, `a session cookie: ${JSON.stringify(cookies)}`);
  assert.ok(session.httpOnly, 'HttpOnly');
  assert.equal(session.sameSite, 'Lax');
  await page.close();
  assertNoProblems(context, 'signing in');
  signedIn.set('learner', context);
});

for (const entry of PAGES) {
  test(`${entry.path} as the ${entry.as}`, async () => {
    const context = await signIn(entry.as);
    const page = await context.newPage();
    const response = await page.goto(url(entry.path));
    assert.equal(response.status(), 200, `${entry.path} answered ${response.status()}`);
    assert.equal(response.headers()['cache-control'], 'no-store', `${entry.path} is personal`);
    const heading = await page.locator('h1').innerText();
    if (typeof entry.h1 === 'string') assert.equal(heading, entry.h1);
    else assert.match(heading, entry.h1);
    await check(page, {
      where: entry.path,
      screenshot: shot(entry.shot),
      controls: [...entry.controls.map((c) => locate(page, c)), page.getByRole('button', { name: 'Sign out' })],
    });
    await page.close();
  });
}

test('sharing with an organisation and stopping, with the keyboard alone', async () => {
  const page = await (await signIn('learner')).newPage();
  await page.goto(url('/me/sharing'));
  const organisation = 'Lantern Peer Support Network';
  const item = page.locator('li', { hasText: organisation });
  await item.getByText('Not sharing').waitFor();
  await focusTop(page);
  await tabTo(page, page.getByRole('button', { name: `Share with ${organisation}`, exact: true }), 'sharing');
  await page.keyboard.press('Enter');
  await page.getByRole('status').waitFor();
  await item.getByText(/^since /).waitFor();
  assert.equal(await item.locator('.status').innerText(), 'Sharing');
  await check(page, { where: 'sharing, after Share', screenshot: shot('sharing-shared') });
  await focusTop(page);
  await tabTo(page, page.getByRole('button', { name: `Stop sharing with ${organisation}`, exact: true }), 'sharing');
  await page.keyboard.press('Enter');
  await page.getByRole('status').waitFor();
  await item.getByText('Not sharing').waitFor();
  await check(page, { where: 'sharing, after Stop sharing' });
  await page.close();
});

test('logging a supervision session; a form that fails keeps what was typed', async () => {
  const page = await (await signIn('learner')).newPage();
  await page.goto(url('/me/supervision'));

  // Too long a session: refused beside the field, nothing lost.
  await page.getByLabel('Placement').selectOption(server.placement.id);
  await page.getByLabel('Date of the session').fill(server.placement.day);
  await page.getByLabel('How long, in minutes').fill('600');
  await page.getByLabel('Group').check();
  await page.getByLabel(/^Your reflections/).fill('We talked about boundaries on a busy ward.');
  await page.getByRole('button', { name: 'Log this session' }).click();
  await page.getByRole('alert').waitFor();
  const minutes = page.getByLabel('How long, in minutes');
  assert.equal(await minutes.inputValue(), '600');
  assert.equal(await minutes.getAttribute('aria-invalid'), 'true');
  const described = await minutes.getAttribute('aria-describedby');
  const message = await page.locator(`#${described}`).innerText();
  assert.ok(message.length > 0, 'a message for the field');
  assert.ok(await page.locator(`#${described} + input#duration_minutes`).count(), 'the message is beside the field');
  assert.ok(await page.getByLabel('Group').isChecked(), 'the choice is kept');
  assert.equal(await page.getByLabel(/^Your reflections/).inputValue(), 'We talked about boundaries on a busy ward.');
  await check(page, { where: 'supervision, form refused', screenshot: shot('supervision-refused') });

  // Corrected, it is logged and waits for the supervisor.
  await minutes.fill('45');
  await page.getByRole('button', { name: 'Log this session' }).click();
  await page.waitForURL(url('/me/supervision?done=logged'));
  await page.getByRole('status').waitFor();
  const logged = page.locator('li', { hasText: '45 minutes · Group' }).first();
  await logged.getByText('Waiting for your supervisor').waitFor();
  await check(page, { where: 'supervision, logged' });
  await page.close();
});

test('a supervisor declines one session with a reason and verifies another', async () => {
  const page = await (await signIn('supervisor')).newPage();
  await page.goto(url('/supervision'));
  const cards = page.locator('ul.waiting > li');
  const waiting = await cards.count();
  assert.ok(waiting >= 2, `two sessions waiting, found ${waiting}`);
  const first = cards.first();
  const heading = await first.locator('h2').innerText();

  // Decline opens a page of its own for the reason; declining without one is refused beside
  // the field, and nothing changes.
  await first.getByRole('button', { name: /^Decline/ }).click();
  // (a form that asks by GET with no fields leaves a bare "?" on the address)
  await page.waitForURL(/\/supervision\/[^/]+\/decline\??$/);
  assert.equal(await page.getByRole('heading', { name: heading, exact: true }).count(), 1, 'the page names the session');
  await check(page, { where: 'supervision, decline' });
  await page.getByRole('button', { name: /^Decline/ }).click();
  await page.getByRole('alert').waitFor();
  const reason = page.getByLabel(/^Reason for declining/);
  assert.equal(await reason.getAttribute('aria-invalid'), 'true');
  assert.ok((await page.locator('.field-error').innerText()).length > 0, 'a message beside the field');
  await check(page, { where: 'supervision, decline refused', screenshot: shot('supervisor-refused') });
  const queue = await page.context().newPage();
  await queue.goto(url('/supervision'));
  assert.equal(await queue.locator('ul.waiting > li').count(), waiting, 'nothing was declined');
  await queue.close();

  // With a reason, it is declined and leaves the queue.
  await reason.fill('I was on leave that week; please check the date and log it again.');
  await page.getByRole('button', { name: /^Decline/ }).click();
  await page.waitForURL(/\/supervision\?done=declined$/);
  await page.getByRole('status').waitFor();
  assert.equal(await page.locator('ul.waiting > li').count(), waiting - 1);
  assert.equal(await page.getByRole('heading', { name: heading, exact: true }).count(), 0);

  // Verifying the next one, with the keyboard.
  const next = page.locator('ul.waiting > li').first();
  await focusTop(page);
  await tabTo(page, next.getByRole('button', { name: /^Verify/ }), 'supervision');
  await page.keyboard.press('Enter');
  await page.waitForURL(/\/supervision\?done=verified$/);
  await page.getByRole('status').waitFor();
  assert.equal(await page.locator('ul.waiting > li').count(), waiting - 2);
  await check(page, { where: 'supervision, after Verify' });
  await page.close();
});

test('reminders off, and every download is served by Peertrack itself', async () => {
  const context = await signIn('learner');
  const page = await context.newPage();
  await page.goto(url('/me/data'));
  await page.getByLabel('Do not send them').check();
  await page.getByRole('button', { name: 'Save' }).click();
  await page.getByRole('status').waitFor();
  assert.ok(await page.getByLabel('Do not send them').isChecked());
  const data = await page.request.get(url('/me/data/export.json'));
  assert.equal(data.status(), 200);
  assert.ok((await data.json()) && data.headers()['content-disposition']?.includes('attachment'));

  await page.goto(url('/me/certificates'));
  const pdf = page.getByRole('link', { name: /^Download PDF/ }).first();
  if (await pdf.count()) {
    const answer = await page.request.get(url(await pdf.getAttribute('href')));
    assert.equal(answer.status(), 200);
    assert.equal(answer.headers()['content-type'], 'application/pdf');
    const credential = page.getByRole('link', { name: 'Download signed credential' }).first();
    assert.equal((await page.request.get(url(await credential.getAttribute('href')))).status(), 200);
    const linkedin = await page.getByRole('link', { name: 'Add to LinkedIn profile' }).first().getAttribute('href');
    assert.ok(linkedin.startsWith('https://www.linkedin.com/'), linkedin);
  }
  assertNoProblems(context, 'downloads');
  await page.close();
});

test('someone with nothing yet sees kind empty pages', async () => {
  const page = await (await signIn('newcomer')).newPage();
  for (const path of EMPTY_PAGES) {
    const response = await page.goto(url(path));
    assert.equal(response.status(), 200, path);
    await check(page, { where: `${path} (nothing yet)`, controls: [page.getByRole('button', { name: 'Sign out' })] });
  }
  await page.close();
});

test('Sign out returns to the welcome page and the old cookie no longer works', async () => {
  const context = await signIn('learner');
  const cookies = await context.cookies();
  const page = await context.newPage();
  await page.goto(url('/me/progress'));
  await focusTop(page);
  await tabTo(page, page.getByRole('button', { name: 'Sign out' }), 'sign out');
  await page.keyboard.press('Enter');
  await page.waitForURL(url('/'));
  await page.getByRole('heading', { level: 1, name: 'Welcome to Peertrack' }).waitFor();
  signedIn.delete('learner');

  const stale = await newContext(browser, server.base);
  await stale.addCookies(cookies);
  const again = await stale.newPage();
  for (const path of ['/home', '/me/progress', '/me/data']) {
    await again.goto(url(path));
    assert.equal(again.url(), url('/'), `${path} with a signed-out cookie goes to the welcome page`);
  }
  await stale.close();
  await context.close();
});
