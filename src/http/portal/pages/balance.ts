// The balance: what is available, the latest movements and the card top-up; all movements by period, and as CSV.
import { stringify } from 'csv-stringify/sync';
import { portalBalance, portalEntries, portalTopUp } from '../../../portal/customer-data.ts';
import { DomainError } from '../../../shared/errors.ts';
import { publicBaseUrl } from '../../public-url.ts';
import { secure } from '../../kit/page.ts';
import type { ZodApp } from '../../kit/app-type.ts';
import { formField, messagesQuery, namedForm } from '../../kit/form.ts';
import { csrfField, errorBox, h, layout, table } from '../html.ts';
import { ENTRY_LABEL, fmt, MAX_CSV, range, RangeQuery, sendPage, type PortalKit } from '../kit.ts';

const ENTRIES_PAGE = 50;

export function balancePages(app: ZodApp, kit: PortalKit): void {
  const { ctx, publicUrl, requireSession, frame } = kit;

  app.get('/portal', { schema: { hide: true, querystring: messagesQuery } }, async (request, reply) => {
    const session = await requireSession(request, reply);
    if (!session) return reply;
    const f = await frame(session, 'overview', 'Your balance');
    const b = await portalBalance(ctx, session);
    const recent = await portalEntries(ctx, session, { limit: 1000 });
    const last = recent.rows.slice(-5).reverse();
    const error = request.query.error;
    return sendPage(reply, 200, (nonce) =>
      layout({
        ...f,
        nonce,
        body: `<h1>Your balance</h1>
<section class="card"><dl class="big"><dt>Available</dt><dd data-field="available">${b.available === null ? 'No limit' : fmt(b.available.toFixed(), f.currency)}</dd></dl>
<dl><dt>Balance</dt><dd data-field="balance">${fmt(b.balance.toFixed(), f.currency)}</dd><dt>Held for calls in progress</dt><dd>${fmt(b.reserved.toFixed(), f.currency)}</dd>
${b.customer.credit_limit !== null ? `<dt>Credit limit</dt><dd>${fmt(b.customer.credit_limit, f.currency)}</dd>` : ''}<dt>Spent today</dt><dd>${fmt(b.spentToday.toFixed(), f.currency)}</dd><dt>Spent this month</dt><dd>${fmt(b.spentThisMonth.toFixed(), f.currency)}</dd></dl></section>
${
  b.customer.billing_mode === 'prepaid'
    ? `<section class="card" id="top-up"><h2>Top up by card</h2>${errorBox(error)}<form method="post" action="/portal/top-up">${csrfField(f.csrf)}<label for="amount">Amount (${h(f.currency)})</label><input id="amount" name="amount" inputmode="decimal" required maxlength="12" placeholder="20.00"><button type="submit">Continue to payment</button></form><p class="muted">You pay on our secure payment page; the amount is added to your balance as soon as it is paid.</p></section>`
    : ''
}
<section class="card"><h2>Latest</h2>${table(
          'Latest balance movements',
          [
            { title: 'When' },
            { title: 'What' },
            { title: 'Amount', amount: true },
            { title: 'Balance', amount: true },
          ],
          last.map((e) => [
            h(e.created_at.toISOString().slice(0, 16).replace('T', ' ')),
            h(e.description ?? ENTRY_LABEL[e.kind]),
            h(fmt(e.amount, f.currency)),
            h(fmt(e.balance_after, f.currency)),
          ]),
          'Nothing yet.',
        )}<a class="button" href="/portal/entries">All movements</a></section>`,
      }),
    );
  });

  app.post(
    '/portal/top-up',
    { schema: { hide: true, body: namedForm({ amount: formField }) } },
    async (request, reply) => {
      const session = await requireSession(request, reply);
      if (!session) return reply;
      const amount = String(request.body.amount ?? '').trim();
      try {
        const url = await portalTopUp(ctx, session, amount, publicBaseUrl(request, publicUrl));
        return secure(reply).redirect(new URL(url).pathname, 303);
      } catch (error) {
        if (!(error instanceof DomainError)) throw error;
        return secure(reply).redirect(`/portal?error=${encodeURIComponent(error.message)}#top-up`, 303);
      }
    },
  );
  const EntriesQuery = RangeQuery.extend({ after: formField });
  app.get(
    '/portal/entries',
    { schema: { hide: true, querystring: EntriesQuery } },
    async (request, reply) => {
      const session = await requireSession(request, reply);
      if (!session) return reply;
      const f = await frame(session, 'entries', 'Balance movements');
      const q = request.query;
      const after = /^\d{1,15}$/.test(q.after ?? '') ? Number(q.after) : undefined;
      const page = await portalEntries(ctx, session, { after, limit: ENTRIES_PAGE }, range(q, f.timezone));
      const next =
        page.nextAfter === undefined
          ? ''
          : `<a class="button" href="/portal/entries?after=${page.nextAfter}${q.from ? `&from=${encodeURIComponent(q.from)}` : ''}${q.to ? `&to=${encodeURIComponent(q.to)}` : ''}">Next page</a>`;
      return sendPage(reply, 200, (nonce) =>
        layout({
          ...f,
          nonce,
          body: `<h1>Balance movements</h1>
<section class="card"><form method="get" action="/portal/entries"><div class="row"><div><label for="from">From</label><input id="from" name="from" type="date" value="${h(q.from)}"></div><div><label for="to">To</label><input id="to" name="to" type="date" value="${h(q.to)}"></div></div><button type="submit">Show</button></form>
<a class="button" href="/portal/entries.csv${q.from || q.to ? `?from=${encodeURIComponent(q.from ?? '')}&to=${encodeURIComponent(q.to ?? '')}` : ''}">Download CSV</a></section>
<section class="card">${table(
            'Balance movements, oldest first',
            [
              { title: 'When' },
              { title: 'What' },
              { title: 'Amount', amount: true },
              { title: 'Balance', amount: true },
            ],
            page.rows.map((e) => [
              h(e.created_at.toISOString().slice(0, 16).replace('T', ' ')),
              h(e.description ?? ENTRY_LABEL[e.kind]),
              h(fmt(e.amount, f.currency)),
              h(fmt(e.balance_after, f.currency)),
            ]),
            'No movements in this period.',
          )}${next}</section>`,
        }),
      );
    },
  );

  app.get(
    '/portal/entries.csv',
    { schema: { hide: true, querystring: RangeQuery } },
    async (request, reply) => {
      const session = await requireSession(request, reply);
      if (!session) return reply;
      const f = await frame(session, 'entries', '');
      const page = await portalEntries(ctx, session, { limit: MAX_CSV }, range(request.query, f.timezone));
      const csv = stringify(
        page.rows.map((e) => [
          e.seq,
          e.created_at.toISOString(),
          e.kind,
          e.amount,
          e.balance_after,
          e.reserved_after,
          e.description ?? '',
        ]),
        {
          header: true,
          columns: ['seq', 'created', 'type', 'amount', 'balance', 'reserved', 'description'],
        },
      );
      return secure(reply)
        .type('text/csv; charset=utf-8')
        .header('content-disposition', 'attachment; filename="balance.csv"')
        .send(csv);
    },
  );
}
