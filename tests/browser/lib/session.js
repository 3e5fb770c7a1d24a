// Signing in as a person does: the welcome page's form, the link in the email the service
// wrote, and the Sign in button.

import { newContext } from './checks.js';

/** Signs `email` in with the mouse, through the emailed link; a new browser context, at /home. */
export async function signInByEmail(browser, server, email) {
  const context = await newContext(browser, server.base);
  const page = await context.newPage();
  await page.goto(`${server.base}/`);
  const since = Date.now();
  await page.getByLabel('Email address').fill(email);
  await page.getByRole('button', { name: 'Email me a sign-in link' }).click();
  await page.getByRole('heading', { level: 1, name: 'Check your email' }).waitFor();
  await page.goto(await server.signInLink(email, since));
  await page.getByRole('button', { name: 'Sign in', exact: true }).click();
  await page.waitForURL(`${server.base}/home`);
  await page.close();
  return context;
}
