// Collections: payment requests (send one for an invoice, with or without instalment plans; each request's
// status, visits, attempts, payments and plan; cancel), instalment plans and their instalments, payments
// with refunds from the page, and document 003's date-range report as a table with a CSV download made
// from the same rows and the same view as the API's report (GET /collect/v1/invoices). Sending and
// refunding go through the API's use cases at its key level (invoices). Plans and the report: collections-report.ts.
import { KeyLevel } from '../../../api-keys/levels.ts';
import { cancelPaymentRequest } from '../../../collections/cancel-request.ts';
import { createPaymentRequests } from '../../../collections/create-request.ts';
import { getRequest } from '../../../payments/get-request.ts';
import { PLAN_FREQUENCIES, type PlanFrequency } from '../../../collections/instalment-schedule.ts';
import { PAYMENT_SORTS, searchPayments } from '../../../payments/reports-repo.ts';
import { PAYMENT_REQUEST_SORTS, searchPaymentRequests } from '../../../dashboard/repo.ts';
import { retryingJobs } from '../../../outbox/repo.ts';
import { getRequestPlan } from '../../../payments/get-plan.ts';
import {
  listAttempts,
  listPayments,
  type PaymentRow,
  type PlanWithInstalments,
} from '../../../payments/repo.ts';
import { DomainError, invalid } from '../../../shared/errors.ts';
import { pageOffset, parseSort } from '../../../shared/sorting.ts';
import { pathId } from '../../kit/route-helpers.ts';
import { toCollectInvoice } from '../../kit/views/collect-invoice.ts';
import {
  actionButton,
  csrfField,
  errorBox,
  h,
  listQuery,
  okBox,
  pageLinks,
  sortColumn,
  table,
  when,
} from '../html.ts';
import type { ZodApp } from '../../kit/app-type.ts';
import { formQuery, idParams, messagesQuery } from '../../kit/form.ts';
import type { ConsoleKit, Me } from '../kit.ts';
import { cursor } from './customers.ts';
import { fmt } from './overview.ts';

const PAGE = 50;

const TABS = [
  ['', 'Payment requests'],
  ['/payments', 'Payments'],
  ['/plans', 'Instalment plans'],
  ['/report', 'Report'],
] as const;

export function tabs(current: string): string {
  return `<nav class="tabs" aria-label="Collections"><ul>${TABS.map(([path, label]) => `<li><a href="/console/collections${path}"${path === current ? ' aria-current="page"' : ''}>${label}</a></li>`).join('')}</ul></nav>`;
}

/** A plan's instalments and the state of each. */
export const instalmentTable = (plan: PlanWithInstalments, timeZone: string) =>
  table(
    `Instalments of plan ${plan.plan.id}`,
    [
      { title: '#', amount: true },
      { title: 'Due' },
      { title: 'Amount', amount: true },
      { title: 'State' },
      { title: 'Attempts', amount: true },
      { title: 'Paid' },
      { title: 'Last error' },
    ],
    plan.instalments.map((i) => [
      String(i.seq),
      h(i.due_date),
      h(fmt(i.amount, plan.plan.currency)),
      `<span class="badge${i.status === 'paid' ? ' good' : i.status === 'missed' ? ' bad' : ''}">${h(i.status)}</span>`,
      String(i.attempts),
      when(i.paid_at, timeZone),
      h(i.last_error ?? ''),
    ]),
    'No instalments.',
  );

export function collectionPages(app: ZodApp, kit: ConsoleKit): void {
  const { ctx } = kit;

  const refundForm = (m: Me, p: Pick<PaymentRow, 'id' | 'amount' | 'refunded_amount'>, back: string) =>
    kit.may(m, KeyLevel.invoices) && Number(p.refunded_amount) < Number(p.amount)
      ? `<form method="post" action="/console/payments/${p.id}/refund" class="actions">${csrfField(m.csrf)}<input type="hidden" name="back" value="${h(back)}"><label class="skip" for="refund-${p.id}">Amount to refund of payment ${p.id} (default: all)</label><input id="refund-${p.id}" name="amount" inputmode="decimal" maxlength="20" placeholder="all"><button type="submit" class="danger">Refund<span class="skip"> payment ${p.id}</span></button></form>`
      : '';

  app.get(
    '/console/collections',
    { schema: { hide: true, querystring: formQuery } },
    async (request, reply) => {
      const m = await kit.me(request, reply);
      if (!m) return reply;
      const q = request.query;
      const sort = parseSort(q.sort, PAYMENT_REQUEST_SORTS, { key: 'id', dir: 'desc' });
      const { page, offset } = pageOffset(q.page, PAGE);
      const rows = await searchPaymentRequests(ctx.db, m.accountId, {
        customerId: cursor(q.customer),
        sort,
        offset,
        limit: PAGE,
      });
      const shown = rows.slice(0, PAGE);
      const keep = listQuery(q, ['invoice']);
      const col = (title: string, key: keyof typeof PAYMENT_REQUEST_SORTS, amount = false) =>
        sortColumn(title, key, sort, '/console/collections', keep, amount);
      const jobs = await retryingJobs(ctx.db, m.accountId, 50);
      const cur = m.account.currency;
      const now = ctx.now().getTime();
      const send = kit.may(m, KeyLevel.invoices)
        ? `<section class="card"><h2>Send a payment request</h2><form method="post" action="/console/collections">${csrfField(m.csrf)}<div class="filters"><div><label for="pr-invoice">Invoice id</label><input id="pr-invoice" name="invoiceId" inputmode="numeric" required maxlength="15" value="${h(q.invoice)}"></div><div><label for="pr-amount">Amount (default: what is outstanding)</label><input id="pr-amount" name="amount" inputmode="decimal" maxlength="20"></div><div><label for="pr-days">Link works for (days)</label><input id="pr-days" name="expiresInDays" inputmode="numeric" maxlength="3" placeholder="30"></div></div>
<fieldset><legend>Instalment plans</legend><label><input type="checkbox" name="instalmentEnabled" value="1"> Let the customer pay by instalments</label>${PLAN_FREQUENCIES.map((f) => `<label><input type="checkbox" name="plan_${f}" value="1"${f === 'monthly' ? ' checked' : ''}> ${f}</label>`).join('')}<label for="pr-term">Longest plan (months)</label><input id="pr-term" name="planMaxTerm" inputmode="numeric" maxlength="3" placeholder="12"></fieldset>
<button type="submit">Send payment request</button></form><p class="muted">The link goes by email and SMS to the customer's contacts; the customer pays (or sets up a plan) on the payment page.</p></section>`
        : '';
      return kit.page(reply, m, {
        title: 'Collections',
        page: 'collections',
        body: `<h1>Collections</h1>${tabs('')}${errorBox(q.error)}${okBox(q.ok)}${send}
<section class="card"><h2>Payment requests</h2>${table(
          'Payment requests',
          [
            col('Request', 'id'),
            col('Invoice', 'invoice'),
            col('Amount', 'amount', true),
            col('Paid', 'paid', true),
            { title: 'Status' },
            col('Visits', 'visits', true),
            { title: 'Attempts', amount: true },
            { title: 'Sent by' },
            { title: 'Pay page' },
          ],
          shown.map((r) => {
            const status = r.cancelled_at
              ? 'cancelled'
              : Number(r.paid_amount) >= Number(r.amount)
                ? 'paid'
                : r.expires_at.getTime() < now
                  ? 'expired'
                  : Number(r.paid_amount) > 0
                    ? 'part paid'
                    : 'open';
            return [
              `<a href="/console/collections/requests/${r.id}">${r.id}</a>`,
              r.invoice_id
                ? `<a href="/console/invoices/${r.invoice_id}">${h(r.invoice_number ?? r.invoice_id)}</a>`
                : '',
              h(fmt(r.amount, cur)),
              h(fmt(r.paid_amount, cur)),
              `<span class="badge${status === 'paid' ? ' good' : status === 'expired' || status === 'cancelled' ? ' bad' : ''}">${status}</span>`,
              String(r.visits),
              String(r.attempts ?? 0),
              h(
                [r.email_sent_at ? 'email' : '', r.sms_sent_at ? 'SMS' : ''].filter(Boolean).join(', ') ||
                  'link only',
              ),
              `<a href="${h(new URL(r.url).pathname)}">Open<span class="skip"> the pay page of request ${r.id}</span></a>`,
            ];
          }),
          q.customer
            ? 'This customer has no payment requests.'
            : 'No payment requests yet. Send one for an approved invoice above.',
        )}${pageLinks('/console/collections', keep, page, rows.length > PAGE)}</section>
<section class="card" id="outbox"><h2>Messages waiting out a failure</h2>${table(
          'Emails and SMS to be tried again',
          [
            { title: 'Job' },
            { title: 'Kind' },
            { title: 'Attempts', amount: true },
            { title: 'Next try' },
            { title: 'Last error' },
          ],
          jobs.map((j) => [
            String(j.id),
            h(j.kind),
            `${j.attempts}/${j.max_attempts}`,
            when(j.next_attempt_at, m.account.timezone),
            h(j.last_error),
          ]),
          'Nothing is waiting: every email and SMS went out.',
        )}</section>`,
      });
    },
  );

  kit.action(
    '/console/collections',
    KeyLevel.invoices,
    async (m, b, _p, request) => {
      const invoiceId = cursor(b.invoiceId?.trim());
      if (invoiceId === undefined) throw invalid('invoiceId', 'must be an invoice id');
      const days = b.expiresInDays?.trim();
      if (days && !/^\d{1,3}$/.test(days)) throw invalid('expiresInDays', 'must be a number of days');
      const term = b.planMaxTerm?.trim();
      if (term && !/^\d{1,3}$/.test(term)) throw invalid('planMaxTerm', 'must be a number of months');
      const plans = b.instalmentEnabled === '1';
      const frequencies: PlanFrequency[] = PLAN_FREQUENCIES.filter((f) => b[`plan_${f}`] === '1');
      if (plans && frequencies.length === 0)
        throw invalid('planFrequencies', 'tick at least one frequency for instalment plans');
      const created = await createPaymentRequests(
        ctx,
        m.accountId,
        [
          {
            invoiceId,
            amount: b.amount?.trim() || undefined,
            expiresInDays: days ? Number(days) : undefined,
            ...(plans
              ? {
                  instalmentEnabled: true,
                  planFrequencies: frequencies,
                  ...(term ? { planMaxTerm: Number(term), planMaxTermPeriod: 'month' as const } : {}),
                }
              : {}),
          },
        ],
        { batch: false, baseUrl: kit.baseUrl(request) },
      );
      const r = created.requests[0]!;
      return {
        redirect: '/console/collections',
        message: `Payment request ${r.id} sent`,
        audit: {
          action: 'create',
          resource: 'paymentRequests',
          resourceId: r.id,
          changes: { invoiceId, amount: r.amount, instalmentEnabled: plans },
        },
      };
    },
    () => '/console/collections',
  );

  app.get(
    '/console/collections/requests/:id',
    { schema: { hide: true, params: idParams, querystring: messagesQuery } },
    async (request, reply) => {
      const m = await kit.me(request, reply);
      if (!m) return reply;
      const id = pathId(request.params.id, 'Payment request');
      const facts = await getRequest(ctx, m.accountId, id);
      const v = toCollectInvoice(facts, ctx.now());
      const [attempts, payments] = await Promise.all([
        listAttempts(ctx.db, m.accountId, id, 100),
        listPayments(ctx.db, m.accountId, { requestId: id }, 100),
      ]);
      const plan = await getRequestPlan(ctx, m.accountId, id).catch((error: unknown) => {
        if (error instanceof DomainError && error.code === 'not_found') return undefined;
        throw error;
      });
      const q = request.query;
      const cur = facts.currency;
      const open = !facts.cancelled_at && v.overallStatus !== 'paid' && v.overallStatus !== 'expired';
      return kit.page(reply, m, {
        title: `Payment request ${id}`,
        page: 'collections',
        body: `<p><a href="/console/collections">Collections</a></p><h1>Payment request ${id} <span class="badge" data-field="status">${h(v.overallStatus)}</span></h1>${errorBox(q.error)}${okBox(q.ok)}
<div class="grid"><section class="card"><h2>Request</h2><dl><dt>Invoice</dt><dd>${facts.invoice_id ? `<a href="/console/invoices/${facts.invoice_id}">${h(facts.invoice_number ?? facts.invoice_id)}</a>` : 'none (a standalone amount)'}</dd><dt>Amount</dt><dd>${h(fmt(v.invoiceAmount, cur))}</dd><dt>Paid (net)</dt><dd>${h(fmt(v.paidAmount, cur))}</dd><dt>Refunded</dt><dd>${h(fmt(v.refundedAmount, cur))}</dd><dt>Outstanding</dt><dd>${h(fmt(v.outstanding, cur))}</dd><dt>Payment status</dt><dd>${h(v.invoiceStatus)}</dd><dt>Link works until</dt><dd>${h(v.expiresAt)} UTC</dd><dt>Sent by</dt><dd>${h(v.channels.join(', ') || 'link only')}</dd><dt>Instalment plans</dt><dd>${v.instalmentEnabled ? h(v.planFrequencies.join(', ')) : 'not offered'}</dd></dl>
${open && kit.may(m, KeyLevel.invoices) ? actionButton(`/console/collections/requests/${id}/cancel`, 'Cancel this link', m.csrf, { danger: true }) : ''}</section>
<section class="card"><h2>Visits and attempts</h2><dl><dt>Visits</dt><dd data-field="visits">${v.visits}</dd><dt>Last visit</dt><dd>${h(v.lastVisit ?? 'never')}</dd><dt>Attempts</dt><dd data-field="attempts">${v.transactions} (${v.approvedTransactions} approved, ${v.declinedTransactions} declined)</dd><dt>Last attempt</dt><dd>${h(v.lastTransaction ?? 'none')}</dd><dt>Receipt sent</dt><dd>${h(v.receiptDate ?? 'no')}</dd></dl><p><a href="${h(new URL(facts.url).pathname)}">Open the pay page</a></p></section></div>
<section class="card"><h2>Payment attempts</h2>${table(
          'Payment attempts',
          [{ title: 'When' }, { title: 'Amount', amount: true }, { title: 'Outcome' }, { title: 'Reason' }],
          attempts.map((a) => [
            when(a.created_at, m.account.timezone),
            h(fmt(a.amount, cur)),
            h(a.outcome),
            h(a.decline_reason ?? ''),
          ]),
          'No payment attempts yet.',
        )}</section>
<section class="card" id="payments"><h2>Payments</h2>${table(
          'Payments of this request',
          [
            { title: 'Paid' },
            { title: 'Method' },
            { title: 'Amount', amount: true },
            { title: 'Refunded', amount: true },
            { title: '' },
          ],
          payments.map((p) => [
            when(p.paid_at, m.account.timezone),
            h(`${p.method}${p.card_last4 ? ` ·${p.card_last4}` : ''}`),
            h(fmt(p.amount, cur)),
            h(fmt(p.refunded_amount, cur)),
            refundForm(m, p, `request:${id}`),
          ]),
          'No payments yet.',
        )}</section>
${plan ? `<section class="card" id="plan"><h2>Instalment plan <a href="/console/collections/plans/${plan.plan.id}">${plan.plan.id}</a> <span class="badge">${h(plan.plan.status)}</span></h2>${instalmentTable(plan, m.account.timezone)}</section>` : ''}`,
      });
    },
  );

  kit.action(
    '/console/collections/requests/:id/cancel',
    KeyLevel.invoices,
    async (m, _b, p) => {
      const id = pathId(p.id!, 'Payment request');
      await cancelPaymentRequest(ctx, m.accountId, id);
      return {
        redirect: `/console/collections/requests/${id}`,
        message: 'The link no longer takes payments',
        audit: { action: 'cancel', resource: 'paymentRequests', resourceId: id },
      };
    },
    (p) => `/console/collections/requests/${p.id}`,
  );

  app.get(
    '/console/collections/payments',
    { schema: { hide: true, querystring: formQuery } },
    async (request, reply) => {
      const m = await kit.me(request, reply);
      if (!m) return reply;
      const q = request.query;
      const sort = parseSort(q.sort, PAYMENT_SORTS, { key: 'id', dir: 'desc' });
      const { page, offset } = pageOffset(q.page, PAGE);
      const rows = await searchPayments(ctx.db, m.accountId, {
        customerId: cursor(q.customer),
        sort,
        offset,
        limit: PAGE,
      });
      const keep = listQuery(q);
      const col = (title: string, key: keyof typeof PAYMENT_SORTS, amount = false) =>
        sortColumn(title, key, sort, '/console/collections/payments', keep, amount);
      const cur = m.account.currency;
      return kit.page(reply, m, {
        title: 'Payments',
        page: 'collections',
        body: `<h1>Collections</h1>${tabs('/payments')}${errorBox(q.error)}${okBox(q.ok)}<section class="card"><h2>Payments and refunds</h2>${table(
          'Payments',
          [
            col('Payment', 'id'),
            col('Paid', 'paid'),
            col('Invoice', 'invoice'),
            col('Method', 'method'),
            col('Amount', 'amount', true),
            col('Refunded', 'refunded', true),
            { title: 'Refund' },
          ],
          rows
            .slice(0, PAGE)
            .map((p) => [
              p.request_id
                ? `<a href="/console/collections/requests/${p.request_id}">${p.id}</a>`
                : String(p.id),
              when(p.paid_at, m.account.timezone),
              p.invoice_id
                ? `<a href="/console/invoices/${p.invoice_id}">${h(p.invoice_number ?? p.invoice_id)}</a>`
                : '',
              h(`${p.method}${p.card_last4 ? ` ·${p.card_last4}` : ''}`),
              h(fmt(p.amount, cur)),
              h(fmt(p.refunded_amount, cur)),
              refundForm(m, p, 'payments'),
            ]),
          'No payments yet: they appear when customers pay a payment request or a payment is recorded.',
        )}${pageLinks('/console/collections/payments', keep, page, rows.length > PAGE)}</section>`,
      });
    },
  );
}
