// A tutor's records in Debian's Chromium at 390×844: cancel a session, move one, record a
// module's assessments in one grid, withdraw a learner, and issue certificates to everyone
// eligible, whose emails carry the PDF. The cohort is made over the API (an administrator's
// bearer token from `peertrack admin token`), so the journey knows exactly who is eligible.
// The cohort page (/cohorts/{id}) is another part's: these pages are opened by their address.
//
//   cd tests/browser && npx node --test tutor-records.test.js
//
// Every page passes checkPage (lib/checks.js): axe-core at WCAG 2.2 AA and the rest.

import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, test } from 'node:test';

import { checkPage, launch, newContext } from './lib/checks.js';
import { startServer } from './lib/server.js';

let server;
let browser;
let tutorPage;
/** What the API made: the cohort, its learners and sessions. */
const made = {};

const TUTOR = 'tutor-records@peertrack-browser.example';
const LEARNERS = [
  { key: 'morag', name: 'Morag Dùghlas', email: 'morag-records@peertrack-browser.example', eligible: true },
  { key: 'tomasz', name: 'Tomasz Wiśniewski', email: 'tomasz-records@peertrack-browser.example', eligible: true },
  { key: 'aisha', name: 'Aisha Rahman', email: 'aisha-records@peertrack-browser.example', eligible: false },
];

const url = (p) => `${server.base}${p}`;
const check = (page, options) => checkPage(page, { database: server.database, ...options });
const shot = (name) => (server.database === 'sqlite' || process.env.PEERTRACK_SCREENSHOTS ? name : null);
const day = (offset) => new Date(Date.now() + offset * 86_400_000).toISOString().slice(0, 10);
const at = (offset, hour) => new Date(`${day(offset)}T${String(hour).padStart(2, '0')}:00:00Z`).toISOString();
/** The instant a UK clock shows `time` (HH:MM) on `date`: an hour before UTC in summer time. */
function ukClock(date, time) {
  const noon = new Date(`${date}T12:00:00Z`);
  const ukHour = new Intl.DateTimeFormat('en-GB', { timeZone: 'Europe/London', hour: '2-digit', hourCycle: 'h23' }).format(noon);
  const ahead = Number(ukHour) - 12;
  return new Date(Date.parse(`${date}T${time}:00Z`) - ahead * 3_600_000).toISOString();
}

/** Calls the API with a bearer token; fails unless the answer is a success. */
async function api(token, method, p, body) {
  const response = await fetch(url(p), {
    method,
    headers: { authorization: `Bearer ${token}`, ...(body ? { 'content-type': 'application/json' } : {}) },
    body: body ? JSON.stringify(body) : undefined,
  });
  const text = await response.text();
  assert.ok(response.ok, `${method} ${p}: ${response.status} ${text}`);
  return text ? JSON.parse(text) : null;
}

/** A cohort with a held session attended by all, two sessions to come, and two learners who
 * meet every requirement but module M3 (which the tutor records in the grid). */
async function makeCohort() {
  const admin = server.cli('admin', 'token', '--email', server.people.newcomer);
  const organisation = await api(admin, 'POST', '/v1/organisations', { name: 'Tayside Recovery College' });
  const cohort = await api(admin, 'POST', '/v1/cohorts', {
    programme_code: 'P2P',
    organisation_id: organisation.id,
    name: 'Dundee autumn evenings',
    starts_on: day(-40),
    ends_on: day(60),
    tutor_emails: [TUTOR],
  });
  made.cohort = cohort.id;
  const tutor = server.cli('admin', 'token', '--email', TUTOR);
  for (const learner of LEARNERS) {
    const enrolment = await api(tutor, 'POST', `/v1/cohorts/${cohort.id}/enrolments`, { email: learner.email, name: learner.name, enrolled_on: day(-30) });
    made[learner.key] = enrolment.person_id;
  }
  const held = await api(tutor, 'POST', `/v1/cohorts/${cohort.id}/sessions`, { title: 'Week 1: Introducing peer support', starts_at: at(-7, 18), ends_at: at(-7, 20) });
  await api(tutor, 'PUT', `/v1/sessions/${held.id}/attendance`, {
    records: LEARNERS.map((l) => ({ person_id: made[l.key], status: 'present' })),
  });
  made.toCancel = (await api(tutor, 'POST', `/v1/cohorts/${cohort.id}/sessions`, { title: 'Week 5: Self-care', starts_at: at(7, 18), ends_at: at(7, 20) })).id;
  made.toMove = (await api(tutor, 'POST', `/v1/cohorts/${cohort.id}/sessions`, { title: 'Week 6: Review', starts_at: at(14, 18), ends_at: at(14, 20) })).id;
  const programme = await api(tutor, 'GET', '/v1/programmes/P2P');
  for (const learner of LEARNERS.filter((l) => l.eligible)) {
    for (const module of programme.modules.filter((m) => m.core && m.code !== 'M3')) {
      await api(tutor, 'PUT', `/v1/cohorts/${cohort.id}/assessments/${made[learner.key]}/${module.code}`, { outcome: 'achieved' });
    }
    const supervisorEmail = `supervisor-${learner.key}@peertrack-browser.example`;
    const placement = await api(tutor, 'POST', '/v1/placements', {
      person_id: made[learner.key], organisation_id: organisation.id, supervisor_email: supervisorEmail, starts_on: day(-28),
    });
    const supervisor = server.cli('admin', 'token', '--email', supervisorEmail);
    for (let week = 0; week < 6; week++) {
      await api(supervisor, 'POST', `/v1/placements/${placement.id}/supervision`, { occurred_on: day(-27 + 4 * week), duration_minutes: 60, format: 'group' });
    }
  }
}

before(async () => {
  server = await startServer();
  browser = await launch();
  await makeCohort();
  // The tutor signs in through the emailed link.
  const context = await newContext(browser, server.base);
  tutorPage = await context.newPage();
  await tutorPage.goto(url('/'));
  const since = Date.now();
  await tutorPage.getByLabel('Email address').fill(TUTOR);
  await tutorPage.getByRole('button', { name: 'Email me a sign-in link' }).click();
  await tutorPage.getByRole('heading', { level: 1, name: 'Check your email' }).waitFor();
  await tutorPage.goto(await server.signInLink(TUTOR, since));
  await tutorPage.getByRole('button', { name: 'Sign in', exact: true }).click();
  await tutorPage.waitForURL(url('/home'));
  console.log(`# ${server.describe()}; cohort ${made.cohort}`);
});

after(async () => {
  await browser?.close();
  await server?.stop();
});

/** The session as the API reads it. */
const session = (id) => api(server.cli('admin', 'token', '--email', TUTOR), 'GET', `/v1/sessions/${id}`);

test('a tutor cancels a session with a reason', async () => {
  const page = tutorPage;
  await page.goto(url(`/sessions/${made.toCancel}/change`));
  await page.getByRole('heading', { level: 1, name: 'Change or cancel Week 5: Self-care' }).waitFor();
  await check(page, {
    where: 'change or cancel a session',
    screenshot: shot('session-change'),
    controls: [page.getByLabel('Reason for cancelling'), page.getByRole('button', { name: 'Cancel this session' })],
  });
  // Without a reason: said beside the field, nothing changed.
  await page.getByRole('button', { name: 'Cancel this session' }).click();
  await page.locator('#reason-error').waitFor();
  assert.equal((await session(made.toCancel)).status, 'scheduled');
  await check(page, { where: 'cancel without a reason' });
  await page.getByLabel('Reason for cancelling').fill('The hall is closed for repairs; we will add an extra session in December.');
  await page.getByRole('button', { name: 'Cancel this session' }).click();
  await page.waitForURL(url(`/cohorts/${made.cohort}?done=session-cancelled`));
  const cancelled = await session(made.toCancel);
  assert.equal(cancelled.status, 'cancelled');
  assert.match(cancelled.cancel_reason, /closed for repairs/);
});

test('a tutor moves a session to another day and time', async () => {
  const page = tutorPage;
  await page.goto(url(`/sessions/${made.toMove}/change`));
  await page.getByLabel('Day').fill(day(16));
  await page.getByLabel('Start time').fill('10:30');
  await page.getByLabel('End time').fill('09:00');
  await page.getByRole('button', { name: 'Move session' }).click();
  await page.locator('#ends-error').waitFor();
  assert.equal(await page.getByLabel('End time').inputValue(), '09:00', 'what was typed is kept');
  await check(page, { where: 'move a session with the end before the start', screenshot: shot('session-change-error') });
  await page.getByLabel('End time').fill('12:30');
  await page.getByRole('button', { name: 'Move session' }).click();
  await page.waitForURL(url(`/cohorts/${made.cohort}?done=session-moved`));
  const moved = await session(made.toMove);
  // What was typed is UK time.
  assert.equal(new Date(moved.starts_at).toISOString(), ukClock(day(16), '10:30'));
  assert.equal(new Date(moved.ends_at).toISOString(), ukClock(day(16), '12:30'));
});

test("a tutor records a module's assessments for the cohort in one grid", async () => {
  const page = tutorPage;
  await page.goto(url(`/cohorts/${made.cohort}/assessments`));
  // The module picker works without script.
  await page.getByLabel('Module').selectOption('M3');
  await page.getByRole('button', { name: 'Show this module' }).click();
  await page.waitForURL(/module=M3/);
  await page.getByRole('heading', { level: 1, name: 'Assessments: Use of Language and Communication' }).waitFor();
  await check(page, {
    where: 'assessments grid',
    screenshot: shot('assessments'),
    controls: [page.getByLabel('Feedback for Morag Dùghlas (optional)'), page.getByRole('button', { name: 'Save assessments' })],
  });
  for (const learner of LEARNERS) {
    const group = page.getByRole('group', { name: learner.name });
    await group.getByLabel(learner.eligible ? 'Achieved' : 'Not yet achieved', { exact: true }).check();
    if (!learner.eligible) await group.getByLabel(`Feedback for ${learner.name} (optional)`).fill('A good start: let us go over active listening together next week.');
  }
  await page.getByRole('button', { name: 'Save assessments' }).click();
  await page.waitForURL(/done=saved&count=3/);
  await page.getByText('Saved 3 assessments; each learner has been emailed their outcome.').waitFor();
  await check(page, { where: 'assessments saved' });
  assert.ok(await page.getByRole('group', { name: 'Aisha Rahman' }).getByLabel('Not yet achieved', { exact: true }).isChecked());
  const tutor = server.cli('admin', 'token', '--email', TUTOR);
  const recorded = await api(tutor, 'GET', `/v1/cohorts/${made.cohort}/assessments/${made.morag}/M3`);
  assert.equal(recorded.outcome, 'achieved');
});

test('a tutor withdraws a learner after a confirmation that names them', async () => {
  const page = tutorPage;
  await page.goto(url(`/cohorts/${made.cohort}/learners/${made.aisha}/withdraw`));
  await page.getByRole('heading', { level: 1, name: 'Withdraw Aisha Rahman' }).waitFor();
  await check(page, {
    where: 'withdraw a learner',
    screenshot: shot('withdraw'),
    controls: [page.getByLabel('Why Aisha Rahman is leaving'), page.getByRole('button', { name: 'Withdraw Aisha Rahman' })],
  });
  await page.getByLabel('Why Aisha Rahman is leaving').fill('Moving to Aberdeen for work');
  await page.getByRole('button', { name: 'Withdraw Aisha Rahman' }).click();
  await page.waitForURL(url(`/cohorts/${made.cohort}?done=learner-withdrawn`));
});

test('a tutor issues certificates to every eligible learner, each emailed with the PDF', async () => {
  const page = tutorPage;
  await page.goto(url(`/cohorts/${made.cohort}/certificates`));
  await page.getByRole('heading', { level: 1, name: 'Issue certificates' }).waitFor();
  await page.getByText('Left the cohort on').waitFor();
  await check(page, {
    where: 'issue certificates',
    screenshot: shot('certificates-issue'),
    controls: [page.getByRole('button', { name: 'Issue 2 certificates' })],
  });
  const since = Date.now();
  await page.getByRole('button', { name: 'Issue 2 certificates' }).click();
  await page.getByText('Issued 2 certificates; each learner has been emailed.').waitFor();
  await check(page, { where: 'certificates issued', screenshot: shot('certificates-issued') });
  assert.equal(await page.getByRole('button', { name: /^Issue \d+ certificates?$/ }).count(), 0, 'nobody is left to issue to');

  // Morag's email arrives in the mail folder with her certificate attached as a PDF.
  const mailDir = path.join(server.folder, 'mail');
  const learner = LEARNERS[0];
  const deadline = Date.now() + 30_000;
  let found = null;
  while (!found && Date.now() < deadline) {
    for (const name of fs.existsSync(mailDir) ? fs.readdirSync(mailDir) : []) {
      if (!name.endsWith('.eml')) continue;
      const file = path.join(mailDir, name);
      if (fs.statSync(file).mtimeMs < since - 1000) continue;
      const text = fs.readFileSync(file, 'utf8');
      const to = /^To: (.*)$/m.exec(text)?.[1] ?? '';
      if (to.toLowerCase().includes(learner.email) && /Content-Type: application\/pdf/i.test(text)) found = text;
    }
    if (!found) await new Promise((r) => setTimeout(r, 250));
  }
  assert.ok(found, `an email with a PDF reached ${learner.email} in ${mailDir} within 30 s`);
  const pdf = /Content-Type: application\/pdf[\s\S]*?\r?\n\r?\n([A-Za-z0-9+/=\r\n]+)/i.exec(found)?.[1]?.replace(/\s/g, '');
  assert.ok(pdf, 'the attachment has a body');
  assert.equal(Buffer.from(pdf, 'base64').subarray(0, 5).toString('latin1'), '%PDF-', 'the attachment is a PDF');
});
