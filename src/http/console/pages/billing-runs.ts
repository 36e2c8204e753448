// Billing runs: start one for a cut-off date, for the whole account or for chosen customers (searched and
// ticked; htmx fetches the matches), watch its progress live (htmx asks for the progress fragment every
// second while it runs), past runs with their results (sortable, filtered by status, paged), and a
// preview of what a run would invoice for one customer at a cut-off, with nothing written
// (billing-runs/preview-billing.ts: the run's own completion, rolled back).
import type { FastifyReply } from 'fastify';
import { KeyLevel } from '../../../api-keys/levels.ts';
import { previewBilling, type BillingPreview } from '../../../billing-runs/preview-billing.ts';
import {
  BILLING_RUN_SORTS,
  findBillingRun,
  searchBillingRuns,
  type BillingRunRow,
} from '../../../billing-runs/repo.ts';
import { resumeBilling } from '../../../billing-runs/resume-billing.ts';
import { MAX_CHOSEN_CUSTOMERS, runBilling } from '../../../billing-runs/run-billing.ts';
import { findCustomer } from '../../../customers/repo.ts';
import { searchCustomers } from '../../../dashboard/repo.ts';
import { customerNames } from '../../../customers/reports-repo.ts';
import { isIsoDate } from '../../../shared/dates.ts';
import { DomainError, invalid, notFound } from '../../../shared/errors.ts';
import { pageOffset, parseSort } from '../../../shared/sorting.ts';
import { defaultCutoff } from '../../../shared/today.ts';
import { secure } from '../../kit/page.ts';
import { pathId } from '../../kit/route-helpers.ts';
import {
  actionButton,
  csrfField,
  errorBox,
  h,
  listQuery,
  okBox,
  pageLinks,
  rate,
  sortColumn,
  table,
  when,
} from '../html.ts';
import type { ZodApp } from '../../kit/app-type.ts';
import { formBody, formQuery, idParams, messagesQuery } from '../../kit/form.ts';
import type { ConsoleKit, Me } from '../kit.ts';
import { cursor } from './customers.ts';
import { fmt } from './overview.ts';

const PAGE = 50;
const STATUSES = ['running', 'completed', 'failed', 'interrupted'] as const;
/** Customers listed by one search of the start form. */
const MATCHES = 15;

/** The ids ticked in a form: fields named customer_ID with the value 1. */
export function tickedCustomers(body: Record<string, unknown>): number[] {
  const ids: number[] = [];
  for (const [k, v] of Object.entries(body)) {
    const m = /^customer_(\d{1,15})$/.exec(k);
    if (m && v === '1') ids.push(Number(m[1]));
    if (ids.length > MAX_CHOSEN_CUSTOMERS) break;
  }
  return ids;
}

export function billingRunPages(app: ZodApp, kit: ConsoleKit): void {
  const { ctx } = kit;

  const progress = (r: BillingRunRow, timeZone: string) => {
    const live = r.status === 'running';
    const total = r.customers_total;
    const done = Math.min(r.customers_done, total);
    const bar = live
      ? total > 0
        ? `<progress max="${total}" value="${done}" aria-label="Customers completed">${done} of ${total}</progress>`
        : '<progress aria-label="Billing run starting"></progress>'
      : '';
    return `<div id="progress" aria-live="polite"${live ? ` hx-get="/console/billing-runs/${r.id}/progress" hx-trigger="every 1s" hx-swap="outerHTML"` : ''}><dl id="run-${r.id}" data-status="${h(r.status)}"><dt>Status</dt><dd><span class="badge${r.status === 'failed' || r.status === 'interrupted' ? ' bad' : r.status === 'completed' ? ' good' : ''}">${h(r.status)}</span></dd><dt>Cut-off</dt><dd>${h(r.cutoff_date)}</dd><dt>Customers</dt><dd>${r.customer_ids ? `${r.customer_ids.length} chosen` : 'the whole account'}</dd><dt>Progress</dt><dd data-field="done">${done} of ${total} customers looked at</dd><dt>Customers billed</dt><dd data-field="customers">${r.customers_billed}</dd><dt>Invoices made</dt><dd data-field="invoices">${r.invoices_created}</dd><dt>Invoices completed</dt><dd>${r.invoices_completed}</dd><dt>Started</dt><dd>${when(r.started_at, timeZone, true)}</dd>${r.finished_at ? `<dt>Finished</dt><dd>${when(r.finished_at, timeZone, true)}</dd>` : ''}${r.error ? `<dt>Error</dt><dd>${h(r.error)}</dd>` : ''}</dl>${bar}</div>`;
  };

  /** Checkboxes for the customers ticked so far, then those matching the search. */
  const customerChoices = async (m: Me, text: string | undefined, ticked: number[]) => {
    const names = await customerNames(ctx.db, m.accountId, ticked);
    const matches = await searchCustomers(ctx.db, m.accountId, text, { limit: MATCHES });
    const box = (id: number, name: string, checked: boolean) =>
      `<li><label><input type="checkbox" name="customer_${id}" value="1"${checked ? ' checked' : ''}> ${h(name)} <span class="muted">#${id}</span></label></li>`;
    const chosen = ticked.filter((id) => names.has(id));
    const rest = matches.rows.filter((c) => !names.has(c.id));
    return `<ul id="run-customers" class="choices">${chosen.map((id) => box(id, names.get(id)!, true)).join('')}${rest.map((c) => box(c.id, c.name, false)).join('')}${chosen.length + rest.length === 0 ? '<li class="muted">No customer matches.</li>' : ''}</ul>`;
  };

  app.get(
    '/console/billing-runs/customer-choices',
    { schema: { hide: true, querystring: formQuery } },
    async (request, reply) => {
      const m = await kit.me(request, reply);
      if (!m) return reply;
      kit.need(m, KeyLevel.invoices);
      const q = request.query;
      return secure(reply)
        .type('text/html; charset=utf-8')
        .send(await customerChoices(m, q.q, tickedCustomers(q)));
    },
  );

  app.get(
    '/console/billing-runs',
    { schema: { hide: true, querystring: formQuery } },
    async (request, reply) => {
      const m = await kit.me(request, reply);
      if (!m) return reply;
      const q = request.query;
      const status = STATUSES.find((s) => s === q.status);
      const sort = parseSort(q.sort, BILLING_RUN_SORTS, { key: 'id', dir: 'desc' });
      const { page, offset } = pageOffset(q.page, PAGE);
      const rows = await searchBillingRuns(ctx.db, m.accountId, { status, sort, offset, limit: PAGE });
      const shown = rows.slice(0, PAGE);
      const keep = listQuery(q);
      const col = (title: string, key: keyof typeof BILLING_RUN_SORTS, amount = false) =>
        sortColumn(title, key, sort, '/console/billing-runs', keep, amount);
      const may = kit.may(m, KeyLevel.invoices);
      const start = may
        ? `<section class="card"><h2>Start a billing run</h2><form method="post" action="/console/billing-runs">${csrfField(m.csrf)}
<div class="filters"><div><label for="cutoff">Cut-off date</label><input id="cutoff" name="cutoffDate" type="date" required value="${h(defaultCutoff(m.account, ctx.now()))}"></div></div>
<fieldset><legend>Customers</legend><label><input type="radio" name="scope" value="all" checked> Every customer with anything to bill</label><label><input type="radio" name="scope" value="chosen"> Only the customers ticked below</label>
<label for="run-search">Find customers by name, email, account number or phone number</label><input id="run-search" name="q" type="search" maxlength="100" autocomplete="off" hx-get="/console/billing-runs/customer-choices" hx-trigger="input changed delay:300ms, search" hx-target="#run-customers" hx-swap="outerHTML" hx-include="#run-customers">
${await customerChoices(m, undefined, [])}</fieldset>
<button type="submit">Start billing run</button></form><p class="muted">Each customer's unsent invoice is completed for the cut-off (made if there is none). Nothing is sent: approve the invoices afterwards. <a href="/console/billing-runs/preview">Preview a customer's invoice first</a>.</p></section>`
        : '';
      return kit.page(reply, m, {
        title: 'Billing runs',
        page: 'billing',
        body: `<h1>Billing runs</h1>${errorBox(q.error)}${okBox(q.ok)}${start}
<section class="card"><h2>Past runs</h2><form method="get" action="/console/billing-runs" class="filters"><input type="hidden" name="sort" value="${h(q.sort)}"><div><label for="run-status">Status</label><select id="run-status" name="status"><option value="">Any</option>${STATUSES.map((s) => `<option${s === status ? ' selected' : ''}>${s}</option>`).join('')}</select></div><div><button type="submit" class="secondary">Filter</button></div></form>${table(
          'Billing runs',
          [
            col('Run', 'id'),
            col('Cut-off', 'cutoff'),
            col('Status', 'status'),
            col('Customers billed', 'customers', true),
            col('Invoices made', 'invoices', true),
            col('Started', 'started'),
          ],
          shown.map((r) => [
            `<a href="/console/billing-runs/${r.id}">Run ${r.id}</a>`,
            h(r.cutoff_date),
            h(r.status),
            String(r.customers_billed),
            String(r.invoices_created),
            when(r.started_at, m.account.timezone),
          ]),
          status ? `No ${status} billing runs.` : 'No billing runs yet. Start one above for a cut-off date.',
        )}${pageLinks('/console/billing-runs', keep, page, rows.length > PAGE)}</section>`,
      });
    },
  );

  app.get(
    '/console/billing-runs/:id',
    { schema: { hide: true, params: idParams, querystring: messagesQuery } },
    async (request, reply) => {
      const m = await kit.me(request, reply);
      if (!m) return reply;
      const id = pathId(request.params.id, 'Billing run');
      const run = await findBillingRun(ctx.db, m.accountId, id);
      if (!run) throw notFound('Billing run', id);
      const q = request.query;
      const chosen = run.customer_ids
        ? await customerNames(ctx.db, m.accountId, run.customer_ids.map(Number))
        : undefined;
      return kit.page(reply, m, {
        title: `Billing run ${id}`,
        page: 'billing',
        body: `<p><a href="/console/billing-runs">Billing runs</a></p><h1>Billing run ${id}</h1>${errorBox(q.error)}${okBox(q.ok)}<section class="card">${progress(run, m.account.timezone)}
${run.status === 'interrupted' && kit.may(m, KeyLevel.invoices) ? actionButton(`/console/billing-runs/${id}/resume`, 'Resume this run', m.csrf) : ''}
<p><a class="button secondary" href="/console/invoices?run=${id}">Invoices of this run</a></p></section>
${chosen ? `<section class="card"><h2>Customers chosen</h2><ul>${[...chosen].map(([cid, name]) => `<li><a href="/console/customers/${cid}">${h(name)}</a></li>`).join('')}</ul></section>` : ''}`,
      });
    },
  );

  app.get(
    '/console/billing-runs/:id/progress',
    { schema: { hide: true, params: idParams, querystring: messagesQuery } },
    async (request, reply) => {
      const m = await kit.me(request, reply);
      if (!m) return reply;
      const id = pathId(request.params.id, 'Billing run');
      const run = await findBillingRun(ctx.db, m.accountId, id);
      if (!run) throw notFound('Billing run', id);
      return secure(reply).type('text/html; charset=utf-8').send(progress(run, m.account.timezone));
    },
  );

  kit.action(
    '/console/billing-runs',
    KeyLevel.invoices,
    async (m, b, _p, request) => {
      const cutoffDate = String(b.cutoffDate ?? '');
      if (!isIsoDate(cutoffDate)) throw invalid('cutoffDate', 'must be a date YYYY-MM-DD');
      const scope = b.scope === 'chosen' ? 'chosen' : 'all';
      const customerIds = scope === 'chosen' ? tickedCustomers(b) : undefined;
      if (customerIds && customerIds.length === 0)
        throw invalid('customers', 'tick at least one customer, or choose every customer');
      // The run goes on in this process after the answer; the page follows it by its id. It commits batch by
      // batch, outside a unit of work: its audit entry is written with the run's row.
      const audit = kit.auditOf(m, request, {
        action: 'create',
        resource: 'billingRuns',
        changes: { cutoffDate, ...(customerIds ? { customerIds } : {}) },
      });
      const runId = await new Promise<number>((resolve, reject) => {
        runBilling(ctx, m.accountId, { cutoffDate, customerIds, audit }, undefined, (run) =>
          resolve(run.id),
        ).catch((error: unknown) => {
          // Before the run exists this refuses the form; after, the run's row records the failure too.
          reject(error instanceof Error ? error : new Error(String(error)));
          request.log.error({ err: error }, 'billing run failed');
        });
      });
      return { redirect: `/console/billing-runs/${runId}`, message: 'Billing run started' };
    },
    () => '/console/billing-runs',
    { unitOfWork: false },
  );

  kit.action(
    '/console/billing-runs/:id/resume',
    KeyLevel.invoices,
    async (m, _b, p, request) => {
      const id = pathId(p.id!, 'Billing run');
      const run = await findBillingRun(ctx.db, m.accountId, id);
      if (!run) throw notFound('Billing run', id);
      // Goes on after the answer, outside a unit of work: the entry is written with the run's claim.
      resumeBilling(
        ctx,
        m.accountId,
        id,
        undefined,
        kit.auditOf(m, request, { action: 'resume', resource: 'billingRuns', resourceId: id }),
      ).catch((error: unknown) => request.log.error({ err: error }, 'resuming a billing run failed'));
      return { redirect: `/console/billing-runs/${id}`, message: 'Resuming the run' };
    },
    undefined,
    { unitOfWork: false },
  );

  // ---- preview

  const previewPage = async (
    reply: FastifyReply,
    m: Me,
    q: Record<string, string>,
    shown?: { preview: BillingPreview; name: string },
    status = 200,
  ) => {
    const cur = m.account.currency;
    const cutoff =
      q.cutoffDate && isIsoDate(q.cutoffDate) ? q.cutoffDate : defaultCutoff(m.account, ctx.now());
    const matches = q.q ? await searchCustomers(ctx.db, m.accountId, q.q, { limit: MATCHES }) : undefined;
    const p = shown?.preview;
    const inv = p?.invoice;
    const vat = (inv?.vat_breakdown ?? []) as unknown as { rate?: string; net?: string; vat?: string }[];
    const result = p
      ? `<section class="card" id="preview" data-would-bill="${p.wouldBill ? 'yes' : 'no'}"><h2>${h(shown.name)} at cut-off ${h(p.cutoffDate)}</h2>
<p>${p.wouldBill ? `A run would bill this customer: ${p.invoiceExists ? 'its unsent invoice would be completed' : 'a new invoice would be made'}.` : 'A run at this cut-off would not bill this customer: nothing is due.'} Nothing has been written.</p>
${inv ? `<dl><dt>Net</dt><dd data-field="net">${h(fmt(inv.invoice_amount, cur))}</dd><dt>VAT</dt><dd data-field="vat">${h(fmt(inv.invoice_vat, cur))}</dd><dt>Total</dt><dd data-field="total"><strong>${h(fmt(inv.total, cur))}</strong></dd><dt>Calls</dt><dd>${inv.call_count} calls, ${inv.call_minutes} minutes</dd></dl>` : ''}
${table(
  'Lines the invoice would hold',
  [
    { title: 'Date' },
    { title: 'Type' },
    { title: 'Description' },
    { title: 'VAT rate', amount: true },
    { title: 'Amount', amount: true },
  ],
  p.lines.map((t) => [
    h(t.transaction_date),
    h(t.transaction_type),
    h(t.description),
    h(rate(t.vat_rate)),
    h(fmt(t.value, cur)),
  ]),
  'No lines.',
)}${p.moreLines ? '<p class="muted">Only the first 1,000 lines are shown.</p>' : ''}
${
  vat.length
    ? table(
        'VAT by rate',
        [{ title: 'Rate' }, { title: 'Net', amount: true }, { title: 'VAT', amount: true }],
        vat.map((v) => [h(rate(v.rate)), h(v.net ? fmt(v.net, cur) : ''), h(v.vat ? fmt(v.vat, cur) : '')]),
        '',
      )
    : ''
}</section>`
      : '';
    return kit.page(
      reply,
      m,
      {
        title: 'Billing preview',
        page: 'billing',
        body: `<p><a href="/console/billing-runs">Billing runs</a></p><h1>Preview a customer's invoice</h1>${errorBox(q.error)}
<section class="card"><p class="muted">What a billing run at the cut-off would put on the customer's invoice (lines, VAT, totals). The run's own calculation is made and thrown away: nothing is written.</p>
<form method="get" action="/console/billing-runs/preview" class="filters"><input type="hidden" name="cutoffDate" value="${h(cutoff)}"><div><label for="pv-q">Find a customer</label><input id="pv-q" name="q" type="search" maxlength="100" value="${h(q.q)}"></div><div><button type="submit" class="secondary">Find</button></div></form>
${
  matches
    ? table(
        'Matching customers',
        [{ title: 'Customer' }, { title: 'Email' }],
        matches.rows.map((c) => [
          `<a href="/console/billing-runs/preview?${new URLSearchParams({ customer: String(c.id), cutoffDate: cutoff })}">${h(c.name)}</a>`,
          h(c.email),
        ]),
        'No customer matches that search.',
      )
    : ''
}
<form method="post" action="/console/billing-runs/preview" class="filters">${csrfField(m.csrf)}<div><label for="pv-customer">Customer id</label><input id="pv-customer" name="customerId" inputmode="numeric" required maxlength="15" value="${h(q.customer ?? (p ? String(p.customerId) : ''))}"></div><div><label for="pv-cutoff">Cut-off date</label><input id="pv-cutoff" name="cutoffDate" type="date" required value="${h(cutoff)}"></div><div><button type="submit">Preview invoice</button></div></form></section>${result}`,
      },
      status,
    );
  };

  app.get(
    '/console/billing-runs/preview',
    { schema: { hide: true, querystring: formQuery } },
    async (request, reply) => {
      const m = await kit.me(request, reply);
      if (!m) return reply;
      kit.need(m, KeyLevel.invoices);
      return previewPage(reply, m, request.query);
    },
  );

  app.post(
    '/console/billing-runs/preview',
    { schema: { hide: true, body: formBody } },
    async (request, reply) => {
      const m = await kit.me(request, reply);
      if (!m) return reply;
      kit.need(m, KeyLevel.invoices);
      const b = request.body;
      const q = { customer: String(b.customerId ?? ''), cutoffDate: String(b.cutoffDate ?? '') };
      try {
        const customerId = cursor(b.customerId?.trim());
        if (customerId === undefined) throw invalid('customerId', 'must be a customer id');
        const customer = await findCustomer(ctx.db, m.accountId, customerId);
        if (!customer) throw notFound('Customer', customerId);
        const preview = await previewBilling(ctx, m.accountId, { customerId, cutoffDate: q.cutoffDate });
        return await previewPage(reply, m, q, { preview, name: customer.name });
      } catch (error) {
        if (!(error instanceof DomainError) || error.code !== 'invalid_input') throw error;
        return previewPage(reply, m, { ...q, error: error.message }, undefined, 400);
      }
    },
  );
}
