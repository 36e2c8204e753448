// The operator console in a real headless Chromium, on desktop and phone widths: set a password from the
// CLI's one-time link, sign in, create a customer and a feature, upload a rate card and a CDR file, run
// billing and watch it finish, approve and email the invoice, open its PDF, and find each change in the
// audit log (from the console and from the API). Then the guards: a viewer sees no buttons and the server
// refuses its posts; another account's user gets 404 for this account's pages; forged CSRF is refused;
// sign-in is rate-limited and answers unknown email and wrong password alike. axe-core finds no serious or
// critical violation on any page, and no page scrolls sideways at 390 px. Screenshots go to
// CONSOLE_SCREENSHOTS (a folder outside the repository) when it is set.
import axe from 'axe-core';
import { existsSync, mkdirSync } from 'node:fs';
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createConsoleUser } from '../../src/console-users/manage-users.ts';
import { useHarness } from '../helpers/harness.ts';

const CHROMIUM = process.env.CHROMIUM_PATH || '/usr/bin/chromium';
export const PHONE = { viewport: { width: 390, height: 844 }, deviceScaleFactor: 2, isMobile: true, hasTouch: true };
const DESKTOP = { viewport: { width: 1280, height: 900 } };
const SCREENSHOTS = process.env.CONSOLE_SCREENSHOTS;
if (SCREENSHOTS) mkdirSync(SCREENSHOTS, { recursive: true });
const PASSWORD = 'correct horse battery';

let browser: Browser | undefined;
beforeAll(async () => {
  if (!existsSync(CHROMIUM)) throw new Error(`Chromium not found at ${CHROMIUM}: install it (apt-get install chromium) or set CHROMIUM_PATH`);
  browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking'] });
});
afterAll(async () => {
  await browser?.close();
});

const h = useHarness();

async function accessibilityProblems(page: Page): Promise<string[]> {
  await page.evaluate(axe.source);
  const result = await page.evaluate(async () => (window as unknown as { axe: typeof axe }).axe.run(document, { resultTypes: ['violations'] }));
  return result.violations.filter((v) => v.impact === 'serious' || v.impact === 'critical').map((v) => `${v.id}: ${v.help} (${v.nodes.map((n) => n.target.join(' ')).slice(0, 3).join(', ')})`);
}

const cspErrors: string[] = [];

/** axe, no sideways scroll at the context's width, no CSP violation or script error; a screenshot. */
async function checkPage(page: Page, name: string): Promise<void> {
  await page.waitForLoadState('load');
  expect(await accessibilityProblems(page), name).toEqual([]);
  const widths = await page.evaluate(() => ({ scroll: document.documentElement.scrollWidth, client: document.documentElement.clientWidth }));
  expect(widths.scroll, `${name} scrolls sideways`).toBeLessThanOrEqual(widths.client);
  expect(cspErrors, name).toEqual([]);
  const width = page.viewportSize()?.width ?? 0;
  if (SCREENSHOTS) await page.screenshot({ path: `${SCREENSHOTS}/console-${name}-${width < 600 ? 'phone' : 'desktop'}.png`, fullPage: true });
}

async function newPage(context: BrowserContext): Promise<Page> {
  const page = await context.newPage();
  page.on('console', (msg) => {
    if (msg.type() === 'error') cspErrors.push(msg.text());
  });
  page.on('pageerror', (err) => cspErrors.push(err.message));
  return page;
}

export async function setUpUser(accountId: number, email: string, role: string): Promise<void> {
  const { setUpPath } = await createConsoleUser(h.ctx, accountId, { email, role });
  const res = await fetch(`${h.url}${setUpPath}`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams({ password: PASSWORD }).toString(), redirect: 'manual' });
  expect(res.status).toBe(303);
}

export async function signIn(page: Page, email: string, password = PASSWORD): Promise<void> {
  await page.goto(`${h.url}/console/sign-in`);
  await page.fill('#email', email);
  await page.fill('#password', password);
  await page.getByRole('button', { name: 'Sign in' }).click();
}

export async function cookieHeader(context: BrowserContext): Promise<string> {
  return (await context.cookies()).map((c) => `${c.name}=${c.value}`).join('; ');
}

export async function lastMailTo(email: string, pattern: RegExp): Promise<string> {
  await h.outbox.runOnce();
  const files = (await readdir(h.mailDir)).sort().reverse();
  for (const f of files) {
    const text = (await readFile(join(h.mailDir, f), 'utf8')).replace(/=\r?\n/g, '');
    const m = pattern.exec(text);
    if (text.includes(email) && m) return m[1]!;
  }
  throw new Error(`no mail to ${email}`);
}

describe('operator console', () => {
  it('sets a password from the one-time link, signs in, and serves every asset from this server under a strict CSP', { timeout: 240_000 }, async () => {
    const account = await h.account({ name: 'Acme Telecom' });
    const { setUpPath } = await createConsoleUser(h.ctx, account.id, { email: 'owner@acme.example', role: 'owner', name: 'Olive Owner' });
    const context = await browser!.newContext(DESKTOP);
    const page = await newPage(context);
    await page.goto(`${h.url}${setUpPath}`);
    await checkPage(page, 'set-password');
    await page.fill('#password', PASSWORD);
    await page.getByRole('button', { name: 'Save password' }).click();
    await page.waitForURL(/sign-in/);
    await checkPage(page, 'sign-in');
    // The link works once.
    expect((await fetch(`${h.url}${setUpPath}`)).status).toBe(410);
    await page.fill('#password', PASSWORD);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.waitForURL(/\/console$/);
    expect(await page.textContent('h1')).toBe('Overview');
    const response = await page.goto(`${h.url}/console`);
    const csp = response!.headers()['content-security-policy']!;
    expect(csp).toContain("default-src 'none'");
    expect(csp).toContain("script-src 'self'");
    expect(csp).not.toContain('unsafe');
    const scripts = await page.evaluate(() => [...document.scripts].filter((s) => s.src).map((s) => new URL(s.src).pathname));
    expect(scripts).toEqual(['/console/assets/htmx.min.js', '/console/assets/uPlot.iife.min.js', '/console/assets/console.js']);
    // htmx and uPlot loaded and the charts drew (canvas elements), with no CSP violation.
    expect(await page.evaluate(() => typeof (window as any).htmx === 'object' && typeof (window as any).uPlot === 'function')).toBe(true);
    await page.waitForSelector('#chart-revenue canvas');
    await checkPage(page, 'overview-empty');
    const session = (await context.cookies()).find((c) => c.name === 'rb_console')!;
    expect(session).toMatchObject({ httpOnly: true, sameSite: 'Lax', path: '/console' });
    await context.close();
  });
});
