// What every page must pass: axe-core at WCAG 2.2 AA, one h1, no sideways scrolling on a
// phone, keyboard access to its main controls with visible focus, no request to anywhere but
// the server, and no console error (a CSP violation is one). Screenshots are taken here too.

import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import AxeBuilder from '@axe-core/playwright';
import { chromium } from 'playwright-core';

import { repository } from './server.js';

export const AXE_TAGS = ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'wcag22aa'];

export const SIZES = {
  small: { width: 360, height: 800 },
  phone: { width: 390, height: 844 },
  desktop: { width: 1280, height: 800 },
};

/** Where screenshots go: PEERTRACK_SCREENSHOTS, or target/browser-screenshots/<database>. */
export function screenshotFolder(database) {
  const named = process.env.PEERTRACK_SCREENSHOTS;
  return path.resolve(named ? path.resolve(named) : path.join(repository, 'target', 'browser-screenshots', database));
}

/** Makes a screenshot smaller with pngquant, when it is installed (apt-get install pngquant). */
function shrink(file) {
  try {
    execFileSync('pngquant', ['--force', '--skip-if-larger', '--quality', '60-90', '--output', file, file], { stdio: 'ignore' });
  } catch {
    // not installed, or it could not do better: the screenshot stays as it is
  }
}

/** Debian's Chromium (CHROMIUM_PATH, default /usr/bin/chromium). */
export function launch() {
  const executablePath = process.env.CHROMIUM_PATH || '/usr/bin/chromium';
  if (!fs.existsSync(executablePath)) {
    throw new Error(`Chromium is not at ${executablePath}: apt-get install -y chromium, or set CHROMIUM_PATH`);
  }
  return chromium.launch({ executablePath, args: ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage'] });
}

/**
 * A browser context at phone size that records every request leaving the server and every
 * console error or uncaught script error, in `context.problems`.
 */
export async function newContext(browser, base) {
  const context = await browser.newContext({ viewport: SIZES.phone, acceptDownloads: true, locale: 'en-GB' });
  const origin = new URL(base).origin;
  context.problems = [];
  context.on('request', (request) => {
    const url = request.url();
    if (url.startsWith('data:') || url.startsWith('blob:') || url === 'about:blank') return;
    if (new URL(url).origin !== origin) context.problems.push(`a request left the server: ${request.method()} ${url}`);
  });
  context.setDefaultTimeout(15_000);
  // A page answered 4xx on purpose (a refused form) logs "Failed to load resource"; a failed
  // stylesheet, image or script is caught by its response instead.
  context.on('response', (response) => {
    if (response.status() >= 400 && response.request().resourceType() !== 'document') {
      context.problems.push(`${response.status()} for ${response.request().resourceType()} ${response.url()}`);
    }
  });
  context.on('console', (message) => {
    if (/^Failed to load resource: the server responded with a status of 4\d\d/.test(message.text())) return;
    if (message.type() === 'error' || message.type() === 'warning') {
      context.problems.push(`console ${message.type()} on ${message.page()?.url()}: ${message.text()}`);
    }
  });
  context.on('weberror', (error) => context.problems.push(`script error: ${error.error().message}`));
  return context;
}

/** Fails with what the context recorded so far, and forgets it. */
export function assertNoProblems(context, where) {
  const problems = context.problems.splice(0);
  assert.deepEqual(problems, [], `${where}: ${problems.join('\n')}`);
}

/** Runs axe-core with the WCAG 2.2 AA tags; fails with each violation and where it is. */
export async function assertAxeClean(page, where) {
  const results = await new AxeBuilder({ page }).withTags(AXE_TAGS).analyze();
  const lines = results.violations.flatMap((v) =>
    v.nodes.map((n) => `${v.id} (${v.impact}): ${v.help}\n    at ${n.target.join(' ')}\n    ${n.failureSummary?.replace(/\n/g, ' ')}`),
  );
  assert.equal(lines.length, 0, `axe found ${lines.length} violation(s) on ${where}:\n${lines.join('\n')}`);
  return { passes: results.passes.length, incomplete: results.incomplete.length };
}

/** No sideways scrolling: the page is no wider than the window. */
export async function assertNoSidewaysScroll(page, where) {
  const widths = await page.evaluate(() => {
    const wide = [...document.querySelectorAll('body *')]
      .filter((el) => el.getBoundingClientRect().right > document.documentElement.clientWidth + 0.5)
      .slice(0, 5)
      .map((el) => `${el.tagName.toLowerCase()}${el.className ? `.${String(el.className).replace(/ /g, '.')}` : ''}`);
    return { scroll: document.documentElement.scrollWidth, client: document.documentElement.clientWidth, wide };
  });
  assert.ok(
    widths.scroll <= widths.client,
    `${where} scrolls sideways: ${widths.scroll} px wide in a ${widths.client} px window (too wide: ${widths.wide.join(', ')})`,
  );
}

/** Describes the focused element, for messages. */
function focused(page) {
  return page.evaluate(() => {
    const el = document.activeElement;
    if (!el || el === document.body) return 'nothing';
    const name = el.getAttribute('aria-label') || el.textContent?.trim().replace(/\s+/g, ' ').slice(0, 40) || el.getAttribute('name') || '';
    return `${el.tagName.toLowerCase()} "${name}"`;
  });
}

/**
 * Presses Tab until `target` has focus (from the top of the page when nothing has focus),
 * checks the focus is visible, and returns how many presses it took.
 */
export async function tabTo(page, target, where, most = 80) {
  const seen = [];
  assert.ok((await target.count()) > 0, `${where}: there is no ${target}`);
  for (let presses = 1; presses <= most; presses++) {
    await page.keyboard.press('Tab');
    if (await target.evaluate((el) => el === document.activeElement).catch(() => false)) {
      const focus = await target.evaluate((el) => {
        const style = getComputedStyle(el);
        return {
          visible: el.matches(':focus-visible'),
          outline: style.outlineStyle !== 'none' && parseFloat(style.outlineWidth) >= 2,
          box: el.getBoundingClientRect().height,
        };
      });
      assert.ok(focus.visible && focus.outline, `${where}: the focus on ${await focused(page)} is not visible`);
      return presses;
    }
    seen.push(await focused(page));
  }
  throw new Error(`${where}: Tab did not reach ${target} in ${most} presses; it went through ${seen.join(' → ')}`);
}

/** Puts the keyboard at the top of the page, as a fresh visit does. */
export async function focusTop(page) {
  await page.evaluate(() => {
    document.activeElement?.blur();
    window.scrollTo(0, 0);
  });
  // After a blur Chromium carries on from where the focus was; start from before the first
  // element instead: focus the skip link and step back off it.
  await page.locator('a.skip').focus();
  await page.keyboard.press('Shift+Tab');
}

/**
 * Checks the page now shown: one h1, axe at phone and desktop size, no sideways scrolling at
 * 360, 390 and 1280 px, the keyboard reaching each of `controls` (locators), nothing leaving
 * the server, no console error; screenshots at 390×844 and 1280×800 when `screenshot` names them.
 */
export async function checkPage(page, { where, controls = [], screenshot = null, database = 'sqlite' }) {
  const h1s = await page.locator('h1').allInnerTexts();
  assert.equal(h1s.length, 1, `${where} has ${h1s.length} h1 elements: ${JSON.stringify(h1s)}`);
  const axe = [];
  for (const [size, viewport] of Object.entries(SIZES)) {
    await page.setViewportSize(viewport);
    await assertNoSidewaysScroll(page, `${where} at ${viewport.width}×${viewport.height}`);
    if (size === 'small') continue;
    axe.push(await assertAxeClean(page, `${where} at ${viewport.width}×${viewport.height}`));
    if (screenshot) {
      const folder = screenshotFolder(database);
      fs.mkdirSync(folder, { recursive: true });
      await page.evaluate(() => window.scrollTo(0, 0));
      const file = path.join(folder, `${screenshot}-${size}.png`);
      await page.screenshot({ path: file, animations: 'disabled' });
      shrink(file);
    }
  }
  await page.setViewportSize(SIZES.phone);
  for (const control of controls) {
    await focusTop(page);
    await tabTo(page, control, where);
  }
  assertNoProblems(page.context(), where);
  return { h1: h1s[0], axe };
}
