// Invoices: list with the invoices document's filters (unsent, raised, unpaid,
// overdue, not emailed, dates, customer, number, billing run); an invoice's page with its lines, VAT by
// rate, calls summary and status history, every action of the document as a button, and the PDF shown
// in the page. Billing runs are in billing-runs.ts.
import { z } from 'zod';
import { KeyLevel } from '../../../api-keys/levels.ts';
import { findCustomer } from '../../../customers/repo.ts';
import { INVOICE_SORTS, searchInvoices } from '../../../dashboard/repo.ts';
import { pageOffset, parseSort } from '../../../shared/sorting.ts';
import { generateDownloadLink } from '../../../delivery/download-links.ts';
import { emailCdrs, emailInvoice } from '../../../delivery/email-invoice.ts';
import { invoiceBill } from '../../../delivery/invoice-bill.ts';
import { recreateBills } from '../../../delivery/recreate-bills.ts';
import { invoiceLines } from '../../../invoices/invoice-charges-repo.ts';
import { approveInvoice } from '../../../invoices/approve-invoice.ts';
import { reapplyDiscountPlans } from '../../../invoices/reapply-discount-plans.ts';
import { findInvoice } from '../../../invoices/repo.ts';
import { updateCallTransactions } from '../../../invoices/update-call-transactions.ts';
import { linkToXero } from '../../../invoices/xero-link.ts';
import { refundPayment } from '../../../payments/refund-payment.ts';
import { findPayment, listPayments } from '../../../payments/repo.ts';
import { isIsoDate } from '../../../shared/dates.ts';
import { invalid, notFound } from '../../../shared/errors.ts';
import { accountToday } from '../../../shared/today.ts';
import { pathId } from '../../kit/route-helpers.ts';
import type { ZodApp } from '../../kit/app-type.ts';
import { formField, idParams, pageQuery } from '../../kit/form.ts';
import { secure } from '../../kit/page.ts';
import {
  actionButton,
  csrfField,
  errorBox,
  h,
  listQuery,
  okBox,
  pageLinks,
  pager,
  rate,
  sortColumn,
  table,
  when,
} from '../html.ts';
import type { ConsoleKit } from '../kit.ts';
import type { AuditChange } from '../../../audit/record.ts';
import { cursor, invoiceState } from './customers.ts';
import { fmt } from './overview.ts';

const PAGE = 50;

function date(v: string | undefined): string | undefined {
  return v && isIsoDate(v) ? v : undefined;
}

export function invoicePages(app: ZodApp, kit: ConsoleKit): void {
  const { ctx } = kit;

  const InvoicesQuery = pageQuery({
    state: formField,
    customer: formField,
    number: formField,
    from: formField,
    to: formField,
    unpaid: formField,
    overdue: formField,
    notEmailed: formField,
    run: formField,
    before: formField,
    sort: formField,
    page: formField,
  });
  app.get(
    '/console/invoices',
    { schema: { hide: true, querystring: InvoicesQuery } },
    async (request, reply) => {
      const m = await kit.me(request, reply);
      if (!m) return reply;
      const q = request.query;
      const today = accountToday(m.account, ctx.now());
      const state = q.state === 'unsent' || q.state === 'raised' ? q.state : 'all';
      // Sorted by a column: offset pages; else newest first, before the last id shown.
      const sort = q.sort ? parseSort(q.sort, INVOICE_SORTS, { key: 'date', dir: 'desc' }) : undefined;
      const { page: pageNo, offset } = pageOffset(q.page, PAGE);
      const rows = await searchInvoices(ctx.db, m.accountId, {
        state,
        customerId: cursor(q.customer),
        number: q.number?.trim() || undefined,
        from: date(q.from),
        to: date(q.to),
        unpaid: q.unpaid === '1',
        overdueOn: q.overdue === '1' ? today : undefined,
        unsentByEmail: q.notEmailed === '1',
        billingRunId: cursor(q.run),
        ...(sort ? { sort, offset } : { before: cursor(q.before) }),
        limit: PAGE,
      });
      const shown = rows.slice(0, PAGE);
      const keep = listQuery(q);
      const col = (title: string, key: keyof typeof INVOICE_SORTS, amount = false) =>
        sortColumn(title, key, sort ?? { key: '', dir: 'asc' }, '/console/invoices', keep, amount);
      const paging = sort
        ? pageLinks('/console/invoices', keep, pageNo, rows.length > PAGE)
        : pager({
            next:
              rows.length > PAGE
                ? `/console/invoices?${new URLSearchParams({ ...keep, before: String(shown.at(-1)!.id) })}`
                : undefined,
          });
      const check = (name: keyof typeof q, label: string) =>
        `<div><label><input type="checkbox" name="${name}" value="1"${q[name] === '1' ? ' checked' : ''}> ${label}</label></div>`;
      return kit.page(reply, m, {
        title: 'Invoices',
        page: 'invoices',
        body: `<h1>Invoices</h1>${errorBox(q.error)}${okBox(q.ok)}
<section class="card"><form method="get" action="/console/invoices" class="filters">${q.sort ? `<input type="hidden" name="sort" value="${h(q.sort)}">` : ''}
<div><label for="state">State</label><select id="state" name="state"><option value="all">All</option><option value="unsent"${state === 'unsent' ? ' selected' : ''}>Unsent (not approved)</option><option value="raised"${state === 'raised' ? ' selected' : ''}>Raised (approved)</option></select></div>
<div><label for="number">Invoice number</label><input id="number" name="number" value="${h(q.number)}" maxlength="50"></div>
<div><label for="customer">Customer id</label><input id="customer" name="customer" inputmode="numeric" value="${h(q.customer)}" maxlength="15"></div>
<div><label for="from">Invoice date from</label><input id="from" name="from" type="date" value="${h(q.from)}"></div>
<div><label for="to">to</label><input id="to" name="to" type="date" value="${h(q.to)}"></div>
${check('unpaid', 'Unpaid')}${check('overdue', 'Overdue')}${check('notEmailed', 'Not emailed')}
<div><button type="submit">Filter</button></div></form></section>
<section class="card">${table(
          'Invoices',
          [
            col('Invoice', 'number'),
            col('Customer', 'customer'),
            col('Date', 'date'),
            col('Due', 'due'),
            { title: 'State' },
            col('Total', 'total', true),
            col('Paid', 'paid', true),
          ],
          shown.map((i) => [
            `<a href="/console/invoices/${i.id}">${h(i.invoice_number ?? `Unsent ${i.id}`)}</a>`,
            `<a href="/console/customers/${i.customer_id}">${h(i.customer_name)}</a>`,
            h(i.invoice_date ?? (i.cutoff_date ? `cut-off ${i.cutoff_date}` : '')),
            h(i.due_date),
            invoiceState(i, today),
            h(fmt(i.total, m.account.currency)),
            h(fmt(i.paid_amount, m.account.currency)),
          ]),
          Object.keys(keep).length > 0
            ? 'No invoice matches these filters.'
            : 'No invoices yet. Start a billing run to make them.',
        )}${paging}</section>`,
      });
    },
  );

  app.get(
    '/console/invoices/:id',
    {
      schema: {
        hide: true,
        params: idParams,
        querystring: pageQuery({ link: formField, uses: formField, until: formField }),
      },
    },
    async (request, reply) => {
      const m = await kit.me(request, reply);
      if (!m) return reply;
      const id = pathId(request.params.id, 'Invoice');
      const invoice = await findInvoice(ctx.db, m.accountId, id);
      if (!invoice) throw notFound('Invoice', id);
      const customer = await findCustomer(ctx.db, m.accountId, invoice.customer_id);
      const lines = await invoiceLines(ctx.db, m.accountId, id);
      const payments = await listPayments(ctx.db, m.accountId, { invoiceId: id }, 100);
      const q = request.query;
      const cur = m.account.currency;
      const today = accountToday(m.account, ctx.now());
      const raised = invoice.approved_at !== null;
      const may = kit.may(m, KeyLevel.invoices);
      const act = (name: string, label: string, secondary = true) =>
        actionButton(`/console/invoices/${id}/${name}`, label, m.csrf, { secondary });
      const actions = may
        ? raised
          ? `${act('email', 'Email invoice', false)}${act('email-cdrs', 'Email CDRs')}${act('recreate', 'Recreate PDF')}${act('download-link', 'Make download link')}
<form method="post" action="/console/invoices/${id}/xero" class="filters">${csrfField(m.csrf)}<div><label for="xero">Xero invoice id</label><input id="xero" name="xeroID" maxlength="100"></div><div><button type="submit" class="secondary">Link to Xero</button></div></form>`
          : `${act('approve', 'Approve invoice', false)}${act('update-calls', 'Update call transactions')}${act('reapply-discounts', 'Reapply discount plans')}`
        : '';
      const history = [
        ['Made', invoice.created_at],
        ['Approved', invoice.approved_at],
        ['Emailed', invoice.emailed_at],
        ['Downloaded', invoice.downloaded_at],
      ].filter(([, at]) => at) as [string, Date][];
      const vat = (invoice.vat_breakdown ?? []) as unknown as {
        rate?: string;
        vatRate?: string;
        net?: string;
        vat?: string;
      }[];
      return kit.page(reply, m, {
        title: `Invoice ${invoice.invoice_number ?? id}`,
        page: 'invoices',
        body: `<p><a href="/console/invoices">Invoices</a></p><h1>Invoice ${h(invoice.invoice_number ?? `(unsent ${id})`)} ${invoiceState(invoice, today)}</h1>${errorBox(q.error)}${okBox(q.ok)}
${q.link ? `<div class="alert ok" role="status">Download link (works ${h(q.uses ?? '1')} time(s), until ${h(q.until ?? '')}): <span class="secret">${h(q.link)}</span></div>` : ''}
<div class="grid"><section class="card"><h2>Summary</h2><dl>
<dt>Customer</dt><dd><a href="/console/customers/${invoice.customer_id}">${h(customer?.name)}</a></dd>
<dt>Invoice date</dt><dd>${h(invoice.invoice_date ?? 'on approval')}</dd><dt>Cut-off</dt><dd>${h(invoice.cutoff_date)}</dd><dt>Due</dt><dd>${h(invoice.due_date)}</dd>
<dt>Net</dt><dd>${h(fmt(invoice.invoice_amount, cur))}</dd><dt>VAT</dt><dd>${h(fmt(invoice.invoice_vat, cur))}</dd><dt>Total</dt><dd data-field="total"><strong>${h(fmt(invoice.total, cur))}</strong></dd><dt>Paid</dt><dd>${h(fmt(invoice.paid_amount, cur))}</dd>
<dt>Calls</dt><dd>${invoice.call_count} calls, ${invoice.call_minutes} minutes (<a href="/console/calls?invoice=${id}">list</a>)</dd>
${invoice.xero_id ? `<dt>Xero</dt><dd>${h(invoice.xero_id)}</dd>` : ''}</dl></section>
<section class="card"><h2>Actions</h2><div class="actions">${actions || '<p class="muted">Your role may look but not change invoices.</p>'}<a class="button secondary" href="/console/invoices/${id}/pdf" download>Download PDF</a></div>
<h2>Status history</h2><ul>${history.map(([what, at]) => `<li>${h(what)} ${when(at, m.account.timezone)}</li>`).join('')}</ul></section></div>
<section class="card"><h2>Lines</h2>${table(
          'Invoice lines',
          [
            { title: 'Date' },
            { title: 'Type' },
            { title: 'Description' },
            { title: 'VAT rate', amount: true },
            { title: 'Amount', amount: true },
          ],
          lines.map((t) => [
            h(t.transaction_date),
            h(t.transaction_type),
            h(t.description),
            h(rate(t.vat_rate)),
            h(fmt(t.value, cur)),
          ]),
          'No lines: this invoice has no charges yet.',
        )}</section>
<section class="card" id="payments"><h2>Payments</h2>${table(
          'Payments of this invoice',
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
            may && Number(p.refunded_amount) < Number(p.amount)
              ? `<form method="post" action="/console/payments/${p.id}/refund" class="actions">${csrfField(m.csrf)}<label class="skip" for="refund-${p.id}">Amount to refund of payment ${p.id} (default: all)</label><input id="refund-${p.id}" name="amount" inputmode="decimal" maxlength="20" placeholder="all"><button type="submit" class="danger">Refund</button></form>`
              : '',
          ]),
          raised
            ? 'No payments yet: send a payment request from Collections.'
            : 'Approve the invoice before collecting payment.',
        )}</section>
<section class="card"><h2>VAT by rate</h2>${table(
          'VAT by rate',
          [{ title: 'Rate' }, { title: 'Net', amount: true }, { title: 'VAT', amount: true }],
          vat.map((v) => [
            h(rate(v.rate ?? v.vatRate)),
            h(v.net ? fmt(v.net, cur) : ''),
            h(v.vat ? fmt(v.vat, cur) : ''),
          ]),
          'No VAT on this invoice.',
        )}</section>
<section class="card"><h2>Bill</h2><iframe class="pdf" title="The invoice as a PDF" src="/console/invoices/${id}/pdf?inline=1"></iframe></section>`,
      });
    },
  );

  app.get(
    '/console/invoices/:id/pdf',
    { schema: { hide: true, params: idParams, querystring: z.object({ inline: formField }) } },
    async (request, reply) => {
      const m = await kit.me(request, reply);
      if (!m) return reply;
      const id = pathId(request.params.id, 'Invoice');
      const invoice = await findInvoice(ctx.db, m.accountId, id);
      if (!invoice) throw notFound('Invoice', id);
      const bill = await invoiceBill(ctx, m.account, invoice, undefined);
      const inline = request.query.inline === '1';
      return secure(reply)
        .header('x-frame-options', 'SAMEORIGIN')
        .header('content-security-policy', "default-src 'none'; frame-ancestors 'self'")
        .type('application/pdf')
        .header('content-disposition', `${inline ? 'inline' : 'attachment'}; filename="${bill.filename}"`)
        .send(bill.pdf);
    },
  );

  const invoiceAction = (
    name: string,
    run: (
      accountId: number,
      id: number,
      body: Record<string, string>,
      baseUrl: string,
      /** Given to an action that sends at once: its use case writes the entry. */
      audit?: AuditChange,
    ) => Promise<{ message: string; redirect?: string }>,
    sendsAtOnce = false,
  ) =>
    kit.action(
      `/console/invoices/:id/${name}`,
      KeyLevel.invoices,
      async (m, b, p, request) => {
        const id = pathId(p.id!, 'Invoice');
        const change = { action: name, resource: 'invoices', resourceId: id };
        // Sending an email now: outside a unit of work, the use case writes the entry with the queued email.
        if (sendsAtOnce) {
          const done = await run(m.accountId, id, b, kit.baseUrl(request), kit.auditOf(m, request, change));
          return { redirect: done.redirect ?? `/console/invoices/${id}`, message: done.message };
        }
        const done = await run(m.accountId, id, b, kit.baseUrl(request));
        return { redirect: done.redirect ?? `/console/invoices/${id}`, message: done.message, audit: change };
      },
      (p) => `/console/invoices/${p.id}`,
      sendsAtOnce ? { unitOfWork: false } : undefined,
    );
  invoiceAction('approve', async (a, id) => ({
    message: `Invoice ${(await approveInvoice(ctx, a, id)).invoice_number} approved`,
  }));
  invoiceAction(
    'email',
    async (a, id, _b, _base, audit) => ({ message: (await emailInvoice(ctx, a, id, {}, audit)).message }),
    true,
  );
  invoiceAction(
    'email-cdrs',
    async (a, id, _b, _base, audit) => ({ message: (await emailCdrs(ctx, a, id, {}, audit)).message }),
    true,
  );
  invoiceAction(
    'recreate',
    async (a, id) => (await recreateBills(ctx, a, id), { message: 'Bill rendered again' }),
  );
  invoiceAction(
    'update-calls',
    async (a, id) => (await updateCallTransactions(ctx, a, id), { message: 'Call transactions updated' }),
  );
  invoiceAction(
    'reapply-discounts',
    async (a, id) => (await reapplyDiscountPlans(ctx, a, id), { message: 'Discount plans reapplied' }),
  );
  invoiceAction('download-link', async (a, id, _b, base) => {
    const link = await generateDownloadLink(ctx, a, id, {}, base);
    return {
      message: 'Download link made (shown once below)',
      redirect: `/console/invoices/${id}?${new URLSearchParams({ link: link.download_url, until: link.expires_at.slice(0, 16), uses: String(link.max_uses) })}`,
    };
  });
  kit.action(
    '/console/invoices/:id/xero',
    KeyLevel.invoices,
    async (m, b, p) => {
      const id = pathId(p.id!, 'Invoice');
      const xero = String(b.xeroID ?? '').trim();
      if (!xero) throw invalid('xeroID', 'is required');
      await linkToXero(ctx, m.accountId, m.level, id, xero);
      return {
        redirect: `/console/invoices/${id}`,
        message: 'Linked to Xero',
        audit: { action: 'linkToXero', resource: 'invoices', resourceId: id, changes: { xeroID: xero } },
      };
    },
    (p) => `/console/invoices/${p.id}`,
  );

  kit.action(
    '/console/payments/:id/refund',
    KeyLevel.invoices,
    async (m, b, p, request) => {
      const id = pathId(p.id!, 'Payment');
      const payment = await findPayment(ctx.db, m.accountId, id);
      if (!payment) throw notFound('Payment', id);
      // The entry is written in the refund's transaction (the refund's id and amount added there).
      const { refund } = await refundPayment(
        ctx,
        m.accountId,
        id,
        { amount: b.amount?.trim() || undefined, reason: 'refunded from the console' },
        kit.auditOf(m, request, { action: 'create', resource: 'refunds' }),
      );
      // Back to the list the form was on: the payments list, the request's page, else the invoice's.
      const fromRequest = /^request:(\d{1,15})$/.exec(b.back ?? '');
      return {
        redirect:
          b.back === 'payments'
            ? '/console/collections/payments'
            : fromRequest
              ? `/console/collections/requests/${fromRequest[1]}#payments`
              : payment.invoice_id !== null
                ? `/console/invoices/${payment.invoice_id}#payments`
                : `/console/collections/requests/${payment.request_id}#payments`,
        message: `Refunded ${refund.amount}`,
      };
    },
    () => '/console/collections/payments',
    // The refund (and its entry) is recorded and committed before the gateway is called: outside a unit of work.
    { unitOfWork: false },
  );
}
