// A tutor's register on a phone (390×844), in Debian's Chromium against the real `peertrack
// serve` on a fresh demo database (SQLite, or PostgreSQL with PEERTRACK_BROWSER_DATABASE=postgres):
// a tutor signs in through the emailed link, opens their cohorts, the cohort, and takes the
// first register; the cohort's other tutor saves the same register meanwhile; the first
// tutor's save is told so, with their marks kept, and saving again works. A learner of the
// cohort is refused the register. Every page passes checkPage (axe at 390×844 and 1280×800).

import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';

import { checkPage, launch } from './lib/checks.js';
import { signInByEmail } from './lib/session.js';
import { startServer } from './lib/server.js';

let server;
let browser;
const contexts = new Map();

before(async () => {
  server = await startServer();
  browser = await launch();
  console.log(`# ${server.describe()}; tutor ${server.people.tutor}, colleague ${server.people.colleague}`);
});

after(async () => {
  await browser?.close();
  await server?.stop();
});

const url = (path) => `${server.base}${path}`;
const check = (page, options) => checkPage(page, { database: server.database, ...options });
const shot = (name) => (server.database === 'sqlite' || process.env.PEERTRACK_SCREENSHOTS ? name : null);

/** Signs `who` in through the emailed link, in a context of their own (kept for later tests). */
async function signIn(who) {
  if (contexts.has(who)) return contexts.get(who);
  const email = server.people[who];
  const context = await signInByEmail(browser, server, email);
  contexts.set(who, context);
  return context;
}

/** The learners' names on a register page, in order (each group's legend). */
const learnerNames = (page) => page.locator('fieldset.marks legend').allInnerTexts();

/** The choice checked in a learner's group, or null. */
async function checkedIn(page, name) {
  const group = page.getByRole('group', { name, exact: true });
  for (const choice of ['Present', 'Late', 'Absent', 'Excused']) {
    if (await group.getByLabel(choice, { exact: true }).isChecked()) return choice;
  }
  return null;
}

/** A choice for a learner that differs from `not`. */
const other = (not, choices = ['Present', 'Late', 'Absent', 'Excused']) => choices.find((c) => c !== not);

let registerPath;

test('a tutor opens their cohorts and the cohort, and takes the first register', async () => {
  const context = await signIn('tutor');
  const page = await context.newPage();
  await page.goto(url('/home'));
  await page.getByRole('link', { name: /^Your cohorts/ }).click();
  await page.waitForURL(url('/cohorts'));
  assert.equal(await page.locator('h1').innerText(), 'Your cohorts');
  const cohortLink = page.locator(`a[href="/cohorts/${server.cohortId}"]`);
  const cohortName = await cohortLink.innerText();
  await check(page, { where: '/cohorts', controls: [cohortLink] });

  await cohortLink.click();
  await page.waitForURL(url(`/cohorts/${server.cohortId}`));
  assert.equal(await page.locator('h1').innerText(), cohortName);
  const takeRegister = page.getByRole('link', { name: 'Take the register' }).first();
  for (const name of ['Enrol learners', 'Download progress (CSV)', 'Record assessments', 'Issue certificates']) {
    assert.equal(await page.getByRole('link', { name, exact: true }).count(), 1, name);
  }
  assert.ok((await page.getByRole('link', { name: 'Register as CSV' }).count()) > 0);
  assert.ok((await page.getByRole('link', { name: 'Reschedule or cancel' }).count()) > 0);
  const standing = await page.locator('ul.learners .status').allInnerTexts();
  assert.ok(standing.length > 0, 'each learner has a standing');
  assert.ok(standing.every((s) => /^(On track|At risk|Cannot reach \d+%|Withdrawn|No attendance rule)$/.test(s)), standing.join(', '));
  await check(page, { where: 'the cohort page', screenshot: shot('cohort'), controls: [takeRegister] });

  await takeRegister.click();
  await page.waitForURL(/\/sessions\/[^/]+\/register$/);
  registerPath = new URL(page.url()).pathname;
  assert.match(await page.locator('h1').innerText(), /^Register: /);
  const names = await learnerNames(page);
  assert.ok(names.length > 0, 'learners on the register');
  for (const choice of ['Present', 'Late', 'Absent', 'Excused']) {
    assert.equal(await page.getByRole('radio', { name: choice, exact: true }).count(), names.length, choice);
  }
  // Large targets: each choice is at least 44 px tall, the whole label selects it.
  const box = await page.locator('label.mark').first().boundingBox();
  assert.ok(box.height >= 44, `a choice is ${box.height} px tall`);
  // The keyboard reaches each group at its chosen mark (or its first choice when none is).
  const firstGroup = page.locator('fieldset.marks').first();
  const chosen = firstGroup.locator('input[type=radio]:checked');
  const firstStop = (await chosen.count()) > 0 ? chosen : firstGroup.locator('input[type=radio]').first();
  await check(page, {
    where: 'the register',
    screenshot: shot('register'),
    controls: [firstStop, page.getByRole('button', { name: 'Save register' })],
  });

  // Mark the first learner differently from before and the second Late, by tapping the labels.
  const first = names[0];
  const was = await checkedIn(page, first);
  const mark = other(was);
  await page.getByRole('group', { name: first, exact: true }).getByText(mark, { exact: true }).click();
  if (names.length > 1) await page.getByRole('group', { name: names[1], exact: true }).getByText('Late', { exact: true }).click();
  await page.getByRole('button', { name: 'Save register' }).click();
  await page.waitForURL(url(`${registerPath}?done=saved`));
  assert.equal(await page.getByRole('status').innerText(), 'Register saved');
  assert.equal(await checkedIn(page, first), mark);
  if (names.length > 1) assert.equal(await checkedIn(page, names[1]), 'Late');
  assert.match(await page.locator('main').innerText(), /Last saved at .* by you\./);
  await check(page, { where: 'the register, saved', screenshot: shot('register-saved') });
  await page.close();
});

test('a save that loses a race with the other tutor is told so, keeps its marks, and saves again', async () => {
  assert.ok(registerPath, 'the first test found the register');
  const mine = await (await signIn('tutor')).newPage();
  await mine.goto(url(registerPath));
  const names = await learnerNames(mine);
  const first = names[0];
  const before = await checkedIn(mine, first);

  // Meanwhile the cohort's other tutor saves the same register with another mark.
  const theirs = await (await signIn('colleague')).newPage();
  await theirs.goto(url(registerPath));
  const theirMark = other(before, ['Absent', 'Excused', 'Present']);
  await theirs.getByRole('group', { name: first, exact: true }).getByText(theirMark, { exact: true }).click();
  await theirs.getByRole('button', { name: 'Save register' }).click();
  await theirs.waitForURL(url(`${registerPath}?done=saved`));
  await theirs.close();

  // This tutor, on the page opened before, enters marks of their own and saves.
  const myMark = other(before, ['Late', 'Present', 'Excused'].filter((c) => c !== theirMark));
  await mine.getByRole('group', { name: first, exact: true }).getByText(myMark, { exact: true }).click();
  let second = null;
  if (names.length > 1) {
    second = names[1];
    await mine.getByRole('group', { name: second, exact: true }).getByText('Present', { exact: true }).click();
  }
  await mine.getByRole('button', { name: 'Save register' }).click();
  const alert = mine.getByRole('alert');
  await alert.waitFor();
  assert.match(await alert.innerText(), /Someone else saved this register meanwhile/);
  assert.match(await alert.innerText(), /Nothing you entered is lost/);
  assert.equal(await checkedIn(mine, first), myMark, 'this tutor\'s mark is kept');
  if (second) assert.equal(await checkedIn(mine, second), 'Present', 'every mark is kept');
  const group = mine.getByRole('group', { name: first, exact: true });
  assert.match(await group.locator('.theirs').innerText(), new RegExp(`saved: ${theirMark}$`), 'what the other tutor saved');
  await check(mine, { where: 'the register after losing a race', screenshot: shot('register-clash') });

  // Saving again works, with the marks kept.
  await mine.getByRole('button', { name: 'Save register' }).click();
  await mine.waitForURL(url(`${registerPath}?done=saved`));
  assert.equal(await mine.getByRole('status').innerText(), 'Register saved');
  assert.equal(await checkedIn(mine, first), myMark);
  if (second) assert.equal(await checkedIn(mine, second), 'Present');
  await mine.close();
});

test('a learner of the cohort is refused the register and the cohort page', async () => {
  assert.ok(registerPath);
  const page = await (await signIn('cohortLearner')).newPage();
  for (const path of [registerPath, `/cohorts/${server.cohortId}`]) {
    const response = await page.goto(url(path));
    assert.equal(response.status(), 403, path);
    assert.equal(await page.locator('h1').innerText(), 'You cannot do this here');
    assert.equal(await page.getByRole('button', { name: 'Save register' }).count(), 0);
  }
  await check(page, { where: 'the register, refused to a learner' });
  await page.close();
});
