// The hosted payment page in a real browser (issue 6): headless Chromium on a phone-sized screen opens the
// link a payment request sent, pays with a declining test card, reads why, pays again with an approving one,
// and the invoice, the document 003 report and the receipts (real SMTP, recorded SMS) follow. A second flow
// starts an instalment plan on the page.
//
// Needs Chromium: /usr/bin/chromium (Debian's `chromium` package; .ci/run installs it) or CHROMIUM_PATH.
// Without it these tests fail, saying so; they never skip.
import { existsSync } from 'node:fs';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createMailer } from '../../src/email/mailer.ts';
import { useHarness } from '../helpers/harness.ts';
import { approvedInvoice, collectApi, paymentRequest } from '../helpers/pay-page.ts';
import { startSmtpServer, type TestSmtpServer } from '../helpers/smtp.ts';

const CHROMIUM = process.env.CHROMIUM_PATH || '/usr/bin/chromium';
/** A phone: 390 x 844 CSS pixels at 3x, touch, the mobile viewport meta honoured. */
const PHONE = { viewport: { width: 390, height: 844 }, deviceScaleFactor: 3, isMobile: true, hasTouch: true };
const SCREENSHOTS = process.env.PAY_PAGE_SCREENSHOTS; // a folder to save the pages to, when set
const UTC_TIME = /^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}$/;

let smtp: TestSmtpServer;
let browser: Browser | undefined;
beforeAll(async () => {
  smtp = await startSmtpServer();
  if (!existsSync(CHROMIUM)) {
    throw new Error(
      `Chromium not found at ${CHROMIUM}: the payment page browser tests need it. Install it (Debian/Ubuntu: apt-get install chromium; .ci/run does this) or set CHROMIUM_PATH to a Chromium or Chrome binary.`,
    );
  }
  browser = await chromium.launch({ executablePath: CHROMIUM, headless: true });
});
afterAll(async () => {
  await browser?.close();
  await smtp?.close();
});

const h = useHarness({ mailer: () => createMailer({ smtpUrl: smtp.url, dataDir: '/tmp' }) });

function today(): string {
  return new Date().toISOString().slice(0, 10);
}

/** A phone-sized page that records console errors and CSP violations (the page's script must run under its CSP). */
async function phone(): Promise<{ context: BrowserContext; page: Page; problems: string[] }> {
  if (!browser) throw new Error(`Chromium did not start (looked for ${CHROMIUM})`);
  const context = await browser.newContext({ ...PHONE, javaScriptEnabled: true });
  const page = await context.newPage();
  const problems: string[] = [];
  page.on('console', (m) => {
    // A 402 (declined) or 400 answer is the page working; anything else logged as an error is a problem.
    if (
      m.type() === 'error' &&
      !/^Failed to load resource: the server responded with a status of 4\d\d/.test(m.text())
    )
      problems.push(m.text());
  });
  page.on('pageerror', (e) => problems.push(e.message));
  return { context, page, problems };
}

async function screenshot(page: Page, name: string): Promise<void> {
  if (SCREENSHOTS) await page.screenshot({ path: `${SCREENSHOTS}/${name}.png`, fullPage: true });
}

/** Nothing wider than the screen: no sideways scrolling on a phone. */
async function expectFitsTheScreen(page: Page): Promise<void> {
  const { scroll, client, wide } = await page.evaluate(() => {
    const client = document.documentElement.clientWidth;
    const wide = Array.from(document.querySelectorAll('body *'))
      .filter((e) => e.getBoundingClientRect().right > client + 0.5)
      .map(
        (e) =>
          `${e.tagName.toLowerCase()}${e.id ? `#${e.id}` : ''} right=${Math.round(e.getBoundingClientRect().right)}`,
      );
    return { scroll: document.documentElement.scrollWidth, client, wide };
  });
  expect(scroll, `the page scrolls sideways on a phone: ${wide.join(', ')}`).toBeLessThanOrEqual(client);
  // Tap targets: every button and input is at least 44px high (the usual touch guideline).
  const small = await page.$$eval(
    'button, input:not([type=hidden]):not([type=radio]):not([type=checkbox]), select, a.button',
    (els) =>
      els
        .filter((e) => (e as HTMLElement).offsetParent !== null && e.getBoundingClientRect().height < 44)
        .map((e) => e.outerHTML.slice(0, 80)),
  );
  expect(small, 'tap targets smaller than 44px').toEqual([]);
}

async function fillCard(
  page: Page,
  card: { number: string; expiry: string; cvc: string; name?: string },
): Promise<void> {
  if (card.name !== undefined) await page.fill('#cardName', card.name);
  await page.fill('#cardNumber', card.number);
  await page.fill('#expiry', card.expiry);
  await page.fill('#cvc', card.cvc);
}

describe('the payment page in Chromium on a phone', () => {
  it('opens the link, is declined with the reason, pays with another card; the invoice is paid and the receipts sent', async () => {
    const account = await h.account({ name: 'Bright Telecom' });
    const invoice = await approvedInvoice(account, '106.44');
    const { request } = await paymentRequest(account, {
      invoiceId: Number(invoice.id),
      email: 'payer@example.com',
      mobileNumber: '+447700900123',
    });
    expect(request.overallStatus).toBe('sent');
    // The link went out by email (real SMTP) and SMS (the local provider records it).
    const linkMail = smtp.messages.find(
      (m) => m.to.includes('payer@example.com') && m.text.includes(request.url),
    );
    expect(linkMail, 'the payment link email').toBeDefined();

    const { context, page, problems } = await phone();
    try {
      const opened = await page.goto(request.url);
      expect(opened?.status()).toBe(200);
      await screenshot(page, '1-page');
      await expect.poll(() => page.title()).toBe('Pay Bright Telecom');
      expect(await page.textContent('header .merchant')).toBe('Bright Telecom');
      expect(await page.textContent('[data-field=invoiceNumber]')).toBe(String(invoice.invoiceNumber));
      expect(await page.textContent('[data-field=invoiceAmount]')).toBe('£106.44');
      expect(await page.textContent('[data-field=outstanding]')).toBe('£106.44');
      await expectFitsTheScreen(page);
      // The card number field brings up the number pad.
      expect(await page.getAttribute('#cardNumber', 'inputmode')).toBe('numeric');
      // The part amount shows only once "pay part" is chosen (the page's script runs under its CSP).
      expect(await page.isVisible('#amount')).toBe(false);
      await page.check('input[name=option][value=part]');
      expect(await page.isVisible('#amount')).toBe(true);
      await page.check('input[name=option][value=full]');
      expect(await page.isVisible('#amount')).toBe(false);

      // A declining card: the page says why and keeps the choices; nothing is paid.
      await fillCard(page, { number: '4000 0000 0000 9995', expiry: '12/34', cvc: '123', name: 'Pat Payer' });
      const declined = await Promise.all([
        page.waitForNavigation(),
        page.tap('#pay button[type=submit]'),
      ]).then(([r]) => r);
      expect(declined?.status()).toBe(402);
      await screenshot(page, '2-declined');
      expect(await page.textContent('#error')).toBe(
        'Your card was declined: insufficient funds. Try another card.',
      );
      expect(await page.inputValue('#cardName')).toBe('Pat Payer'); // kept
      expect(await page.inputValue('#cardNumber')).toBe(''); // never echoed back
      expect(await page.textContent('[data-field=outstanding]')).toBe('£106.44');
      await expectFitsTheScreen(page);

      // Try again with an approving card: the confirmation.
      await fillCard(page, { number: '4242 4242 4242 4242', expiry: '12/34', cvc: '123' });
      await Promise.all([page.waitForURL(/\/payments\/\d+$/), page.tap('#pay button[type=submit]')]);
      await screenshot(page, '3-paid');
      expect(await page.textContent('#confirmation')).toBe('We received £106.44 from the card ending 4242.');
      expect(await page.textContent('[data-field=outstanding]')).toBe('£0.00');
      expect(await page.textContent('main')).toContain(
        'A receipt is on its way to payer@example.com and +447700900123.',
      );
      await expectFitsTheScreen(page);

      // The link now says it is paid.
      await page.goto(request.url);
      expect(await page.textContent('h1')).toBe('Paid in full: thank you');
      expect(problems, 'console errors or CSP violations').toEqual([]);
    } finally {
      await context.close();
    }

    // The backend invoice is paid.
    const backend = (await account.api.get(`/invoices/${invoice.id}`)).body;
    expect([backend.paidAmount, backend.outstanding]).toEqual(['106.44', '0.00']);
    expect(backend.paidDate).toMatch(/^\d{4}-\d{2}-\d{2}$/);
    expect(backend.status).toContain('paid');

    // The document 003 report shows what happened.
    const report = await collectApi(account).get(`/invoices?startDate=${today()}&endDate=${today()}`);
    expect(report.status).toBe(200);
    const row = report.body.find((x: any) => x.url === request.url);
    expect(row).toMatchObject({
      invoiceId: Number(invoice.id),
      invoiceAmount: '106.44',
      invoiceStatus: 'paid',
      overallStatus: 'paid',
      visits: 2,
      transactions: 2,
      approvedTransactions: 1,
      declinedTransactions: 1,
      totalTransactionsAmount: '106.44',
      email: 'payer@example.com',
      mobileNumber: '+447700900123',
    });
    for (const field of ['lastVisit', 'lastTransaction', 'receiptDate'])
      expect(row[field], field).toMatch(UTC_TIME);
    const attempts = (await collectApi(account).get(`/requests/${request.requestId}/attempts`)).body;
    expect(attempts.map((a: any) => [a.outcome, a.declineReason, a.amount, a.cardLast4])).toEqual([
      ['declined', 'insufficient_funds', '106.44', '9995'],
      ['approved', null, '106.44', '4242'],
    ]);

    // The receipts went out: by email through the SMTP server, and by SMS (recorded by the local provider).
    await expect
      .poll(
        () =>
          smtp.messages.filter((m) => m.to.includes('payer@example.com') && /receipt/i.test(m.subject))
            .length,
      )
      .toBe(1);
    const receipt = smtp.messages.find(
      (m) => m.to.includes('payer@example.com') && /receipt/i.test(m.subject),
    )!;
    expect(receipt.text).toContain('GBP 106.44 by card ending 4242');
    const sms = (await collectApi(account).get(`/sms?requestId=${request.requestId}`)).body;
    expect(sms.map((s: any) => [s.kind, s.to, s.status])).toEqual([
      ['payment_request', '+447700900123', 'sent'],
      ['receipt', '+447700900123', 'sent'],
    ]);
  });

  it('pays part of the amount, then the rest', async () => {
    const account = await h.account({ name: 'Bright Telecom' });
    const invoice = await approvedInvoice(account, '50.00');
    const { request } = await paymentRequest(account, { invoiceId: Number(invoice.id), channels: [] });
    const { context, page, problems } = await phone();
    try {
      await page.goto(request.url);
      await page.check('input[name=option][value=part]');
      await page.fill('#amount', '20.00');
      await fillCard(page, { number: '5555 5555 5555 4444', expiry: '12/34', cvc: '123' });
      await Promise.all([page.waitForURL(/\/payments\/\d+$/), page.tap('#pay button[type=submit]')]);
      expect(await page.textContent('[data-field=amountPaid]')).toBe('£20.00');
      await screenshot(page, '8-part-paid');
      expect(await page.textContent('[data-field=outstanding]')).toBe('£30.00');

      // Back to the page to pay the rest.
      await Promise.all([page.waitForURL(request.url), page.tap('text=Back to the payment page')]);
      expect(await page.textContent('[data-field=paid]')).toBe('£20.00');
      expect(await page.textContent('[data-field=outstanding]')).toBe('£30.00');
      // More than is outstanding is refused on the page, with the amount kept.
      await page.check('input[name=option][value=part]');
      await page.fill('#amount', '30.01');
      await fillCard(page, { number: '4242 4242 4242 4242', expiry: '12/34', cvc: '123' });
      await Promise.all([page.waitForNavigation(), page.tap('#pay button[type=submit]')]);
      expect(await page.textContent('#error')).toContain('more than the 30.00 outstanding');
      expect(await page.isVisible('#amount')).toBe(true);
      expect(await page.inputValue('#amount')).toBe('30.01');

      await page.check('input[name=option][value=full]');
      await fillCard(page, { number: '4242 4242 4242 4242', expiry: '12/34', cvc: '123' });
      await Promise.all([page.waitForURL(/\/payments\/\d+$/), page.tap('#pay button[type=submit]')]);
      expect(await page.textContent('[data-field=amountPaid]')).toBe('£30.00');
      expect(problems).toEqual([]);
    } finally {
      await context.close();
    }
    const backend = (await account.api.get(`/invoices/${invoice.id}`)).body;
    expect([backend.paidAmount, backend.outstanding]).toEqual(['50.00', '0.00']);
  });

  it('starts an instalment plan: the schedule, a declined first charge, then the plan', async () => {
    const account = await h.account({ name: 'Bright Telecom', timezone: 'UTC' });
    const invoice = await approvedInvoice(account, '100.00');
    const { request } = await paymentRequest(account, {
      invoiceId: Number(invoice.id),
      email: 'planner@example.com',
      instalmentEnabled: true,
      planRate: '0',
      planMaxTerm: 6,
      planMaxTermPeriod: 'month',
    });
    expect(request.instalmentEnabled).toBe(true);
    const { context, page, problems } = await phone();
    try {
      await page.goto(request.url);
      expect(await page.isVisible('#plan')).toBe(true);
      await screenshot(page, '4-plan-offer');
      // Monthly allows at most 6 instalments in 6 months: the counts beyond are not offered.
      await page.selectOption('#frequency', 'monthly');
      const offered = await page.$$eval('#instalments option', (os) =>
        os.filter((o) => !(o as HTMLOptionElement).disabled).map((o) => (o as HTMLOptionElement).value),
      );
      expect(offered).toEqual(['2', '3', '4', '5', '6']);
      await page.selectOption('#instalments', '4');
      await Promise.all([page.waitForURL(/\/plan\?/), page.tap('#plan button[type=submit]')]);
      await screenshot(page, '5-plan-schedule');
      await expectFitsTheScreen(page);
      const rows = await page.$$eval('#schedule tbody tr', (trs) =>
        trs.map((tr) => Array.from(tr.querySelectorAll('td')).map((td) => td.textContent)),
      );
      expect(rows).toHaveLength(4);
      expect(rows.map((r) => r[2])).toEqual(['£25.00', '£25.00', '£25.00', '£25.00']);
      expect(rows[0]![1]).toBe(today());
      expect(await page.textContent('[data-field=total]')).toBe('£100.00');

      // The first instalment declined: no plan; the page says why.
      await fillCard(page, { number: '4000 0000 0000 0002', expiry: '12/34', cvc: '123' });
      await Promise.all([page.waitForNavigation(), page.tap('#pay button[type=submit]')]);
      expect(await page.textContent('#error')).toBe(
        'Your card was declined. Try another card or contact your bank.',
      );
      expect((await collectApi(account).get(`/requests/${request.requestId}`)).body.overallStatus).not.toBe(
        'plan',
      );

      await fillCard(page, { number: '4242 4242 4242 4242', expiry: '12/34', cvc: '123' });
      expect(await page.isChecked('input[name=saveCard]')).toBe(true);
      await Promise.all([page.waitForURL(/\/payments\/\d+$/), page.tap('#pay button[type=submit]')]);
      await screenshot(page, '6-plan-started');
      expect(await page.textContent('[data-field=amountPaid]')).toBe('£25.00');
      expect(await page.textContent('[data-field=outstanding]')).toBe('£75.00');
      expect(await page.textContent('main')).toMatch(/Next instalment: £25\.00 on \d{4}-\d{2}-\d{2}\./);

      // The link now shows the plan and its schedule.
      await page.goto(request.url);
      await screenshot(page, '7-plan-page');
      expect(await page.textContent('h1')).toBe('Your instalment plan');
      expect(await page.textContent('#active-plan')).toContain('card ending 4242');
      const statuses = await page.$$eval('#schedule tbody tr td:last-child', (tds) =>
        tds.map((td) => td.textContent),
      );
      expect(statuses).toEqual(['paid', 'due', 'due', 'due']);
      expect(await page.textContent('main')).not.toContain('can be used until'); // a plan outlives the link's expiry
      await expectFitsTheScreen(page);
      expect(problems).toEqual([]);
    } finally {
      await context.close();
    }
    const state = (await collectApi(account).get(`/requests/${request.requestId}`)).body;
    expect([state.overallStatus, state.invoiceStatus]).toEqual(['plan', 'partially_paid']);
    const row = (
      await collectApi(account).get(`/invoices?startDate=${today()}&endDate=${today()}`)
    ).body.find((x: any) => x.url === request.url);
    expect(row).toMatchObject({
      overallStatus: 'plan',
      planAmount: '100.00',
      planFrequency: 'monthly',
      planStartDate: today(),
      instalmentEnabled: true,
    });
    const plan = (await collectApi(account).get(`/requests/${request.requestId}/plan`)).body;
    expect(plan).toMatchObject({
      status: 'active',
      cardSaved: true,
      cardLast4: '4242',
      paidAmount: '25.00',
      remainingAmount: '75.00',
    });
    const backend = (await account.api.get(`/invoices/${invoice.id}`)).body;
    expect([backend.paidAmount, backend.outstanding]).toEqual(['25.00', '75.00']);
  });
});
