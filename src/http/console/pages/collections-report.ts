// Collections, continued: instalment plans (list, a plan's instalments) and document 003's date-range
// report, as a table and as a CSV made from the same rows and the same view as the API's report
// (GET /collect/v1/invoices): one column per field of the API's answer, in its order.
import { reportInvoices } from '../../../payments/report-invoices.ts';
import { PLAN_SORTS, searchPlans } from '../../../payments/reports-repo.ts';
import { getPlan } from '../../../payments/get-plan.ts';
import { isIsoDate } from '../../../shared/dates.ts';
import { DomainError } from '../../../shared/errors.ts';
import { pageOffset, parseSort } from '../../../shared/sorting.ts';
import { secure } from '../../kit/page.ts';
import { pathId } from '../../kit/route-helpers.ts';
import { collectInvoice, toCollectInvoice, type CollectInvoice } from '../../kit/views/collect-invoice.ts';
import { errorBox, h, listQuery, pageLinks, rate, sortColumn, table } from '../html.ts';
import type { ZodApp } from '../../kit/app-type.ts';
import { formQuery, idParams, messagesQuery } from '../../kit/form.ts';
import type { ConsoleKit } from '../kit.ts';
import { instalmentTable, tabs } from './collections.ts';
import { cursor } from './customers.ts';
import { fmt } from './overview.ts';

const PAGE = 50;

/** One CSV field: quoted when it holds a comma, quote or line break (RFC 4180). */
function csvField(value: string | number | boolean | string[] | null): string {
  const text = value === null ? '' : Array.isArray(value) ? value.join(';') : String(value);
  return /[",\r\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

/** The report's rows as CSV: one column per field of the API's report, in its order, one row per request. */
export function reportCsv(rows: CollectInvoice[], fields: readonly string[]): string {
  const lines = [fields.join(',')];
  for (const r of rows)
    lines.push(
      fields
        .map((f) =>
          csvField((r as unknown as Record<string, string | number | boolean | string[] | null>)[f] ?? null),
        )
        .join(','),
    );
  return `${lines.join('\r\n')}\r\n`;
}

export function collectionReportPages(app: ZodApp, kit: ConsoleKit): void {
  const { ctx } = kit;

  app.get(
    '/console/collections/plans',
    { schema: { hide: true, querystring: formQuery } },
    async (request, reply) => {
      const m = await kit.me(request, reply);
      if (!m) return reply;
      const q = request.query;
      const status = (['active', 'completed', 'cancelled'] as const).find((s) => s === q.status);
      const sort = parseSort(q.sort, PLAN_SORTS, { key: 'id', dir: 'desc' });
      const { page, offset } = pageOffset(q.page, PAGE);
      const rows = await searchPlans(ctx.db, m.accountId, { status, sort, offset, limit: PAGE });
      const keep = listQuery(q);
      const col = (title: string, key: keyof typeof PLAN_SORTS, amount = false) =>
        sortColumn(title, key, sort, '/console/collections/plans', keep, amount);
      const cur = m.account.currency;
      return kit.page(reply, m, {
        title: 'Instalment plans',
        page: 'collections',
        body: `<h1>Collections</h1>${tabs('/plans')}<section class="card"><h2>Instalment plans</h2><form method="get" action="/console/collections/plans" class="filters"><input type="hidden" name="sort" value="${h(q.sort)}"><div><label for="plan-status">State</label><select id="plan-status" name="status"><option value="">Any</option>${['active', 'completed', 'cancelled'].map((s) => `<option${s === status ? ' selected' : ''}>${s}</option>`).join('')}</select></div><div><button type="submit" class="secondary">Filter</button></div></form>${table(
          'Instalment plans',
          [
            col('Plan', 'id'),
            { title: 'Request' },
            { title: 'Invoice' },
            col('Total', 'amount', true),
            col('Every', 'frequency'),
            col('Starts', 'start'),
            { title: 'Instalments paid', amount: true },
            col('State', 'status'),
          ],
          rows
            .slice(0, PAGE)
            .map((p) => [
              `<a href="/console/collections/plans/${p.id}">Plan ${p.id}</a>`,
              `<a href="/console/collections/requests/${p.request_id}">${p.request_id}</a>`,
              p.invoice_id
                ? `<a href="/console/invoices/${p.invoice_id}">${h(p.invoice_number ?? p.invoice_id)}</a>`
                : '',
              h(fmt(p.total_amount, cur)),
              h(p.frequency),
              h(p.start_date),
              `${Number(p.paid ?? 0)} of ${Number(p.instalments ?? 0)}${Number(p.missed ?? 0) ? `, ${Number(p.missed)} missed` : ''}`,
              h(p.status),
            ]),
          'No instalment plans. Customers set one up on the payment page when the request offers plans.',
        )}${pageLinks('/console/collections/plans', keep, page, rows.length > PAGE)}</section>`,
      });
    },
  );

  app.get(
    '/console/collections/plans/:id',
    { schema: { hide: true, params: idParams, querystring: messagesQuery } },
    async (request, reply) => {
      const m = await kit.me(request, reply);
      if (!m) return reply;
      const id = pathId(request.params.id, 'Instalment plan');
      const plan = await getPlan(ctx, m.accountId, id);
      const p = plan.plan;
      return kit.page(reply, m, {
        title: `Instalment plan ${id}`,
        page: 'collections',
        body: `<p><a href="/console/collections/plans">Instalment plans</a></p><h1>Instalment plan ${id} <span class="badge">${h(p.status)}</span></h1><section class="card"><dl><dt>Payment request</dt><dd><a href="/console/collections/requests/${p.request_id}">${p.request_id}</a></dd><dt>Amount</dt><dd>${h(fmt(p.amount, p.currency))}</dd><dt>With interest (${h(rate(p.interest_rate))}% a year)</dt><dd>${h(fmt(p.total_amount, p.currency))}</dd><dt>Every</dt><dd>${h(p.frequency)}</dd><dt>Starts</dt><dd>${h(p.start_date)}</dd><dt>Card</dt><dd>${p.card_last4 ? `ending ${h(p.card_last4)}` : 'none: each instalment is requested by link'}</dd></dl></section><section class="card"><h2>Instalments</h2>${instalmentTable(plan, m.account.timezone)}</section>`,
      });
    },
  );

  // ---- document 003's report

  const reportRange = (q: Record<string, string>) => {
    const today = ctx.now().toISOString().slice(0, 10);
    return {
      startDate: q.startDate && isIsoDate(q.startDate) ? q.startDate : `${today.slice(0, 8)}01`,
      endDate: q.endDate && isIsoDate(q.endDate) ? q.endDate : today,
      after: cursor(q.after),
    };
  };

  app.get(
    '/console/collections/report',
    { schema: { hide: true, querystring: formQuery } },
    async (request, reply) => {
      const m = await kit.me(request, reply);
      if (!m) return reply;
      const q = request.query;
      const range = reportRange(q);
      let error: string | undefined;
      let rows: CollectInvoice[] = [];
      let nextAfter: number | undefined;
      try {
        const found = await reportInvoices(ctx, m.accountId, { ...range, limit: PAGE });
        const now = ctx.now();
        rows = found.rows.map((r) => toCollectInvoice(r, now));
        nextAfter = found.nextAfter;
      } catch (e) {
        if (!(e instanceof DomainError) || e.code !== 'invalid_input') throw e;
        error = e.message;
      }
      const csv = `/console/collections/report.csv?${new URLSearchParams({ startDate: range.startDate, endDate: range.endDate })}`;
      return kit.page(reply, m, {
        title: 'Collections report',
        page: 'collections',
        body: `<h1>Collections</h1>${tabs('/report')}${errorBox(error)}<section class="card"><h2>Requests processed in a date range</h2><p class="muted">Document 003's report, as GET /collect/v1/invoices gives it: requests created between the dates (both included, UTC days) with payment, visits, attempts and plan fields.</p><form method="get" action="/console/collections/report" class="filters"><div><label for="rep-start">From</label><input id="rep-start" name="startDate" type="date" required value="${h(range.startDate)}"></div><div><label for="rep-end">To</label><input id="rep-end" name="endDate" type="date" required value="${h(range.endDate)}"></div><div><button type="submit" class="secondary">Show</button></div></form>
<p><a class="button" href="${h(csv)}" download>Download CSV</a></p>${table(
          'Requests processed',
          [
            { title: 'Request' },
            { title: 'Invoice' },
            { title: 'Amount', amount: true },
            { title: 'Payment' },
            { title: 'Overall' },
            { title: 'Visits', amount: true },
            { title: 'Attempts', amount: true },
            { title: 'Approved', amount: true },
            { title: 'Plan' },
            { title: 'Created (UTC)' },
          ],
          rows.map((r) => [
            `<a href="/console/collections/requests/${r.requestId}">${r.requestId}</a>`,
            r.invoiceId ? `<a href="/console/invoices/${r.invoiceId}">${r.invoiceId}</a>` : '',
            h(fmt(r.invoiceAmount, r.currency)),
            h(r.invoiceStatus),
            h(r.overallStatus),
            String(r.visits),
            String(r.transactions),
            String(r.approvedTransactions),
            h(r.planFrequency ? `${r.planFrequency} from ${r.planStartDate}` : ''),
            h(r.created),
          ]),
          'No payment requests were processed in these dates.',
        )}${nextAfter !== undefined ? `<div class="pager"><a class="button secondary" href="/console/collections/report?${h(new URLSearchParams({ startDate: range.startDate, endDate: range.endDate, after: String(nextAfter) }).toString())}">Next page</a></div>` : ''}</section>`,
      });
    },
  );

  // The CSV: the API's rows for the range (up to its 10,000; X-Next-After and `after` for the rest, as the API).
  app.get(
    '/console/collections/report.csv',
    { schema: { hide: true, querystring: formQuery } },
    async (request, reply) => {
      const m = await kit.me(request, reply);
      if (!m) return reply;
      const range = reportRange(request.query);
      const { rows, nextAfter } = await reportInvoices(ctx, m.accountId, range);
      const now = ctx.now();
      const views = rows.map((r) => toCollectInvoice(r, now));
      if (nextAfter !== undefined) void reply.header('x-next-after', String(nextAfter));
      // The columns: the fields of the API's report, in its order.
      const fields = Object.keys(collectInvoice.shape);
      return secure(reply)
        .type('text/csv; charset=utf-8')
        .header(
          'content-disposition',
          `attachment; filename="collections-${range.startDate}-to-${range.endDate}.csv"`,
        )
        .send(reportCsv(views, fields));
    },
  );
}
