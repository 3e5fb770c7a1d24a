// The real `peertrack` binary on a fresh database, seeded with its own command line, with the
// emails it sends written to a folder the tests read.
//
// PEERTRACK_BINARY: the binary (default: target/debug/peertrack from the repository root).
// PEERTRACK_BROWSER_DATABASE: `sqlite` (default) or `postgres`; for PostgreSQL a new database is
// made for the run on PEERTRACK_BROWSER_POSTGRES (default postgres://root@127.0.0.1:5432/test,
// whose server is used, not its database) and dropped afterwards.

import { execFileSync, spawn } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
export const repository = path.resolve(here, '..', '..', '..');

/** How many peer workers `peertrack demo` makes: enough for every kind of record. */
const DEMO_PEOPLE = 400;

function freePort() {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

function binary() {
  const named = process.env.PEERTRACK_BINARY;
  const found = path.resolve(named || path.join(repository, 'target', 'debug', 'peertrack'));
  if (!fs.existsSync(found)) {
    throw new Error(`the peertrack binary is not at ${found}: build it (cargo build -p peertrack-api) or set PEERTRACK_BINARY`);
  }
  return found;
}

/** A fresh database for this run: a SQLite file, or a new PostgreSQL database. */
function freshDatabase(folder) {
  const kind = process.env.PEERTRACK_BROWSER_DATABASE || 'sqlite';
  if (kind === 'sqlite') {
    const file = path.join(folder, 'peertrack.db');
    return {
      kind,
      url: `sqlite://${file}`,
      query: (sql) => execFileSync('sqlite3', ['-batch', '-noheader', file, sql], { encoding: 'utf8' }),
      drop: () => {},
    };
  }
  if (kind === 'postgres') {
    const server = new URL(process.env.PEERTRACK_BROWSER_POSTGRES || 'postgres://root@127.0.0.1:5432/test');
    const name = `peertrack_browser_${process.pid}_${Date.now()}`;
    const admin = new URL(server);
    admin.pathname = '/postgres';
    execFileSync('psql', [admin.toString(), '-qtAc', `CREATE DATABASE ${name}`], { stdio: 'pipe' });
    const url = new URL(server);
    url.pathname = `/${name}`;
    return {
      kind,
      url: url.toString(),
      query: (sql) => execFileSync('psql', [url.toString(), '-qtAc', sql], { encoding: 'utf8' }),
      drop: () => {
        try {
          execFileSync('psql', [admin.toString(), '-qtAc', `DROP DATABASE IF EXISTS ${name} WITH (FORCE)`], { stdio: 'pipe' });
        } catch (error) {
          console.error(`could not drop ${name}: ${error.message}`);
        }
      },
    };
  }
  throw new Error(`PEERTRACK_BROWSER_DATABASE must be sqlite or postgres, not ${kind}`);
}

/** One value from a query, trimmed; fails when there is none. */
function one(database, what, sql) {
  const found = database.query(sql).trim().split('\n')[0]?.trim();
  if (!found) throw new Error(`the demo data has no ${what}`);
  return found;
}

/** 1 when the condition holds, else 0, in both SQL dialects. */
const has = (condition) => `(CASE WHEN EXISTS (${condition}) THEN 1 ELSE 0 END)`;

/**
 * Starts `peertrack serve` on a fresh database filled by `peertrack demo`, and finds in it the
 * people the tests sign in as.
 */
export async function startServer() {
  const folder = fs.mkdtempSync(path.join(os.tmpdir(), 'peertrack-browser-'));
  const database = freshDatabase(folder);
  const port = await freePort();
  const base = `http://127.0.0.1:${port}`;
  const mailDir = path.join(folder, 'mail');
  const env = {
    ...process.env,
    PEERTRACK_DATABASE_URL: database.url,
    PEERTRACK_LISTEN: `127.0.0.1:${port}`,
    PEERTRACK_PUBLIC_URL: base,
    PEERTRACK_MAIL_DIR: mailDir,
    PEERTRACK_KEY_DIR: path.join(folder, 'keys'),
    RUST_LOG: process.env.PEERTRACK_BROWSER_SERVER_LOG || 'warn',
  };
  delete env.PEERTRACK_SMTP_URL;
  const exe = binary();
  const cli = (...args) => execFileSync(exe, args, { env, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] }).trim();

  cli('demo', '--people', String(DEMO_PEOPLE), '--seed', '7');
  // Someone with nothing yet, for the empty pages; and an organisation nobody shares with.
  const newcomerEmail = 'newcomer@peertrack-browser.example';
  cli('admin', 'add-admin', '--email', newcomerEmail, '--name', 'Nia Newcomer');
  cli('admin', 'add-organisation', '--name', 'Lantern Peer Support Network');

  const today = new Date().toISOString().slice(0, 10);
  // A peer worker with a certificate and a placement, with as much else as can be found.
  const [learner, placementId, placementDay] = one(database, 'peer worker with a certificate and a placement', `
    SELECT p.email, pl.id,
           CASE WHEN pl.ends_on IS NULL OR pl.ends_on > '${today}' THEN '${today}' ELSE pl.ends_on END
    FROM people p JOIN placements pl ON pl.person_id = p.id
    WHERE p.email IS NOT NULL AND p.erased_at IS NULL AND NOT p.is_admin AND pl.starts_on <= '${today}'
      AND EXISTS (SELECT 1 FROM certificates c WHERE c.person_id = p.id AND c.revoked_at IS NULL)
    ORDER BY ${has('SELECT 1 FROM consents k WHERE k.person_id = p.id AND k.withdrawn_at IS NULL')}
           + ${has('SELECT 1 FROM access_log a WHERE a.person_id = p.id')}
           + ${has('SELECT 1 FROM supervision_sessions s WHERE s.placement_id = pl.id')} DESC,
           p.email, pl.id
    LIMIT 1`).split('|');
  // A supervisor with at least two sessions waiting: one to decline, one to verify.
  const supervisor = one(database, 'supervisor with supervision to confirm', `
    SELECT p.email FROM people p
    WHERE p.email IS NOT NULL AND (
      SELECT COUNT(*) FROM placements pl JOIN supervision_sessions s ON s.placement_id = pl.id
      WHERE pl.supervisor_id = p.id AND s.verified_by IS NULL AND s.declined_at IS NULL) >= 2
    ORDER BY p.email LIMIT 1`);

  // Spreadsheets (spreadsheets.test.js): a tutor of a cohort that has not ended, with a session
  // already held whose register has marks.
  const [sheetsTutor, sheetsCohort, sheetsSession] = one(database, 'tutor with a register taken', `
    SELECT p.email, c.id, s.id FROM people p
    JOIN cohort_tutors t ON t.person_id = p.id JOIN cohorts c ON c.id = t.cohort_id
    JOIN sessions s ON s.cohort_id = c.id
    WHERE p.email IS NOT NULL AND p.erased_at IS NULL AND NOT p.is_admin AND c.ends_on >= '${today}'
      AND s.starts_at < '${today}' AND s.cancelled_at IS NULL
      AND EXISTS (SELECT 1 FROM attendance a WHERE a.session_id = s.id)
    ORDER BY p.email, c.id, s.starts_at DESC, s.id
    LIMIT 1`).split('|');
  // Tutors (tutor.test.js): a tutor of a cohort with learners and sessions (running today if
  // one is), the cohort's other tutor, and one of its learners.
  const [tutor, colleague, cohortId, cohortLearner] = one(database, 'cohort with two tutors, learners and sessions', `
    SELECT p1.email, p2.email, c.id, pl.email FROM cohorts c
    JOIN cohort_tutors t1 ON t1.cohort_id = c.id JOIN people p1 ON p1.id = t1.person_id
    JOIN cohort_tutors t2 ON t2.cohort_id = c.id AND t2.person_id > t1.person_id JOIN people p2 ON p2.id = t2.person_id
    JOIN enrolments e ON e.cohort_id = c.id AND e.withdrawn_at IS NULL JOIN people pl ON pl.id = e.person_id
    WHERE p1.email IS NOT NULL AND p2.email IS NOT NULL AND pl.email IS NOT NULL AND pl.erased_at IS NULL
      AND NOT p1.is_admin AND NOT p2.is_admin
      AND EXISTS (SELECT 1 FROM sessions s WHERE s.cohort_id = c.id AND s.cancelled_at IS NULL)
    ORDER BY CASE WHEN c.starts_on <= '${today}' AND c.ends_on >= '${today}' THEN 0 ELSE 1 END, c.starts_on DESC, c.id, pl.email
    LIMIT 1`).split('|');

  const log = fs.openSync(path.join(folder, 'server.log'), 'a');
  const child = spawn(exe, ['serve'], { env, stdio: ['ignore', log, log] });
  const exited = new Promise((resolve) => child.on('exit', resolve));
  const deadline = Date.now() + 60_000;
  for (;;) {
    if (child.exitCode !== null) {
      throw new Error(`peertrack serve stopped (${child.exitCode}):\n${fs.readFileSync(path.join(folder, 'server.log'), 'utf8')}`);
    }
    try {
      if ((await fetch(`${base}/health`)).ok) break;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) throw new Error(`peertrack serve did not answer at ${base}/health within 60 s`);
    await new Promise((r) => setTimeout(r, 200));
  }

  return {
    base,
    database: database.kind,
    folder,
    people: { learner, supervisor, newcomer: newcomerEmail, tutor, colleague, cohortLearner },
    /** The tutor's cohort (tutor.test.js). */
    cohortId,
    /** One of the learner's placements, and a day within it (for logging supervision). */
    placement: { id: placementId, day: placementDay },
    /** For spreadsheets.test.js: a tutor, their current cohort, and a session of it with marks. */
    tutorSheets: { email: sheetsTutor, cohortId: sheetsCohort, sessionId: sheetsSession },
    cli,
    query: database.query,
    /** Names the run in failures: where the server's log and database are. */
    describe: () => `${database.kind} database; server log ${path.join(folder, 'server.log')}`,
    /** The newest sign-in link emailed to `email` after `since` (ms), waiting up to 20 s. */
    async signInLink(email, since) {
      const until = Date.now() + 20_000;
      while (Date.now() < until) {
        const found = signInLinks(mailDir, base, email).filter((m) => m.at >= since - 1000);
        if (found.length > 0) return found.sort((a, b) => b.at - a.at)[0].link;
        await new Promise((r) => setTimeout(r, 150));
      }
      throw new Error(`no sign-in email reached ${email} in ${mailDir} within 20 s`);
    },
    /** How many sign-in emails went to `email`. */
    signInEmailsTo: (email) => signInLinks(mailDir, base, email).length,
    async stop() {
      if (child.exitCode === null) {
        child.kill('SIGTERM');
        await Promise.race([exited, new Promise((r) => setTimeout(r, 10_000))]);
        if (child.exitCode === null) child.kill('SIGKILL');
      }
      fs.closeSync(log);
      database.drop();
      if (!process.env.PEERTRACK_BROWSER_KEEP) fs.rmSync(folder, { recursive: true, force: true });
    },
  };
}

/** The sign-in links in the `.eml` files addressed to `email`. */
function signInLinks(mailDir, base, email) {
  if (!fs.existsSync(mailDir)) return [];
  const pattern = new RegExp(`${base.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}/sign-in\\?token=[A-Za-z0-9_-]+`);
  const links = [];
  for (const name of fs.readdirSync(mailDir)) {
    if (!name.endsWith('.eml')) continue;
    const file = path.join(mailDir, name);
    const text = fs.readFileSync(file, 'utf8');
    const to = /^To: (.*)$/m.exec(text)?.[1] ?? '';
    if (!to.toLowerCase().includes(email.toLowerCase())) continue;
    const link = pattern.exec(text)?.[0];
    if (link) links.push({ link, at: fs.statSync(file).mtimeMs });
  }
  return links;
}
