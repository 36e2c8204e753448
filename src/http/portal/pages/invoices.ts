// Invoices (with their PDFs) and payment requests.
import { portalInvoicePdf, portalInvoices, portalPaymentRequests } from '../../../portal/customer-data.ts';
import { DomainError } from '../../../shared/errors.ts';
import { money as toMoney } from '../../../money/money.ts';
import { secure } from '../../kit/page.ts';
import type { ZodApp } from '../../kit/app-type.ts';
import { idParams } from '../../kit/form.ts';
import { h, layout, table } from '../html.ts';
import { fmt, sendPage, type PortalKit } from '../kit.ts';

export function invoicePages(app: ZodApp, kit: PortalKit): void {
  const { ctx, requireSession, frame } = kit;

  app.get('/portal/invoices', { schema: { hide: true } }, async (request, reply) => {
    const session = await requireSession(request, reply);
    if (!session) return reply;
    const f = await frame(session, 'invoices', 'Invoices');
    const invoices = await portalInvoices(ctx, session);
    return sendPage(reply, 200, (nonce) =>
      layout({
        ...f,
        nonce,
        body: `<h1>Invoices</h1><section class="card">${table(
          'Your invoices, newest first',
          [
            { title: 'Invoice' },
            { title: 'Date' },
            { title: 'Total', amount: true },
            { title: 'To pay', amount: true },
            { title: 'PDF' },
          ],
          invoices.map((i) => [
            h(i.invoice_number),
            h(i.invoice_date),
            h(fmt(i.total, f.currency)),
            h(fmt(toMoney(i.total).minus(i.paid_amount).toFixed(), f.currency)),
            `<a href="/portal/invoices/${i.id}.pdf">Download invoice ${h(i.invoice_number)}</a>`,
          ]),
          'No invoices yet.',
        )}</section>`,
      }),
    );
  });

  app.get('/portal/invoices/:id', { schema: { hide: true, params: idParams } }, async (request, reply) => {
    const session = await requireSession(request, reply);
    if (!session) return reply;
    const m = /^(\d{1,15})\.pdf$/.exec(request.params.id);
    if (!m) throw new DomainError('not_found', 'no such invoice');
    const bill = await portalInvoicePdf(ctx, session, Number(m[1]));
    return secure(reply)
      .type('application/pdf')
      .header('content-disposition', `attachment; filename="${bill.filename}"`)
      .send(bill.pdf);
  });
}

export function paymentPages(app: ZodApp, kit: PortalKit): void {
  const { ctx, requireSession, frame } = kit;

  app.get('/portal/payments', { schema: { hide: true } }, async (request, reply) => {
    const session = await requireSession(request, reply);
    if (!session) return reply;
    const f = await frame(session, 'payments', 'Payment requests');
    const requests = await portalPaymentRequests(ctx, session);
    const now = ctx.now().getTime();
    return sendPage(reply, 200, (nonce) =>
      layout({
        ...f,
        nonce,
        body: `<h1>Payment requests</h1><section class="card">${table(
          'Payment requests, newest first',
          [
            { title: 'For' },
            { title: 'Amount', amount: true },
            { title: 'Paid', amount: true },
            { title: '' },
          ],
          requests.map((r) => {
            const open =
              r.cancelled_at === null &&
              r.expires_at.getTime() > now &&
              toMoney(r.paid_amount).lessThan(r.amount);
            return [
              h(r.invoice_number ? `Invoice ${r.invoice_number}` : (r.description ?? 'Payment')),
              h(fmt(r.amount, f.currency)),
              h(fmt(r.paid_amount, f.currency)),
              open ? `<a href="${h(new URL(r.url).pathname)}">Pay now</a>` : '',
            ];
          }),
          'No payment requests.',
        )}</section>`,
      }),
    );
  });
}
