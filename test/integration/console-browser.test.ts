// The operator console in a real headless Chromium, on desktop and phone widths: set a password from the
// CLI's one-time link, sign in, create a customer and a feature, upload a rate card and a CDR file, run
// billing and watch it finish, approve and email the invoice, open its PDF, and find each change in the
// audit log (from the console and from the API). Then the guards: a viewer sees no buttons and the server
// refuses its posts; another account's user gets 404 for this account's pages; forged CSRF is refused;
// sign-in is rate-limited and answers unknown email and wrong password alike. axe-core finds no serious or
// critical violation on any page, and no page scrolls sideways at 390 px. Screenshots go to
// CONSOLE_SCREENSHOTS (a folder outside the repository) when it is set.
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { createConsoleUser } from '../../src/console-users/manage-users.ts';
import { useHarness } from '../helpers/harness.ts';
import {
  cookieHeader,
  DESKTOP,
  PASSWORD,
  PHONE,
  SCREENSHOTS,
  useConsoleBrowser,
} from '../helpers/console.ts';
import { startWebhookReceiver } from '../helpers/webhook-receiver.ts';

const h = useHarness();
const { browser, pageErrors: cspErrors, checkPage, newPage, setUpUser, signIn } = useConsoleBrowser(h);

async function lastMailTo(email: string, pattern: RegExp): Promise<string> {
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
  it(
    'sets a password from the one-time link, signs in, and serves every asset from this server under a strict CSP',
    { timeout: 240_000 },
    async () => {
      const account = await h.account({ name: 'Acme Telecom' });
      const { setUpPath } = await createConsoleUser(h.ctx, account.id, {
        email: 'owner@acme.example',
        role: 'owner',
        name: 'Olive Owner',
      });
      const context = await browser().newContext(DESKTOP);
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
      const scripts = await page.evaluate(() =>
        [...document.scripts].filter((s) => s.src).map((s) => new URL(s.src).pathname),
      );
      expect(scripts).toEqual([
        '/console/assets/htmx.min.js',
        '/console/assets/uPlot.iife.min.js',
        '/console/assets/console.js',
      ]);
      // htmx and uPlot loaded and the charts drew (canvas elements), with no CSP violation.
      expect(
        await page.evaluate(
          () => typeof (window as any).htmx === 'object' && typeof (window as any).uPlot === 'function',
        ),
      ).toBe(true);
      await page.waitForSelector('#chart-revenue canvas');
      await checkPage(page, 'overview-empty');
      // Each chart fills its card's width (inside its padding), and is redrawn at the new width when the
      // window changes.
      const chartFit = () =>
        page.evaluate(() =>
          [...document.querySelectorAll('.chart')].map((box) => {
            const card = box.closest('.card')!;
            const style = getComputedStyle(card);
            const inside = card.clientWidth - parseFloat(style.paddingLeft) - parseFloat(style.paddingRight);
            const canvas = box.querySelector('canvas')!.getBoundingClientRect().width;
            return [box.id, Math.round(inside), Math.round(canvas)] as [string, number, number];
          }),
        );
      const fits = (rows: [string, number, number][]) =>
        rows.every(([, box, canvas]) => canvas <= box && canvas >= box - 2);
      const wide = await chartFit();
      expect(wide.length).toBeGreaterThanOrEqual(3);
      expect(fits(wide), JSON.stringify(wide)).toBe(true);
      await page.setViewportSize({ width: 390, height: 844 });
      await page.waitForFunction(() =>
        [...document.querySelectorAll('.chart')].every(
          (box) =>
            Math.abs(box.querySelector('canvas')!.getBoundingClientRect().width - box.clientWidth) <= 2,
        ),
      );
      const narrow = await chartFit();
      expect(fits(narrow), JSON.stringify(narrow)).toBe(true);
      expect(narrow[0]![2]).toBeLessThan(wide[0]![2]);
      const session = (await context.cookies()).find((c) => c.name === 'rb_console')!;
      expect(session).toMatchObject({ httpOnly: true, sameSite: 'Lax', path: '/console' });
      await context.close();
    },
  );

  it(
    'runs a billing cycle from the browser and shows each change in the audit log; viewers and other accounts are kept out',
    { timeout: 600_000 },
    async () => {
      const account = await h.account({ name: 'Acme Telecom' });
      const { api } = account;
      await setUpUser(account.id, 'boss@acme.example', 'owner');
      const day = (offset: number) => new Date(Date.now() + offset * 86_400_000).toISOString().slice(0, 10);
      const context = await browser().newContext(DESKTOP);
      const page = await newPage(context);
      await signIn(page, 'boss@acme.example');
      await page.waitForURL(/\/console$/);

      // Customers: the empty state says what to do; create one and give it a line.
      await page.getByRole('link', { name: 'Customers', exact: true }).click();
      expect(await page.textContent('main')).toContain('No customers yet');
      await checkPage(page, 'customers-empty');
      await page.fill('#new-name', 'Bright Dental Ltd');
      await page.fill('#new-email', 'accounts@brightdental.example');
      await page.getByRole('button', { name: 'Create customer' }).click();
      await page.waitForURL(/\/console\/customers\/\d+/);
      const customerId = /customers\/(\d+)/.exec(page.url())![1]!;
      expect(await page.textContent('[role=status]')).toContain('Customer Bright Dental Ltd created');
      await page.fill('#f-name', 'Reception');
      await page.fill('#f-phone', '+441134960001');
      await page.fill('#f-value', '12.50');
      await page.fill('#f-start', day(-40));
      await page.getByRole('button', { name: 'Add feature' }).click();
      await page.waitForURL(/#features$/);
      expect(await page.textContent('#features')).toContain('+441134960001');
      await page.fill('#t-value', '30.00');
      await page.fill('#t-desc', 'Installation');
      await page.getByRole('button', { name: 'Add charge' }).click();
      await page.waitForURL(/#charges$/);
      expect(await page.textContent('#charges')).toContain('Installation');
      await checkPage(page, 'customer');

      // Rate card: upload a CSV file (console.js sends it with a progress bar); the report lists the refused row.
      await page.getByRole('link', { name: 'Rate cards' }).click();
      await page.fill('#card-name', 'Standard');
      await page.fill('#effective', '2026-01-01');
      await page.setInputFiles('#rates-file', {
        name: 'rates.csv',
        mimeType: 'text/csv',
        buffer: Buffer.from(
          'prefix,destination,rate_per_minute,connection_fee,minimum_charge,initial_increment_s,subsequent_increment_s\n44,United Kingdom,0.06,0,0,60,60\n447,UK mobile,0.12,0.05,0,30,1\nxx,Broken,abc,0,0,60,60\n',
        ),
      });
      await page.getByRole('button', { name: 'Upload rates' }).click();
      await page.waitForSelector('#rates-report [data-report]');
      const ratesReport = await page.textContent('#rates-report');
      expect(ratesReport).toContain('Rate card Standard: 2 rates taken from 2026-01-01, 1 refused.');
      expect(ratesReport).toMatch(/4\s*prefix/);
      expect(await page.locator('#rates-report progress, form progress').first().getAttribute('value')).toBe(
        '100',
      );
      await checkPage(page, 'rate-upload');
      await page.goto(`${h.url}/console/rate-cards`);
      await page.getByRole('link', { name: 'Standard' }).click();
      expect(await page.locator('tbody tr').count()).toBe(2);
      await page.fill('#prefix', '447');
      await page.getByRole('button', { name: 'Show rates' }).click();
      expect(await page.locator('tbody tr').count()).toBe(1);
      await checkPage(page, 'rates');

      // Calls: upload a CDR file; one line refused, two priced.
      await page.getByRole('link', { name: 'Calls', exact: true }).click();
      expect(await page.textContent('main')).toContain('No calls yet');
      const start = (d: number) => new Date(Date.now() - d * 86_400_000).toISOString().slice(0, 19) + 'Z';
      await page.setInputFiles('#calls-file', {
        name: 'calls.csv',
        mimeType: 'text/csv',
        buffer: Buffer.from(
          `call_id,from,to,start_time,duration_s,status\nc-1,+441134960001,+441134960999,${start(3)},125,completed\nc-2,+441134960001,+447700900123,${start(2)},40,completed\nc-3,+441134960001,+441134960998,not-a-time,10,completed\n`,
        ),
      });
      await page.selectOption('#format', 'ringbill');
      await page.getByRole('button', { name: 'Upload calls' }).click();
      await page.waitForSelector('#calls-report [data-report]');
      expect(await page.textContent('#calls-report')).toContain('2 calls stored from 3 records');
      await page.goto(`${h.url}/console/calls?number=7700`);
      expect(await page.locator('tbody tr').count()).toBe(1);
      await page.locator('tbody a').first().click();
      expect(await page.textContent('main')).toContain('UK mobile');
      expect(await page.locator('[aria-label="Feed rows of this call"] tbody tr').count()).toBe(1);
      await checkPage(page, 'call');

      // Billing run: start it and watch htmx update the progress until it completes.
      await page.getByRole('link', { name: 'Billing runs' }).click();
      expect(await page.textContent('main')).toContain('No billing runs yet');
      await page.fill('#cutoff', day(1));
      await page.getByRole('button', { name: 'Start billing run' }).click();
      await page.waitForURL(/billing-runs\/\d+/);
      await page.waitForSelector('[data-status=completed]', { timeout: 60_000 });
      expect(await page.textContent('[data-field=customers]')).toBe('1');
      await checkPage(page, 'billing-run');

      // A webhook subscription: its secret is shown once, in the answer to the form.
      const receiver = await startWebhookReceiver();
      await page.getByRole('link', { name: 'Webhooks' }).click();
      expect(await page.textContent('main')).toContain('No subscriptions yet');
      await page.fill('#wh-url', receiver.url);
      await page.getByRole('button', { name: 'Create subscription' }).click();
      receiver.secrets.push((await page.textContent('[data-field=secret]'))!.trim());
      await page.goto(`${h.url}/console/webhooks`);
      expect(await page.locator('[data-field=secret]').count()).toBe(0);
      expect(await page.locator('[aria-label="Webhook subscriptions"] tbody tr').count()).toBe(1);
      // The feed's live tail (htmx refreshes it) shows the two calls' rows.
      expect(await page.locator('#feed-tail tbody tr').count()).toBe(2);

      // The invoice: approve it, email it, open its PDF.
      await page.goto(`${h.url}/console/invoices?state=unsent`);
      await page.locator('tbody a').first().click();
      const invoiceId = /invoices\/(\d+)/.exec(page.url())![1]!;
      expect(await page.textContent('main')).toContain('Installation');
      await checkPage(page, 'invoice-unsent');
      await page.getByRole('button', { name: 'Approve invoice' }).click();
      await page.waitForURL(/ok=/);
      expect(await page.textContent('[role=status]')).toMatch(/Invoice \S+ approved/);
      await page.getByRole('button', { name: 'Email invoice' }).click();
      await page.waitForURL(/ok=/);
      const pdf = await fetch(`${h.url}/console/invoices/${invoiceId}/pdf`, {
        headers: { cookie: await cookieHeader(context) },
      });
      expect(pdf.headers.get('content-type')).toBe('application/pdf');
      expect(
        Buffer.from(await pdf.arrayBuffer())
          .subarray(0, 5)
          .toString(),
      ).toBe('%PDF-');
      await checkPage(page, 'invoice');
      await page.goto(`${h.url}/console/invoices?unpaid=1`);
      expect(await page.locator('tbody tr').count()).toBe(1);
      await checkPage(page, 'invoices');

      // The approval went out as a signed webhook; replay its delivery from the deliveries log.
      await h.outbox.runOnce();
      expect(receiver.received.map((r) => [r.body?.type, r.verified])).toEqual([['invoice.approved', true]]);
      await page.goto(`${h.url}/console/webhooks`);
      await page.locator('tbody a').first().click();
      expect(await page.locator('tbody tr').count()).toBe(1);
      await checkPage(page, 'deliveries');
      await page.getByRole('button', { name: 'Replay' }).click();
      await page.waitForURL(/ok=/);
      await h.outbox.runOnce();
      expect(receiver.received.map((r) => [r.body?.type, r.verified])).toEqual([
        ['invoice.approved', true],
        ['invoice.approved', true],
      ]);
      await receiver.close();

      // Collections: send a payment request for the invoice and pay it on the payment page.
      await page.goto(`${h.url}/console/collections?invoice=${invoiceId}`);
      await page.getByRole('button', { name: 'Send payment request' }).click();
      await page.waitForURL(/ok=/);
      expect(await page.textContent('main')).toContain('open');
      await page.locator('tbody a[href^="/pay/"]').first().click();
      await page.waitForURL(/\/pay\//);
      await page.fill('#cardNumber', '4242 4242 4242 4242');
      await page.fill('#expiry', '12/34');
      await page.fill('#cvc', '123');
      await page.getByRole('button', { name: 'Pay' }).click();
      await page.waitForSelector('#confirmation');
      cspErrors.length = 0; // the payment page is not the console's to judge here
      await page.goto(`${h.url}/console/collections`);
      expect(await page.locator('tbody .badge').first().textContent()).toBe('paid');
      await checkPage(page, 'collections-paid');
      // Refund part of the payment from the invoice's page.
      await page.goto(`${h.url}/console/invoices/${invoiceId}#payments`);
      await page.locator('#payments input[name=amount]').fill('10.00');
      await page.getByRole('button', { name: 'Refund' }).click();
      await page.waitForURL(/ok=/);
      expect(await page.textContent('[role=status]')).toContain('Refunded 10.00');
      expect(await page.textContent('#payments')).toContain('£10.00');

      // A change through the API lands in the same log, with what changed.
      expect((await api.patch(`/customers/${customerId}`, { vatNumber: 'GB999' })).status).toBe(200);

      await page.getByRole('link', { name: 'Audit log' }).click();
      const actions = await page
        .locator('tbody tr')
        .evaluateAll((rows) =>
          rows.map((r) =>
            [...r.querySelectorAll('td')]
              .map((td) => (td as HTMLElement).innerText.replace(/\s+/g, ' '))
              .join(' '),
          ),
        );
      for (const expected of [
        'create customers',
        'create features',
        'create transactions',
        'importRates rateCards',
        'importCalls calls',
        'create billingRuns',
        'create webhooks',
        'approve invoices',
        'email invoices',
        'replay deliveries',
        'create paymentRequests',
        'create refunds',
        'update customers',
      ]) {
        expect(
          actions.some((a) => a.includes(expected)),
          `${expected} in ${actions.join(' | ')}`,
        ).toBe(true);
      }
      expect(actions[0]).toContain('apiKey:');
      expect(actions[0]).toMatch(
        /update customers \d+ api 127\.0\.0\.1 \{"vatNumber":\{("to":"GB999","from":null|"from":null,"to":"GB999")\}\}/,
      );
      expect(actions.filter((a) => a.includes('boss@acme.example')).length).toBeGreaterThanOrEqual(8);
      await checkPage(page, 'audit');
      const apiLog = (await api.get(`/auditLog?resource=invoices`)).body;
      expect(apiLog.map((e: any) => [e.action, e.surface, e.actorName])).toEqual([
        ['approve', 'console', 'boss@acme.example'],
        ['email', 'console', 'boss@acme.example'],
      ]);

      // The overview now has figures, and the other pages render.
      await page.getByRole('link', { name: 'Overview' }).click();
      await page.waitForSelector('#chart-calls canvas');
      await checkPage(page, 'overview');
      if (SCREENSHOTS) await page.screenshot({ path: `${SCREENSHOTS}/overview.png` });
      for (const [name, path] of [
        ['collections', '/console/collections'],
        ['webhooks', '/console/webhooks'],
        ['settings', '/console/settings'],
        ['profile', '/console/profile'],
      ] as const) {
        await page.goto(`${h.url}${path}`);
        await checkPage(page, name);
      }

      // An API key is shown once, in the answer to the form that made it.
      await page.goto(`${h.url}/console/settings`);
      await page.fill('#key-name', 'Switch');
      await page.getByRole('button', { name: 'Create API key' }).click();
      const newKey = (await page.textContent('[data-field=secret]'))!.trim();
      expect(
        (await fetch(`${h.url}/backend/api/v1/account`, { headers: { authorization: `Bearer ${newKey}` } }))
          .status,
      ).toBe(200);
      await page.goto(`${h.url}/console/settings`);
      expect(await page.textContent('main')).not.toContain(newKey);

      // Phone width: every page, no sideways scroll, no serious axe finding.
      const phone = await browser().newContext(PHONE);
      await phone.addCookies(await context.cookies());
      const small = await newPage(phone);
      for (const [name, path] of [
        ['overview', '/console'],
        ['customers', '/console/customers'],
        ['customer', `/console/customers/${customerId}`],
        ['invoices', '/console/invoices'],
        ['invoice', `/console/invoices/${invoiceId}`],
        ['billing-runs', '/console/billing-runs'],
        ['rate-cards', '/console/rate-cards'],
        ['calls', '/console/calls'],
        ['collections', '/console/collections'],
        ['webhooks', '/console/webhooks'],
        ['audit', '/console/audit'],
        ['settings', '/console/settings'],
      ] as const) {
        await small.goto(`${h.url}${path}`);
        await checkPage(small, name);
      }
      await phone.close();

      // A viewer: no buttons, and the server refuses the posts the buttons would make.
      await page.goto(`${h.url}/console/settings`);
      await page.fill('#inv-email', 'viewer@acme.example');
      await page.selectOption('#inv-role', 'viewer');
      await page.getByRole('button', { name: 'Invite user' }).click();
      const invite = await lastMailTo('viewer@acme.example', /(http:\/\/\S+\/console\/password\/[\w-]+)/);
      const viewerContext = await browser().newContext(DESKTOP);
      const viewer = await newPage(viewerContext);
      await viewer.goto(invite);
      await viewer.fill('#password', PASSWORD);
      await viewer.getByRole('button', { name: 'Save password' }).click();
      await viewer.waitForURL(/sign-in/);
      await viewer.fill('#password', PASSWORD);
      await viewer.getByRole('button', { name: 'Sign in' }).click();
      await viewer.waitForURL(/\/console$/);
      for (const path of [
        '/console/customers',
        `/console/customers/${customerId}`,
        `/console/invoices/${invoiceId}`,
        '/console/billing-runs',
        '/console/rate-cards',
        '/console/calls',
        '/console/webhooks',
        '/console/settings',
      ]) {
        await viewer.goto(`${h.url}${path}`);
        const buttons = (await viewer.locator('main button').allTextContents()).map((b) => b.trim());
        expect(buttons, path).toEqual(
          path === '/console/calls' || path === '/console/customers'
            ? ['Search']
            : path === '/console/billing-runs'
              ? ['Filter']
              : path.startsWith('/console/invoices')
                ? []
                : path === '/console/rate-cards' ||
                    path === '/console/billing-runs' ||
                    path === '/console/webhooks' ||
                    path === '/console/settings'
                  ? []
                  : [],
        );
      }
      await checkPage(viewer, 'viewer-settings');
      const viewerCookie = await cookieHeader(viewerContext);
      const csrf = await viewer.getAttribute('meta[name=csrf-token]', 'content');
      const post = (path: string, body: Record<string, string>, cookie = viewerCookie) =>
        fetch(`${h.url}${path}`, {
          method: 'POST',
          headers: { cookie, 'content-type': 'application/x-www-form-urlencoded' },
          body: new URLSearchParams(body).toString(),
          redirect: 'manual',
        });
      expect((await post('/console/customers', { csrf: csrf!, name: 'Sneaky' })).status).toBe(403);
      expect((await post(`/console/invoices/${invoiceId}/email`, { csrf: csrf! })).status).toBe(403);
      expect((await post('/console/billing-runs', { csrf: csrf!, cutoffDate: day(1) })).status).toBe(403);
      expect((await post('/console/settings/keys', { csrf: csrf!, level: '5' })).status).toBe(403);
      expect((await api.get('/customers')).body.map((c: any) => c.name)).toEqual(['Bright Dental Ltd']);
      await viewerContext.close();

      // CSRF: the owner's session without the token is refused.
      const ownerCookie = await cookieHeader(context);
      expect((await post('/console/customers', { name: 'Forged' }, ownerCookie)).status).toBe(403);
      expect((await post('/console/customers', { name: 'Forged', csrf: 'wrong' }, ownerCookie)).status).toBe(
        403,
      );

      // Another account's owner sees none of it: 404 for this account's customer, invoice, call and run.
      const other = await h.account({ name: 'Other Telecom' });
      await setUpUser(other.id, 'boss@other.example', 'owner');
      const otherContext = await browser().newContext(DESKTOP);
      const otherPage = await newPage(otherContext);
      await signIn(otherPage, 'boss@other.example');
      await otherPage.waitForURL(/\/console$/);
      const otherCookie = await cookieHeader(otherContext);
      for (const path of [
        `/console/customers/${customerId}`,
        `/console/invoices/${invoiceId}`,
        `/console/invoices/${invoiceId}/pdf`,
        '/console/rate-cards/1',
      ]) {
        const res = await fetch(`${h.url}${path}`, { headers: { cookie: otherCookie }, redirect: 'manual' });
        expect(res.status, path).toBe(404);
      }
      await otherPage.goto(`${h.url}/console/audit`);
      expect(await otherPage.textContent('main')).not.toContain('boss@acme.example');
      await otherContext.close();

      // Sign out everywhere ends the session in the database.
      await page.goto(`${h.url}/console/profile`);
      await page.getByRole('button', { name: 'Sign out everywhere' }).click();
      await page.waitForURL(/sign-in/);
      expect(
        (await fetch(`${h.url}/console`, { headers: { cookie: ownerCookie }, redirect: 'manual' })).status,
      ).toBe(303);
      await context.close();
    },
  );

  it(
    'answers an unknown email and a wrong password alike, limits failed sign-ins, and resets a password by email',
    { timeout: 120_000 },
    async () => {
      const account = await h.account();
      await setUpUser(account.id, 'pat@acme.example', 'billing');
      const attempt = (email: string, password: string, ip = '127.0.0.1') =>
        fetch(`${h.url}/console/sign-in`, {
          method: 'POST',
          headers: { 'content-type': 'application/x-www-form-urlencoded', 'x-forwarded-for': ip },
          body: new URLSearchParams({ email, password }).toString(),
          redirect: 'manual',
        });
      const unknown = await attempt('nobody@acme.example', 'whatever-password');
      const wrong = await attempt('pat@acme.example', 'wrong-password!');
      expect([unknown.status, wrong.status]).toEqual([401, 401]);
      const message = (t: string) => /<div class="alert error" role="alert">([^<]+)<\/div>/.exec(t)?.[1];
      expect(message(await unknown.text())).toBe(message(await wrong.text()));
      for (let i = 0; i < 3; i++)
        expect((await attempt('pat@acme.example', 'wrong-password!')).status).toBe(401);
      // The fifth failure for this email: now even the right password waits.
      expect((await attempt('pat@acme.example', 'wrong-password!')).status).toBe(401);
      const limited = await attempt('pat@acme.example', PASSWORD);
      expect(limited.status).toBe(429);
      expect(await limited.text()).toContain('Too many failed sign-ins');

      // Forgot password: the same answer for any address; the known one gets a link by email.
      const forgot = await fetch(`${h.url}/console/forgot`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: 'email=pat%40acme.example',
      });
      expect(await forgot.text()).toContain('If pat@acme.example is a console user');
      const link = await lastMailTo('pat@acme.example', /(http:\/\/\S+\/console\/password\/[\w-]+)/);
      const reset = await fetch(link, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: 'password=a-brand-new-password',
        redirect: 'manual',
      });
      expect(reset.status).toBe(303);
      expect(
        (
          await fetch(link, {
            method: 'POST',
            headers: { 'content-type': 'application/x-www-form-urlencoded' },
            body: 'password=another-password!',
            redirect: 'manual',
          })
        ).status,
      ).toBe(410);
      const short = await createConsoleUser(h.ctx, account.id, { email: 'sam@acme.example', role: 'viewer' });
      const tooShort = await fetch(`${h.url}${short.setUpPath}`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: 'password=short',
        redirect: 'manual',
      });
      expect(tooShort.status).toBe(303);
      expect(tooShort.headers.get('location')).toContain('error=password');
    },
  );
});
