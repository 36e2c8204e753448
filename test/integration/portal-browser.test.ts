// The customer portal in a real headless Chromium at phone width: sign-in by a one-time emailed link, the
// balance and its movements, invoices (PDF), calls (search, CSV), payment requests, top-up through the
// payment page, alerts and contacts; axe-core finds no serious or critical violation on any page, and no
// page scrolls sideways. Then the guards: the session cookie's flags, CSRF, a link used twice, another
// customer's invoice.
import axe from 'axe-core';
import { existsSync } from 'node:fs';
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { approve } from '../helpers/billing.ts';
import { useHarness } from '../helpers/harness.ts';
import { prepaidLine, rateCard, topUp } from '../helpers/prepaid.ts';

const CHROMIUM = process.env.CHROMIUM_PATH || '/usr/bin/chromium';
const PHONE = { viewport: { width: 390, height: 844 }, deviceScaleFactor: 2, isMobile: true, hasTouch: true };
const SCREENSHOTS = process.env.PORTAL_SCREENSHOTS;

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

const h = useHarness();

async function signInLink(email: string): Promise<string> {
  const res = await fetch(`${h.url}/portal/sign-in`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ email }).toString(),
  });
  expect(res.status).toBe(200);
  await h.outbox.runOnce();
  const files = (await readdir(h.mailDir)).sort();
  for (const f of files.reverse()) {
    const text = await readFile(join(h.mailDir, f), 'utf8');
    const m = /(http:\/\/[^\s]+\/portal\/sign-in\/[\w-]+)/.exec(text.replace(/=\r?\n/g, ''));
    if (text.includes(email) && m) return m[1]!;
  }
  throw new Error(`no sign-in link mailed to ${email}`);
}

/** axe-core in the page (run through the DevTools protocol, so the page's CSP needs no exception). */
async function accessibilityProblems(page: Page): Promise<string[]> {
  await page.evaluate(axe.source);
  const result = await page.evaluate(async () =>
    (window as unknown as { axe: typeof axe }).axe.run(document, { resultTypes: ['violations'] }),
  );
  return result.violations
    .filter((v) => v.impact === 'serious' || v.impact === 'critical')
    .map((v) => `${v.id}: ${v.help} (${v.nodes.length})`);
}

async function checkPage(page: Page, name: string): Promise<void> {
  expect(await accessibilityProblems(page), name).toEqual([]);
  const widths = await page.evaluate(() => ({
    scroll: document.documentElement.scrollWidth,
    client: document.documentElement.clientWidth,
  }));
  expect(widths.scroll, `${name} scrolls sideways`).toBeLessThanOrEqual(widths.client);
  if (SCREENSHOTS) await page.screenshot({ path: `${SCREENSHOTS}/portal-${name}.png`, fullPage: true });
}

describe('customer portal', () => {
  it(
    'signs in by email link and shows only the customer’s own balance, movements, invoices, calls and payments',
    { timeout: 240_000 },
    async () => {
      const account = await h.account({ name: 'Acme Telecom' });
      const { api } = account;
      await rateCard(api);
      const { customer, number } = await prepaidLine(account, {
        customer: { name: 'Bright Dental Ltd', email: 'portal@brightdental.example' },
      });
      const other = await prepaidLine(account, {
        customer: { name: 'Other Co', email: 'other@example.com' },
      });
      await topUp(api, customer.id, '25.00');
      await api.post('/calls', [
        {
          call_id: 'p-1',
          from: number,
          to: '441134960999',
          start_time: '2026-10-20T09:00:00Z',
          duration_s: 125,
          status: 'completed',
        },
        {
          call_id: 'p-2',
          from: number,
          to: '447700900123',
          start_time: '2026-10-21T09:00:00Z',
          duration_s: 40,
          status: 'completed',
        },
        {
          call_id: 'o-1',
          from: other.number,
          to: '441134960111',
          start_time: '2026-10-21T09:00:00Z',
          duration_s: 60,
          status: 'completed',
        },
      ]);
      await api.post('/billingRuns', { cutoffDate: '2026-11-01' });
      const [invoice] = (await api.get(`/customers/${customer.id}/invoices?unsent`)).body;
      await approve(api, invoice.id);
      await topUp(api, other.customer.id, '5.00');
      await api.post('/billingRuns', { cutoffDate: '2026-11-01' });
      const [otherInvoice] = (await api.get(`/customers/${other.customer.id}/invoices?unsent`)).body;
      await approve(api, otherInvoice.id);

      // An unknown address gets the same answer and no mail.
      const unknown = await fetch(`${h.url}/portal/sign-in`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: 'email=nobody%40example.com',
      });
      expect(await unknown.text()).toContain('If nobody@example.com may sign in');

      const link = await signInLink('portal@brightdental.example');
      const context = await browser!.newContext(PHONE);
      const page = await context.newPage();
      await page.goto(link);
      await checkPage(page, 'sign-in-confirm');
      await page.getByRole('button', { name: 'Sign in to your account' }).click();
      await page.waitForURL(/\/portal$/);
      expect(await page.textContent('h1')).toBe('Your balance');
      expect(await page.textContent('header')).toContain('Bright Dental Ltd');
      // 25.00 - 0.18 (125 s to a landline: 3 started minutes) - 0.13 (40 s mobile: 0.05 + 0.08) = 24.69; the
      // statement settled the invoice (0.31, no VAT on this line): 24.69 again.
      expect(await page.textContent('[data-field=balance]')).toBe('£24.69');
      const cookies = await context.cookies();
      const session = cookies.find((c) => c.name === 'rb_portal')!;
      expect(session).toMatchObject({ httpOnly: true, sameSite: 'Lax', path: '/portal' });
      const csp = (await page.goto(`${h.url}/portal`))!.headers()['content-security-policy'];
      expect(csp).toContain("default-src 'none'");
      expect(csp).not.toContain('unsafe-inline');
      await checkPage(page, 'overview');

      await page.getByRole('link', { name: 'Statement' }).click();
      expect(await page.locator('tbody tr').count()).toBe(4);
      await checkPage(page, 'entries');

      await page.getByRole('link', { name: 'Invoices' }).click();
      expect(await page.locator('tbody tr').count()).toBe(1);
      await checkPage(page, 'invoices');

      await page.getByRole('link', { name: 'Calls' }).click();
      expect(await page.locator('tbody tr').count()).toBe(2);
      await page.fill('#number', '7700');
      await page.getByRole('button', { name: 'Search' }).click();
      expect(await page.locator('tbody tr').count()).toBe(1);
      await checkPage(page, 'calls');

      await page.getByRole('link', { name: 'Alerts and contacts' }).click();
      await page.selectOption('#type', 'low_balance');
      await page.fill('#threshold', '5.00');
      await page.getByRole('button', { name: 'Add alert' }).click();
      await page.fill('#email', 'finance@brightdental.example');
      await page.getByRole('button', { name: 'Add', exact: true }).click();
      expect(await page.textContent('main')).toContain('finance@brightdental.example');
      await checkPage(page, 'settings');
      expect(
        (await api.get(`/customers/${customer.id}/balance/alerts`)).body.map((a: any) => [
          a.type,
          a.threshold,
        ]),
      ).toEqual([['low_balance', '5']]);

      // Top up by card: the payment page takes over, and paying it credits the balance.
      await page.getByRole('link', { name: 'Balance' }).click();
      await page.fill('#amount', '10.00');
      await page.getByRole('button', { name: 'Continue to payment' }).click();
      await page.waitForURL(/\/pay\//);
      expect(await page.textContent('[data-field=requestedAmount]')).toBe('£10.00');
      await page.fill('#cardNumber', '4242 4242 4242 4242');
      await page.fill('#expiry', '12/34');
      await page.fill('#cvc', '123');
      await page.getByRole('button', { name: 'Pay' }).click();
      await page.waitForSelector('#confirmation');
      await page.goto(`${h.url}/portal`);
      expect(await page.textContent('[data-field=balance]')).toBe('£34.69');
      await page.getByRole('link', { name: 'Payments' }).click();
      expect(await page.locator('tbody tr').count()).toBe(1);
      await checkPage(page, 'payments');

      // Downloads with the session: the customer's invoice as a PDF, calls as CSV; another's invoice is 404.
      const cookie = `rb_portal=${session.value}`;
      const pdf = await fetch(`${h.url}/portal/invoices/${invoice.id}.pdf`, { headers: { cookie } });
      expect(pdf.status).toBe(200);
      expect(pdf.headers.get('content-type')).toBe('application/pdf');
      expect(
        Buffer.from(await pdf.arrayBuffer())
          .subarray(0, 5)
          .toString(),
      ).toBe('%PDF-');
      const theirs = await fetch(`${h.url}/portal/invoices/${otherInvoice.id}.pdf`, { headers: { cookie } });
      expect(theirs.status).toBe(404);
      const csv = await (await fetch(`${h.url}/portal/calls.csv`, { headers: { cookie } })).text();
      expect(csv.trim().split('\n')).toHaveLength(3);
      expect(csv).not.toContain(other.number.slice(1));
      // A form posted without the session's CSRF token is refused and changes nothing.
      const forged = await fetch(`${h.url}/portal/alerts`, {
        method: 'POST',
        headers: { cookie, 'content-type': 'application/x-www-form-urlencoded' },
        body: 'type=low_balance&threshold=1',
        redirect: 'manual',
      });
      expect(forged.status).toBe(403);
      expect((await api.get(`/customers/${customer.id}/balance/alerts`)).body).toHaveLength(1);
      // Not signed in: the pages send you to sign in.
      const anonymous = await fetch(`${h.url}/portal/entries`, { redirect: 'manual' });
      expect(anonymous.status).toBe(303);
      expect(anonymous.headers.get('location')).toBe('/portal/sign-in');
      // A link works once.
      const reused = await fetch(link, { method: 'POST', redirect: 'manual' });
      expect(reused.status).toBe(410);
      // Signing out ends the session in the database.
      await page.goto(`${h.url}/portal`);
      await page.getByRole('button', { name: 'Sign out' }).click();
      await page.waitForURL(/sign-in$/);
      const after = await fetch(`${h.url}/portal`, { headers: { cookie }, redirect: 'manual' });
      expect(after.status).toBe(303);
      await context.close();
    },
  );
});
