// Self check-in by QR code in Chromium at 390×844, on the real server (SQLite, or PostgreSQL
// with PEERTRACK_BROWSER_DATABASE=postgres): a tutor opens the check-in screen of a session in
// progress; a learner who is not signed in opens the address the QR code carries, signs in by
// the emailed link, comes back to it and checks in; an old code is refused. Every page passes
// checkPage (axe at WCAG 2.2 AA, phone widths, keyboard).
//
// The cohort, its session and its people are made over the API with an administrator's token
// from `peertrack admin token`.

import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';

import { checkPage, launch, newContext } from './lib/checks.js';
import { startServer } from './lib/server.js';

let server;
let browser;
let setup;

const url = (path) => `${server.base}${path}`;
const check = (page, options) => checkPage(page, { database: server.database, ...options });
const shot = (name) => (server.database === 'sqlite' || process.env.PEERTRACK_SCREENSHOTS ? name : null);

/** Calls the API as the administrator; the JSON answer. */
async function api(token, method, path, body) {
  const response = await fetch(url(path), {
    method,
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
    body: body && JSON.stringify(body),
  });
  const answer = await response.json();
  assert.ok(response.ok, `${method} ${path}: ${response.status} ${JSON.stringify(answer)}`);
  return answer;
}

before(async () => {
  server = await startServer();
  browser = await launch();
  console.log(`# ${server.describe()}`);
  const admin = server.cli('admin', 'token', '--email', server.people.newcomer);
  const day = (offset) => new Date(Date.now() + offset * 86_400_000).toISOString().slice(0, 10);
  const organisation = await api(admin, 'POST', '/v1/organisations', { name: 'Riverside Peer Learning' });
  const tutor = 'checkin-tutor@peertrack-browser.example';
  const learner = 'checkin-learner@peertrack-browser.example';
  const cohort = await api(admin, 'POST', '/v1/cohorts', {
    programme_code: 'P2P', organisation_id: organisation.id, name: 'Check-in cohort',
    starts_on: day(-14), ends_on: day(60), tutor_emails: [tutor],
  });
  await api(admin, 'POST', `/v1/cohorts/${cohort.id}/enrolments`, { email: learner, name: 'Siân Ó Ceallaigh', enrolled_on: day(-14) });
  const start = new Date(Date.now() - 5 * 60_000);
  const session = await api(admin, 'POST', `/v1/cohorts/${cohort.id}/sessions`, {
    title: 'Week 4: hope and recovery', starts_at: start.toISOString(), ends_at: new Date(start.getTime() + 2 * 3_600_000).toISOString(),
  });
  setup = { admin, tutor, learner, cohort: cohort.id, session: session.id };
});

after(async () => {
  await browser?.close();
  await server?.stop();
});

/** Asks for a sign-in link on the welcome page and presses Sign in on it. */
async function signInOn(page, email) {
  const since = Date.now();
  await page.getByLabel('Email address').fill(email);
  await page.getByRole('button', { name: 'Email me a sign-in link' }).click();
  await page.getByRole('heading', { level: 1, name: 'Check your email' }).waitFor();
  await page.goto(await server.signInLink(email, since));
  await page.getByRole('button', { name: 'Sign in', exact: true }).click();
}

/** The check-in address the tutor's screen shows now, as a path. */
async function shownAddress(page) {
  const address = await page.locator('[data-check-in-url]').getAttribute('data-check-in-url');
  assert.ok(address.startsWith(`${server.base}/check-in?session=${setup.session}&code=`), address);
  return address.slice(server.base.length);
}

test('a learner checks in by the QR code’s address, and an old code is refused', async () => {
  const tutorContext = await newContext(browser, server.base);
  const screen = await tutorContext.newPage();
  await screen.goto(url('/'));
  await signInOn(screen, setup.tutor);
  await screen.waitForURL(url('/home'));

  // The screen refreshes itself at the next code (a Refresh header, no script).
  const opened = await screen.goto(url(`/sessions/${setup.session}/check-in`));
  const refresh = Number(opened.headers().refresh);
  assert.ok(refresh >= 1 && refresh <= 31, `refresh in ${opened.headers().refresh}`);
  const first = await shownAddress(screen);
  const firstShownAt = Date.now();
  const code = first.split('code=')[1];
  assert.match(code, /^\d{20}$/);
  const typed = await screen.locator('#check-in-code').innerText();
  assert.equal(typed.replace(/\s/g, ''), code, 'the code in text, for people who cannot scan');
  assert.equal(await screen.getByRole('img', { name: 'QR code for checking in to this session' }).count(), 1);

  // The checks run on the still page: a reload in the middle would start them again.
  await screen.getByRole('link', { name: 'Stop it refreshing' }).click();
  await screen.getByRole('heading', { level: 1, name: 'Self check-in' }).waitFor();
  await check(screen, {
    where: 'check-in screen',
    screenshot: shot('check-in-screen'),
    controls: [screen.getByRole('link', { name: 'Show the current code and keep it refreshing' })],
  });
  const current = await shownAddress(screen);

  // The learner scans: not signed in, they sign in and come back to the check-in.
  const learnerContext = await newContext(browser, server.base);
  const phone = await learnerContext.newPage();
  await phone.goto(url(current));
  await phone.waitForURL(url('/'));
  await signInOn(phone, setup.learner);
  await phone.waitForURL(url(current));
  await phone.getByRole('heading', { level: 1, name: 'Check in' }).waitFor();
  await check(phone, {
    where: 'check in',
    screenshot: shot('check-in'),
    controls: [phone.getByRole('button', { name: 'Check in', exact: true })],
  });
  await phone.getByRole('button', { name: 'Check in', exact: true }).click();
  const done = phone.getByText(/^You are checked in: present at \d\d:\d\d\.$/);
  await done.waitFor();
  await check(phone, { where: 'checked in', screenshot: shot('checked-in') });

  // The tutor's screen lists them.
  await screen.reload();
  assert.match(await screen.locator('main').innerText(), /Checked in so far: 1 of 1[\s\S]*Siân Ó Ceallaigh, \d\d:\d\d: present/);

  // A minute after the first code was shown, it is refused (a photo sent to a friend).
  const staleFrom = Math.floor(firstShownAt / 30_000) * 30_000 + 60_000 + 1_000;
  await new Promise((r) => setTimeout(r, Math.max(0, staleFrom - Date.now())));
  // Already checked in, the learner sees their check-in whatever the code; a learner who
  // has not checked in sees the refusal. Sign in a second learner to see it.
  const late = await learnerContext.newPage();
  assert.equal((await late.goto(url(first))).status(), 200);
  await late.getByText(/^You are checked in: present at/).waitFor();
  await late.close();

  const second = 'checkin-second@peertrack-browser.example';
  await api(setup.admin, 'POST', `/v1/cohorts/${setup.cohort}/enrolments`, { email: second, name: 'Tomasz Wiśniewski', enrolled_on: new Date().toISOString().slice(0, 10) });
  const otherContext = await newContext(browser, server.base);
  const other = await otherContext.newPage();
  await other.goto(url('/'));
  await signInOn(other, second);
  await other.waitForURL(url('/home'));
  const stale = await other.goto(url(first));
  assert.equal(stale.status(), 422);
  await other.getByText('This code has changed. Please scan the code on the screen again.').waitFor();
  await check(other, { where: 'check in with an old code', screenshot: shot('check-in-old-code'), controls: [other.getByLabel(/^Code on the screen/)] });

  await tutorContext.close();
  await learnerContext.close();
  await otherContext.close();
});
