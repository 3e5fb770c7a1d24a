// Spreadsheets and calendars in Debian's Chromium at 390×844, on the real server (SQLite, or
// PostgreSQL with PEERTRACK_BROWSER_DATABASE=postgres): a tutor enrols learners from a pasted
// list (the preview shows a bad row's problem beside it, then the corrected list is enrolled),
// downloads the cohort's progress and a register as CSV and reads them back with a CSV parser;
// a learner makes a calendar link and their calendar app's request gets the feed.
//
// Every page passes checkPage (lib/checks.js): axe-core at WCAG 2.2 AA, one h1, no sideways
// scrolling, the keyboard reaching the main controls, nothing leaving the server.

import assert from 'node:assert/strict';
import fs from 'node:fs';
import { after, before, test } from 'node:test';

import { checkPage, launch } from './lib/checks.js';
import { signInByEmail } from './lib/session.js';
import { startServer } from './lib/server.js';

let server;
let browser;

before(async () => {
  server = await startServer();
  browser = await launch();
  console.log(`# ${server.describe()}; tutor ${server.tutorSheets.email}`);
});

after(async () => {
  await browser?.close();
  await server?.stop();
});

const url = (path) => `${server.base}${path}`;
const check = (page, options) => checkPage(page, { database: server.database, ...options });
const shot = (name) => (server.database === 'sqlite' || process.env.PEERTRACK_SCREENSHOTS ? name : null);

/** Signs in by the emailed link; a context at phone size with the session. */
async function signIn(email) {
  const context = await signInByEmail(browser, server, email);
  const page = await context.newPage();
  await page.goto(url('/home'));
  return { context, page };
}

/** RFC 4180 CSV: quoted cells with doubled quotes, commas and line breaks inside quotes. */
function parseCsv(text) {
  const rows = [];
  let row = [];
  let cell = '';
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (quoted) {
      if (c === '"' && text[i + 1] === '"') {
        cell += '"';
        i++;
      } else if (c === '"') {
        quoted = false;
      } else {
        cell += c;
      }
    } else if (c === '"') {
      quoted = true;
    } else if (c === ',') {
      row.push(cell);
      cell = '';
    } else if (c === '\r' || c === '\n') {
      if (c === '\r' && text[i + 1] === '\n') i++;
      row.push(cell);
      rows.push(row);
      row = [];
      cell = '';
    } else {
      cell += c;
    }
  }
  if (cell !== '' || row.length > 0) rows.push([...row, cell]);
  return rows;
}

/** Opens a download's address as the browser would; its suggested name and bytes. */
async function download(page, path) {
  const [file] = await Promise.all([page.waitForEvent('download'), page.goto(url(path)).catch(() => {})]);
  const bytes = fs.readFileSync(await file.path());
  return { name: file.suggestedFilename(), bytes };
}

/** A CSV file's rows after checking the byte order mark Excel needs. */
function csvRows(bytes) {
  assert.deepEqual([...bytes.subarray(0, 3)], [0xef, 0xbb, 0xbf], 'a UTF-8 byte order mark');
  return parseCsv(bytes.subarray(3).toString('utf8'));
}

test('a tutor enrols learners from a pasted list and downloads the spreadsheets', async () => {
  const { email, cohortId, sessionId } = server.tutorSheets;
  const { context, page } = await signIn(email);
  await page.goto(url(`/cohorts/${cohortId}/enrol`));
  await page.getByRole('heading', { level: 1, name: /^Enrol learners in / }).waitFor();
  await check(page, {
    where: 'enrol',
    screenshot: shot('enrol'),
    controls: [page.getByLabel('Paste the list'), page.getByRole('button', { name: 'Preview' }), page.getByRole('button', { name: 'Enrol this learner' })],
  });

  // A list with one bad row: the preview says what is wrong beside that row, and saves nothing.
  const good = ['Aoife Byrne,aoife.sheets@peertrack-browser.example', '=Zainab Ahmed,zainab.sheets@peertrack-browser.example', '王小明,wang.sheets@peertrack-browser.example'];
  await page.getByLabel('Paste the list').fill(['name,email', good[0], 'Rory Bell,rory.sheets at example', good[1], good[2]].join('\n'));
  await page.getByRole('button', { name: 'Preview' }).click();
  await page.getByRole('heading', { level: 2, name: 'Preview of your list' }).waitFor();
  assert.match(await page.locator('#line-3 .field-error').innerText(), /The email address “rory\.sheets at example” is not right/);
  assert.equal(await page.getByRole('button', { name: 'Enrol these learners' }).count(), 0, 'nothing to confirm while a row needs changing');
  await check(page, { where: 'enrol preview with a problem', screenshot: shot('enrol-preview-problem'), controls: [page.getByRole('link', { name: 'Line 3' })] });

  // Corrected in the same box: previewed again, then enrolled all together.
  await page.getByLabel('Paste the list').fill(['name,email', good[0], 'Rory Bell,rory.sheets@peertrack-browser.example', good[1], good[2]].join('\n'));
  await page.getByRole('button', { name: 'Preview' }).click();
  await page.getByText('4 rows: 4 to enrol. Nothing is saved yet.').waitFor();
  await check(page, { where: 'enrol preview', screenshot: shot('enrol-preview'), controls: [page.getByRole('button', { name: 'Enrol these learners' })] });
  await page.getByRole('button', { name: 'Enrol these learners' }).click();
  await page.waitForURL(/\/enrol\?enrolled=4&left_out=0$/);
  await page.getByText('Done: 4 learners enrolled.').waitFor();
  await check(page, { where: 'enrolled' });

  // The cohort's progress as a spreadsheet: a header, everyone, the formula made inert.
  const progress = await download(page, `/cohorts/${cohortId}/progress.csv`);
  assert.match(progress.name, /^progress-[a-z0-9-]+-\d{4}-\d{2}-\d{2}\.csv$/);
  const rows = csvRows(progress.bytes);
  assert.deepEqual(rows[0].slice(0, 3), ['Name', 'Email', 'Enrolment']);
  assert.ok(rows.every((r) => r.length === rows[0].length), 'every row has every column');
  const byEmail = new Map(rows.slice(1).map((r) => [r[1], r]));
  assert.equal(byEmail.get('zainab.sheets@peertrack-browser.example')?.[0], "'=Zainab Ahmed");
  assert.equal(byEmail.get('wang.sheets@peertrack-browser.example')?.[0], '王小明');
  assert.equal(byEmail.get('rory.sheets@peertrack-browser.example')?.[10], 'No');
  assert.ok(rows.slice(1).every((r) => !/^[=+\-@\t\r]/.test(r[0])), 'no cell starts a formula');

  // A register as a spreadsheet.
  const register = await download(page, `/sessions/${sessionId}/register.csv`);
  assert.match(register.name, /^register-[a-z0-9-]*-?\d{4}-\d{2}-\d{2}\.csv$/);
  const marks = csvRows(register.bytes);
  assert.deepEqual(marks[0], ['Name', 'Email', 'Mark', 'Marked at (UK time)', 'Note']);
  assert.ok(marks.length > 1, 'the register names its learners');
  assert.ok(marks.slice(1).some((r) => ['Present', 'Late', 'Absent', 'Excused'].includes(r[2])), JSON.stringify(marks));
  assert.ok(marks.slice(1).every((r) => r[2] === 'Not marked' || /^\d{4}-\d{2}-\d{2} \d{2}:\d{2}$/.test(r[3])), JSON.stringify(marks));
  await context.close();
});

test('a learner makes a calendar link and their calendar app reads it', async () => {
  // Aoife, enrolled by the tutor in the test above, in a cohort with sessions this year.
  const { context, page } = await signIn('aoife.sheets@peertrack-browser.example');
  await page.getByRole('link', { name: /^Your calendar/ }).click();
  await page.getByRole('heading', { level: 1, name: 'Your calendar' }).waitFor();
  await check(page, { where: 'calendar', screenshot: shot('calendar'), controls: [page.getByRole('button', { name: 'Make a calendar link' })] });
  await page.getByRole('button', { name: 'Make a calendar link' }).click();
  const address = await page.locator('#address').inputValue();
  assert.match(address, new RegExp(`^${server.base.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}/calendar/ptc_[A-Za-z0-9_-]+\\.ics$`));
  await check(page, {
    where: 'calendar link made',
    screenshot: shot('calendar-link'),
    controls: [page.locator('#address'), page.getByRole('button', { name: 'Make a new link' }), page.getByRole('button', { name: 'Stop the calendar link' })],
  });

  // The calendar app has no cookie: the link alone opens the feed.
  const feed = await fetch(address);
  assert.equal(feed.status, 200);
  assert.equal(feed.headers.get('content-type'), 'text/calendar; charset=utf-8');
  const text = (await feed.text()).replace(/\r\n[ \t]/g, '');
  assert.ok(text.startsWith('BEGIN:VCALENDAR\r\n') && text.trimEnd().endsWith('END:VCALENDAR'), text.slice(0, 200));
  const events = text.split('BEGIN:VEVENT').slice(1);
  assert.ok(events.length > 0, 'the learner has sessions');
  for (const event of events) {
    assert.match(event, /\r\nUID:session-[0-9a-f-]+@peertrack\r\n/);
    assert.match(event, /\r\nDTSTART:\d{8}T\d{6}Z\r\n/);
    assert.match(event, /\r\nSTATUS:(CONFIRMED|CANCELLED)\r\n/);
  }

  // Stopped: the link finds nothing any more.
  await page.getByRole('button', { name: 'Stop the calendar link' }).click();
  await page.getByText('Your calendar link is stopped.').waitFor();
  await check(page, { where: 'calendar link stopped' });
  assert.equal((await fetch(address)).status, 404);
  await context.close();
});
