// What the console's tests share: one headless Chromium per test file (launched before the file's tests,
// closed after), axe-core's serious and critical violations, the per-page checks (no sideways scroll, no CSP
// violation or script error, a screenshot to CONSOLE_SCREENSHOTS when it is set), and console users set up
// from their one-time link and signed in through the sign-in form, in the browser or (consoleSession) with
// plain requests.
import axe from 'axe-core';
import { existsSync, mkdirSync } from 'node:fs';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { afterAll, beforeAll, expect } from 'vitest';
import { createConsoleUser } from '../../src/console-users/manage-users.ts';
import { runCli } from './cli.ts';
import type { Harness } from './harness.ts';

export const CHROMIUM = process.env.CHROMIUM_PATH || '/usr/bin/chromium';
export const PHONE = {
  viewport: { width: 390, height: 844 },
  deviceScaleFactor: 2,
  isMobile: true,
  hasTouch: true,
};
export const DESKTOP = { viewport: { width: 1280, height: 900 } };
export const SCREENSHOTS = process.env.CONSOLE_SCREENSHOTS;
export const PASSWORD = 'correct horse battery';

/** Launches Chromium before the file's tests and closes it after; the getter fails if it is not running. */
export function useChromium(): () => Browser {
  let browser: Browser | undefined;
  beforeAll(async () => {
    if (!existsSync(CHROMIUM))
      throw new Error(
        `Chromium not found at ${CHROMIUM}: install it (apt-get install chromium) or set CHROMIUM_PATH`,
      );
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      headless: true,
      args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking'],
    });
  });
  afterAll(async () => {
    await browser?.close();
  });
  return () => {
    if (!browser) throw new Error('Chromium is not running (useChromium starts it in beforeAll)');
    return browser;
  };
}

/** axe-core's serious and critical violations on the page, one line each. */
export async function accessibilityProblems(page: Page): Promise<string[]> {
  await page.evaluate(axe.source);
  const result = await page.evaluate(async () =>
    (window as unknown as { axe: typeof axe }).axe.run(document, { resultTypes: ['violations'] }),
  );
  return result.violations
    .filter((v) => v.impact === 'serious' || v.impact === 'critical')
    .map(
      (v) =>
        `${v.id}: ${v.help} (${v.nodes
          .map((n) => n.target.join(' '))
          .slice(0, 3)
          .join(', ')})`,
    );
}

export async function cookieHeader(context: BrowserContext): Promise<string> {
  return (await context.cookies()).map((c) => `${c.name}=${c.value}`).join('; ');
}

/**
 * The console's browser kit for one test file: Chromium, the errors its pages logged (one list for the file,
 * which a test may empty), the page checks, and console users.
 */
export function useConsoleBrowser(h: Harness) {
  if (SCREENSHOTS) mkdirSync(SCREENSHOTS, { recursive: true });
  const browser = useChromium();
  const pageErrors: string[] = [];

  /** axe, no sideways scroll at the context's width, no CSP violation or script error; a screenshot. */
  async function checkPage(page: Page, name: string): Promise<void> {
    await page.waitForLoadState('load');
    expect(await accessibilityProblems(page), name).toEqual([]);
    const widths = await page.evaluate(() => ({
      scroll: document.documentElement.scrollWidth,
      client: document.documentElement.clientWidth,
    }));
    expect(widths.scroll, `${name} scrolls sideways`).toBeLessThanOrEqual(widths.client);
    // A table's caption spans its table (on a phone, where rows become cards, too): not a narrow column.
    const narrowCaptions = await page.evaluate(() =>
      [...document.querySelectorAll('table > caption')]
        .filter((c) => c.getBoundingClientRect().width < c.parentElement!.getBoundingClientRect().width - 2)
        .map((c) => c.textContent),
    );
    expect(narrowCaptions, `${name}: captions narrower than their tables`).toEqual([]);
    expect(pageErrors, name).toEqual([]);
    const width = page.viewportSize()?.width ?? 0;
    if (SCREENSHOTS)
      await page.screenshot({
        path: `${SCREENSHOTS}/console-${name}-${width < 600 ? 'phone' : 'desktop'}.png`,
        fullPage: true,
      });
  }

  /** A new page whose console errors and script errors are recorded for checkPage. */
  async function newPage(context: BrowserContext): Promise<Page> {
    const page = await context.newPage();
    page.on('console', (msg) => {
      if (msg.type() === 'error') pageErrors.push(msg.text());
    });
    page.on('pageerror', (err) => pageErrors.push(err.message));
    return page;
  }

  /** A console user of the account whose password is set through the one-time link. */
  async function setUpUser(accountId: number, email: string, role: string, password = PASSWORD) {
    const { user, setUpPath } = await createConsoleUser(h.ctx, accountId, { email, role });
    const res = await fetch(`${h.url}${setUpPath}`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ password }).toString(),
      redirect: 'manual',
    });
    expect(res.status).toBe(303);
    return user;
  }

  async function signIn(page: Page, email: string, password = PASSWORD): Promise<void> {
    await page.goto(`${h.url}/console/sign-in`);
    await page.fill('#email', email);
    await page.fill('#password', password);
    await page.getByRole('button', { name: 'Sign in' }).click();
  }

  return { browser, pageErrors, checkPage, newPage, setUpUser, signIn };
}

/**
 * A console owner of the account, made as an operator makes one (`ringbill users create`), its password set
 * through the one-time link and signed in through the sign-in form, without a browser: the session's cookie
 * and the CSRF token its forms carry.
 */
export async function consoleSession(
  h: Harness,
  accountId: number,
  email: string,
  password = PASSWORD,
): Promise<{ cookie: string; csrf: string }> {
  const made = await runCli(
    h,
    ['users', 'create', '--account', String(accountId), '--email', email, '--role', 'owner', '--json'],
    h.url,
  );
  expect(made.code).toBe(0);
  const setUp = await fetch(`${h.url}${new URL(JSON.parse(made.out).setUpLink).pathname}`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ password }).toString(),
    redirect: 'manual',
  });
  expect(setUp.status).toBe(303);
  const signedIn = await fetch(`${h.url}/console/sign-in`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ email, password }).toString(),
    redirect: 'manual',
  });
  expect(signedIn.status).toBe(303);
  const cookie = signedIn.headers.get('set-cookie')!.split(';')[0]!;
  const profile = await (await fetch(`${h.url}/console/profile`, { headers: { cookie } })).text();
  return { cookie, csrf: /name="csrf" value="([^"]+)"/.exec(profile)![1]! };
}

/** A console form POST as a signed-in user sends it: the session's cookie and CSRF token, redirects not followed. */
export function consoleForm(
  session: { cookie: string; csrf: string },
  body: Record<string, string>,
): RequestInit {
  return {
    method: 'POST',
    headers: { cookie: session.cookie, 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ csrf: session.csrf, ...body }).toString(),
    redirect: 'manual',
  };
}
