// The console's billing and collections pages in a real headless Chromium, at desktop and phone widths:
// a billing preview that writes nothing and matches what the run then invoices; a run for chosen
// customers with live progress; sortable lists that keep their filters and paging; a feature edited and
// ended; collections (payment requests, plans, payments and refunds, the document 003 report and its CSV,
// which matches the API's report). Guards on every new form: CSRF, validation messages, a viewer sees no
// buttons and is refused (403), another account's ids are 404. axe-core finds no serious or critical
// violation and no page scrolls sideways at 390 px. Screenshots go to CONSOLE_SCREENSHOTS when it is set.
import { sql } from 'kysely';
import { describe, expect, it } from 'vitest';
import { makeCustomer, makeFeature, useHarness, type Api, type TestAccount } from '../helpers/harness.ts';
import { cookieHeader, DESKTOP, PHONE, useConsoleBrowser } from '../helpers/console.ts';
import {
  APPROVING_CARD,
  DECLINING_CARD,
  approvedInvoice,
  collectApi,
  page as payPage,
} from '../helpers/pay-page.ts';

const h = useHarness();
const { browser, checkPage, newPage, setUpUser, signIn } = useConsoleBrowser(h);

/** A signed-in browser context for a new user of the account. */
async function signedIn(accountId: number, email: string, role: string, options = DESKTOP) {
  await setUpUser(accountId, email, role);
  const context = await browser().newContext(options);
  const page = await newPage(context);
  await signIn(page, email);
  await page.waitForURL(/\/console$/);
  const cookie = await cookieHeader(context);
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
    { timeout: 600_000 },
    async () => {
      const { account, api, a, b } = await billableAccount();
      const owner = await signedIn(account.id, `boss${account.id}@acme.example`, 'owner');
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
      // Lines show their VAT rate as the VAT table does, in its canonical form ("20", not "20.0000").
      const vatRates = (
        await page.locator('[aria-label="VAT by rate"] tbody tr td:first-child').allInnerTexts()
      ).map((t) => t.trim());
      expect(vatRates.length).toBeGreaterThan(0);
      expect([...new Set(invoiceLines.map((l) => l[3]))].sort()).toEqual([...vatRates].sort());
      for (const r of vatRates) expect(r).toMatch(/^\d+(\.\d*[1-9])?$/);
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
      const phone = await browser().newContext(PHONE);
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
      const viewer = await signedIn(account.id, `viewer${account.id}@acme.example`, 'viewer');
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
      const stranger = await signedIn(other.id, `boss${other.id}@other.example`, 'owner');
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
  it(
    'collections: sends requests (with plans), shows status, visits, attempts, plans and payments, refunds from the page, and exports the report as the API gives it',
    { timeout: 600_000 },
    async () => {
      const account = await h.account({ name: 'Acme Telecom' });
      const first = await approvedInvoice(account, '100.00');
      const second = await approvedInvoice(account, '60.00');
      const owner = await signedIn(account.id, `boss${account.id}@acme.example`, 'owner');
      const { page } = owner;

      // Plans offered but no frequency ticked: a clear message.
      await page.goto(`${h.url}/console/collections?invoice=${first.id}`);
      await checkPage(page, 'collections-empty');
      await page.check('input[name=instalmentEnabled]');
      await page.uncheck('input[name=plan_monthly]');
      await page.getByRole('button', { name: 'Send payment request' }).click();
      await page.waitForURL(/error=/);
      expect(await page.textContent('[role=alert]')).toContain('tick at least one frequency');
      await page.fill('#pr-invoice', first.id);
      await page.check('input[name=instalmentEnabled]');
      await page.getByRole('button', { name: 'Send payment request' }).click();
      await page.waitForURL(/ok=/);
      await page.fill('#pr-invoice', second.id);
      await page.getByRole('button', { name: 'Send payment request' }).click();
      await page.waitForURL(/ok=/);
      const requests = (await collectApi(account).get(`/invoices?startDate=${day(0)}&endDate=${day(0)}`))
        .body;
      expect(requests.map((r: any) => [r.invoiceId, r.instalmentEnabled])).toEqual([
        [Number(first.id), true],
        [Number(second.id), false],
      ]);
      const [withPlan, plain] = requests;
      const pathOf = (r: any) => new URL(r.url).pathname;

      // The payer: a plan of 3 on the first; on the second a visit, a declined card, then a payment.
      const plan = await fetch(`${h.url}${pathOf(withPlan)}/plans`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ frequency: 'monthly', instalments: 3, saveCard: false, ...APPROVING_CARD }),
      });
      expect(plan.status, await plan.clone().text()).toBe(201);
      expect((await fetch(`${h.url}${pathOf(plain)}`)).status).toBe(200);
      await payPage(h.url, `${pathOf(plain)}/payments`, { option: 'full', ...DECLINING_CARD });
      await payPage(h.url, `${pathOf(plain)}/payments`, { option: 'full', ...APPROVING_CARD });

      // The request's page: status, visits, attempts, payments; refund part of it from here.
      await page.goto(`${h.url}/console/collections`);
      await page.locator(`a[href="/console/collections/requests/${plain.requestId}"]`).first().click();
      expect(await page.textContent('[data-field=status]')).toBe('paid');
      expect(await page.textContent('[data-field=visits]')).toBe('1');
      expect(await page.textContent('[data-field=attempts]')).toBe('2 (1 approved, 1 declined)');
      await checkPage(page, 'collections-request');
      await page.locator('#payments input[name=amount]').fill('10.00');
      await page.getByRole('button', { name: /^Refund/ }).click();
      await page.waitForURL(/collections\/requests\/\d+\?ok=/);
      expect(await page.textContent('[role=status]')).toContain('Refunded 10.00');
      expect(await page.textContent('[data-field=status]')).toBe('partially_refunded');
      // A refund above what is left is refused with the reason.
      await page.locator('#payments input[name=amount]').fill('500.00');
      await page.getByRole('button', { name: /^Refund/ }).click();
      await page.waitForURL(/error=/);
      expect(await page.textContent('[role=alert]')).toMatch(/refund/i);

      // Payments: both, sortable by amount; refund from the list.
      await page.getByRole('link', { name: 'Payments', exact: true }).click();
      const amounts = () =>
        page.locator('[aria-label="Payments"] tbody tr td:nth-child(5)').allTextContents();
      expect((await amounts()).length).toBe(2);
      await page.getByRole('link', { name: /^Amount/ }).click();
      expect(await page.getAttribute('th[aria-sort]', 'aria-sort')).toBe('ascending');
      const ascending = await amounts();
      await page.getByRole('link', { name: /^Amount/ }).click();
      expect(await page.getAttribute('th[aria-sort]', 'aria-sort')).toBe('descending');
      expect(await amounts()).toEqual([...ascending].reverse());
      await checkPage(page, 'collections-payments');
      await page.locator('tbody tr', { hasText: '£60.00' }).locator('input[name=amount]').fill('5.00');
      await page
        .locator('tbody tr', { hasText: '£60.00' })
        .getByRole('button', { name: /^Refund/ })
        .click();
      await page.waitForURL(/collections\/payments\?ok=/);
      expect(await page.locator('tbody tr', { hasText: '£60.00' }).textContent()).toContain('£15.00');

      // Plans: the plan and its instalments (the first paid).
      await page.getByRole('link', { name: 'Instalment plans' }).click();
      expect(await page.locator('[aria-label="Instalment plans"] tbody tr').count()).toBe(1);
      expect(await page.textContent('[aria-label="Instalment plans"] tbody')).toContain('1 of 3');
      await checkPage(page, 'collections-plans');
      await page.locator('[aria-label="Instalment plans"] tbody a').first().click();
      expect(await page.locator('tbody tr').count()).toBe(3);
      expect(await page.locator('tbody .badge').allTextContents()).toEqual(['paid', 'due', 'due']);
      await checkPage(page, 'collections-plan');

      // The report: a table, and a CSV with the API's rows, field for field.
      await page.getByRole('link', { name: 'Collections', exact: true }).first().click();
      await page.getByRole('link', { name: 'Report' }).click();
      await page.fill('#rep-start', day(-1));
      await page.fill('#rep-end', day(0));
      await page.getByRole('button', { name: 'Show' }).click();
      expect(await page.locator('[aria-label="Requests processed"] tbody tr').count()).toBe(2);
      await checkPage(page, 'collections-report');
      const csvHref = (await page.getAttribute('a[download]', 'href'))!;
      const csv = await owner.get(csvHref);
      expect(csv.headers.get('content-type')).toBe('text/csv; charset=utf-8');
      const api = (await collectApi(account).get(`/invoices?startDate=${day(-1)}&endDate=${day(0)}`)).body;
      const field = (v: string | number | boolean | string[] | null) => {
        const t = v === null ? '' : Array.isArray(v) ? v.join(';') : String(v);
        return /[",\r\n]/.test(t) ? `"${t.replace(/"/g, '""')}"` : t;
      };
      const keys = Object.keys(api[0]);
      const expected = [keys.join(','), ...api.map((r: any) => keys.map((k) => field(r[k])).join(','))]
        .map((l) => `${l}\r\n`)
        .join('');
      expect(await csv.text()).toBe(expected);
      // A reversed range says why.
      await page.goto(`${h.url}/console/collections/report?startDate=${day(0)}&endDate=${day(-3)}`);
      expect(await page.textContent('[role=alert]')).toContain('must be on or after startDate');

      // Phone width.
      const phone = await browser().newContext(PHONE);
      await phone.addCookies(await owner.context.cookies());
      const small = await newPage(phone);
      for (const [name, path] of [
        ['collections', '/console/collections'],
        ['collections-request', `/console/collections/requests/${plain.requestId}`],
        ['collections-payments', '/console/collections/payments'],
        ['collections-plans', '/console/collections/plans'],
        ['collections-report', `/console/collections/report?startDate=${day(-1)}&endDate=${day(0)}`],
      ] as const) {
        await small.goto(`${h.url}${path}`);
        await checkPage(small, name);
      }
      await phone.close();

      // A viewer reads but has no form and is refused.
      const viewer = await signedIn(account.id, `viewer${account.id}@acme.example`, 'viewer');
      for (const path of [
        '/console/collections',
        `/console/collections/requests/${plain.requestId}`,
        '/console/collections/payments',
      ]) {
        await viewer.page.goto(`${h.url}${path}`);
        expect(await viewer.page.locator('main form[method=post]').count(), path).toBe(0);
      }
      const paymentId = (await collectApi(account).get(`/requests/${plain.requestId}/payments`)).body[0].id;
      expect((await viewer.post('/console/collections', { invoiceId: second.id })).status).toBe(403);
      expect((await viewer.post(`/console/payments/${paymentId}/refund`, { amount: '1.00' })).status).toBe(
        403,
      );
      expect((await viewer.post(`/console/collections/requests/${plain.requestId}/cancel`, {})).status).toBe(
        403,
      );
      await viewer.context.close();
      expect(
        (await owner.post(`/console/collections/requests/${plain.requestId}/cancel`, {}, false)).status,
      ).toBe(403);

      // Another account sees none of it.
      const other = await h.account({ name: 'Other Telecom' });
      const stranger = await signedIn(other.id, `boss${other.id}@other.example`, 'owner');
      expect((await stranger.get(`/console/collections/requests/${plain.requestId}`)).status).toBe(404);
      expect((await stranger.get(`/console/collections/plans/1`)).status).toBe(404);
      expect((await stranger.post(`/console/payments/${paymentId}/refund`, { amount: '1.00' })).status).toBe(
        404,
      );
      expect(
        (await stranger.post(`/console/collections/requests/${plain.requestId}/cancel`, {})).status,
      ).toBe(404);
      expect((await stranger.post('/console/collections', { invoiceId: second.id })).status).toBe(404);
      const strangerCsv = await (
        await stranger.get(`/console/collections/report.csv?startDate=${day(-1)}&endDate=${day(0)}`)
      ).text();
      expect(strangerCsv.trim().split('\r\n')).toHaveLength(1);
      await stranger.context.close();
      await owner.context.close();
    },
  );

  it(
    "edits a customer's feature, and sorts customers, calls and invoices by their columns keeping filters and pages",
    { timeout: 600_000 },
    async () => {
      const { account, api, a } = await billableAccount();
      for (let i = 1; i <= 52; i++)
        await makeCustomer(api, { name: `Zed ${String(i).padStart(2, '0')}`, email: undefined });
      await makeCustomer(api, { name: 'Aardvark Ltd', email: undefined });
      expect((await api.post('/billingRuns', { cutoffDate: day(1) })).status).toBe(201);
      const owner = await signedIn(account.id, `boss${account.id}@acme.example`, 'owner');
      const { page } = owner;

      // Feature: edit its price and number, then end it on a date.
      await page.goto(`${h.url}/console/customers/${a.id}`);
      await page.getByRole('link', { name: 'Edit Reception' }).click();
      await checkPage(page, 'feature-edit');
      expect(await page.getAttribute('#fe-start', 'readonly')).not.toBeNull();
      await page.fill('#fe-value', 'abc');
      await page.getByRole('button', { name: 'Save feature' }).click();
      await page.waitForURL(/error=/);
      expect(await page.textContent('[role=alert]')).toContain('recurringValue');
      await page.fill('#fe-value', '15.00');
      await page.fill('#fe-phone', '441134960011');
      await page.getByRole('button', { name: 'Save feature' }).click();
      await page.waitForURL(/#features$/);
      expect(await page.textContent('[role=status]')).toContain('Feature Reception saved');
      expect(await page.textContent('#features')).toContain('£15.00');
      expect(await page.textContent('#features')).toContain('441134960011');
      const feature = (await api.get(`/customers/${a.id}/features`)).body[0];
      expect([feature.recurringValue, feature.phoneNumber]).toEqual(['15.00', '441134960011']);
      await page.getByRole('link', { name: 'Edit Reception' }).click();
      await page.fill('#fe-end', day(20));
      await page.getByRole('button', { name: 'Save feature' }).click();
      await page.waitForURL(/#features$|error=/);
      expect(await page.locator('[role=alert]').allTextContents()).toEqual([]);
      expect(await page.textContent('#features')).toContain(day(20));
      const audit = (await api.get('/auditLog?resource=features')).body.filter(
        (e: any) => e.surface === 'console',
      );
      expect(audit.map((e: any) => [e.action, e.surface])).toEqual([
        ['update', 'console'],
        ['update', 'console'],
      ]);
      // The stored scale differs by database (12.50 on PGlite, 12.500000 on PostgreSQL): the value is the same.
      expect(audit[0].changes.recurringValue.from).toMatch(/^12\.50*$/);
      expect(audit[0].changes.recurringValue.to).toMatch(/^15\.00*$/);

      // Customers: by name both ways; a search and the sort survive paging.
      await page.goto(`${h.url}/console/customers`);
      await page.getByRole('link', { name: /^Name/ }).click();
      expect(await page.getAttribute('th[aria-sort]', 'aria-sort')).toBe('ascending');
      expect(await page.locator('tbody tr td:first-child').first().textContent()).toBe('Aardvark Ltd');
      await page.getByRole('link', { name: /^Name/ }).click();
      expect(await page.locator('tbody tr td:first-child').first().textContent()).toBe('Zed 52');
      await page.fill('#q', 'Zed');
      await page.getByRole('button', { name: 'Search' }).click();
      expect(page.url()).toContain('sort=-name');
      expect(await page.locator('tbody tr').count()).toBe(50);
      await checkPage(page, 'customers-sorted');
      await page.getByRole('link', { name: 'Next page' }).click();
      expect(page.url()).toMatch(/q=Zed.*sort=-name.*page=2|sort=-name.*q=Zed.*page=2/);
      expect(await page.locator('tbody tr td:first-child').allTextContents()).toEqual(['Zed 02', 'Zed 01']);
      expect(await page.getAttribute('th[aria-sort]', 'aria-sort')).toBe('descending');
      await page.getByRole('link', { name: 'Previous page' }).click();
      expect(await page.locator('tbody tr td:first-child').first().textContent()).toBe('Zed 52');

      // Calls: by length, with a number filter kept.
      await page.goto(`${h.url}/console/calls?number=4411349600`);
      await page.getByRole('link', { name: /^Seconds/ }).click();
      expect(page.url()).toContain('number=4411349600');
      expect(await page.locator('tbody tr td:nth-child(4)').allTextContents()).toEqual(['40', '125', '600']);
      await page.getByRole('link', { name: /^Seconds/ }).click();
      expect(await page.locator('tbody tr td:nth-child(4)').allTextContents()).toEqual(['600', '125', '40']);
      await checkPage(page, 'calls-sorted');

      // Invoices: by total, unsent only.
      await page.goto(`${h.url}/console/invoices?state=unsent`);
      await page.getByRole('link', { name: /^Total/ }).click();
      expect(page.url()).toContain('state=unsent');
      const totals = await page.locator('tbody tr td:nth-child(6)').allTextContents();
      expect(totals.length).toBe(2);
      const value = (t: string) => Number(t.replace(/[£,]/g, ''));
      expect(value(totals[0]!)).toBeLessThan(value(totals[1]!));
      await checkPage(page, 'invoices-sorted');

      const phone = await browser().newContext(PHONE);
      await phone.addCookies(await owner.context.cookies());
      const small = await newPage(phone);
      const featureId = feature.id;
      for (const [name, path] of [
        ['feature-edit', `/console/features/${featureId}`],
        ['customers-sorted', '/console/customers?sort=name'],
        ['calls-sorted', '/console/calls?sort=-seconds'],
        ['customer', `/console/customers/${a.id}`],
      ] as const) {
        await small.goto(`${h.url}${path}`);
        await checkPage(small, name);
      }
      await phone.close();

      // A viewer: no edit link, and refused; another account: not found.
      const viewer = await signedIn(account.id, `viewer${account.id}@acme.example`, 'viewer');
      await viewer.page.goto(`${h.url}/console/customers/${a.id}`);
      expect(await viewer.page.getByRole('link', { name: 'Edit Reception' }).count()).toBe(0);
      expect((await viewer.get(`/console/features/${featureId}`)).status).toBe(403);
      expect((await viewer.post(`/console/features/${featureId}`, { name: 'Hacked' })).status).toBe(403);
      await viewer.context.close();
      expect((await owner.post(`/console/features/${featureId}`, { name: 'Forged' }, false)).status).toBe(
        403,
      );
      const other = await h.account({ name: 'Other Telecom' });
      const stranger = await signedIn(other.id, `boss${other.id}@other.example`, 'owner');
      expect((await stranger.get(`/console/features/${featureId}`)).status).toBe(404);
      expect((await stranger.post(`/console/features/${featureId}`, { name: 'Hacked' })).status).toBe(404);
      await stranger.context.close();
      expect((await api.get(`/customers/${a.id}/features`)).body[0].name).toBe('Reception');
      await owner.context.close();
    },
  );
});
