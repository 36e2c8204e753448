// The customer portal, /portal: a customer's own people sign in with a one-time link sent by email and see
// the balance and its entries, invoices (PDF), calls (search, CSV), payment requests; top up by card on the
// payment page; manage alert thresholds and who may sign in. Server-rendered HTML, no JavaScript.
//
// Security: sessions are kept in the database (only a hash of the cookie's token), the cookie is HttpOnly,
// SameSite=Lax, Path=/portal (Secure on HTTPS); every POST carries the session's CSRF token (a form field,
// compared in constant time) and, when the browser sends one, an Origin of this server; a strict CSP
// (nonce for the one inline style, no script, forms to this server only), no framing, no caching, no
// Referer. Every read is scoped to the session's account and customer.
import fastifyCookie from '@fastify/cookie';
import { stringify } from 'csv-stringify/sync';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import type { z } from 'zod';
import type { Ctx } from '../../context.ts';
import type { AlertKind } from '../../alerts/repo.ts';
import type { PortalSessionRow } from '../../portal/repo.ts';
import {
  portalAddAlert,
  portalAddContact,
  portalAlerts,
  portalBalance,
  portalCalls,
  portalHeader,
  portalContacts,
  portalEntries,
  portalInvoicePdf,
  portalInvoices,
  portalPaymentRequests,
  portalRemoveAlert,
  portalRemoveContact,
  portalTopUp,
  portalSetAutoTopUp,
} from '../../portal/customer-data.ts';
import { requestSignIn, sessionOf, SESSION_HOURS, signInWithLink, signOut } from '../../portal/sign-in.ts';
import { addDays, isIsoDate, startOfDayInZone } from '../../shared/dates.ts';
import { DomainError } from '../../shared/errors.ts';
import {
  currencyMinorDigits,
  formatAmount,
  formatAmountAtLeast,
  money as toMoney,
} from '../../money/money.ts';
import { roundForDisplay } from '../../money/rounding.ts';
import { classifyError } from '../errors.ts';
import { publicBaseUrl } from '../public-url.ts';
import { addFormParser, sameToken, secure, sendHtml } from '../kit/page.ts';
import type { ZodApp } from '../kit/app-type.ts';
import {
  csrfFieldOf,
  formBody,
  formField,
  idParams,
  messagesQuery,
  namedForm,
  pageQuery,
  pathParams,
  tokenParams,
} from '../kit/form.ts';
import { csrfField, errorBox, h, layout, money, table, type PortalPage } from './html.ts';

export const PORTAL_PREFIX = '/portal';
const COOKIE = 'rb_portal';
const FORM_LIMIT = 8 * 1024;
const ENTRIES_PAGE = 50;
const CALLS_PAGE = 50;
const MAX_CSV = 100_000;

declare module 'fastify' {
  interface FastifyRequest {
    portalSession?: PortalSessionRow;
  }
}

function sendPage(reply: FastifyReply, status: number, render: (nonce: string) => string): FastifyReply {
  return sendHtml(reply, status, render);
}

function fmt(value: string, currency: string): string {
  return money(formatAmountAtLeast(toMoney(value).toFixed(), currencyMinorDigits(currency)), currency);
}

const ENTRY_LABEL: Record<string, string> = {
  opening: 'Opening',
  top_up: 'Top-up',
  call: 'Call',
  call_correction: 'Call re-rated',
  reservation: 'Held for a call',
  release: 'Released',
  adjustment: 'Adjustment',
  refund: 'Refund',
  invoice_settlement: 'Statement',
  payment: 'Payment',
};

/** Any error on the portal is a page (a malformed URL included). */
export function portalErrorHandler(
  error: unknown,
  request: FastifyRequest,
  reply: FastifyReply,
): FastifyReply {
  const classified = classifyError(error, request);
  if (!classified) {
    request.log.error({ err: error }, 'unexpected error on the portal');
    return sendPage(reply, 500, (nonce) =>
      layout({
        title: 'Something went wrong',
        nonce,
        body: '<h1>Something went wrong</h1><div class="card"><p>Please try again in a moment.</p></div>',
      }),
    );
  }
  const code = classified.error.code;
  const status =
    classified.status ??
    (code === 'not_found' || code === 'route_not_found'
      ? 404
      : code === 'forbidden'
        ? 403
        : code === 'conflict'
          ? 409
          : 400);
  const title = status === 404 ? 'Page not found' : 'This request could not be handled';
  return sendPage(reply, status, (nonce) =>
    layout({
      title,
      nonce,
      body: `<h1>${title}</h1><div class="card"><p>${h(classified.error.message)}</p><a class="button" href="/portal">Back</a></div>`,
    }),
  );
}

export function portalRoutes(ctx: Ctx, options: { publicUrl?: string | undefined } = {}) {
  return async function portal(plain: FastifyInstance): Promise<void> {
    const app: ZodApp = plain.withTypeProvider<ZodTypeProvider>();
    await app.register(fastifyCookie);
    addFormParser(app, FORM_LIMIT);

    app.setErrorHandler(portalErrorHandler);
    // Every route takes at most a form's worth of body, whatever the content type.
    app.addHook('onRoute', (route) => {
      route.bodyLimit ??= FORM_LIMIT;
    });

    /** The signed-in session, or a redirect to the sign-in page. POSTs must carry its CSRF token. */
    const requireSession = async (
      request: FastifyRequest,
      reply: FastifyReply,
    ): Promise<PortalSessionRow | undefined> => {
      const session = await sessionOf(ctx, request.cookies[COOKIE]);
      if (!session) {
        void secure(reply).redirect('/portal/sign-in', 303);
        return undefined;
      }
      if (request.method === 'POST') {
        const origin = request.headers.origin;
        const sent = csrfFieldOf(request.body);
        const host = publicBaseUrl(request, options.publicUrl);
        // With Referrer-Policy: no-referrer, browsers send Origin: null on form posts; the token still decides.
        if (
          (origin !== undefined && origin !== 'null' && origin !== host) ||
          !sameToken(sent, session.csrf_token)
        ) {
          throw new DomainError(
            'forbidden',
            'this form has expired or did not come from this site: go back, reload the page and try again',
          );
        }
      }
      return session;
    };

    const frame = async (session: PortalSessionRow, page: PortalPage, title: string) => {
      const header = await portalHeader(ctx, session);
      return { title, ...header, csrf: session.csrf_token, page };
    };

    // ---- signing in

    app.get('/portal/sign-in', { schema: { hide: true } }, async (_request, reply) =>
      sendPage(reply, 200, (nonce) =>
        layout({
          title: 'Sign in',
          nonce,
          body: `<h1>Sign in to your account</h1><section class="card"><p>Enter your email address. We will email you a link that signs you in; no password needed.</p>
<form method="post" action="/portal/sign-in"><label for="email">Email address</label><input id="email" name="email" type="email" autocomplete="email" required maxlength="254"><button type="submit">Email me a sign-in link</button></form></section>`,
        }),
      ),
    );

    app.post(
      '/portal/sign-in',
      { schema: { hide: true, body: namedForm({ email: formField }) } },
      async (request, reply) => {
        const email = String(request.body.email ?? '').slice(0, 254);
        try {
          await requestSignIn(ctx, email, publicBaseUrl(request, options.publicUrl));
        } catch (error) {
          if (!(error instanceof DomainError)) throw error;
        }
        // The same answer whether or not the address is known.
        return sendPage(reply, 200, (nonce) =>
          layout({
            title: 'Check your email',
            nonce,
            body: `<h1>Check your email</h1><div class="alert ok" role="status">If ${h(email)} may sign in, a link is on its way. It works once, for 15 minutes.</div><a class="button" href="/portal/sign-in">Send another link</a>`,
          }),
        );
      },
    );

    // The link's GET only shows a button: mail scanners that open links do not use them up.
    app.get(
      '/portal/sign-in/:token',
      { schema: { hide: true, params: tokenParams } },
      async (request, reply) =>
        sendPage(reply, 200, (nonce) =>
          layout({
            title: 'Sign in',
            nonce,
            body: `<h1>Sign in</h1><section class="card"><form method="post" action="/portal/sign-in/${encodeURIComponent(request.params.token)}"><button type="submit">Sign in to your account</button></form></section>`,
          }),
        ),
    );

    app.post(
      '/portal/sign-in/:token',
      { schema: { hide: true, params: tokenParams } },
      async (request, reply) => {
        const started = await signInWithLink(ctx, request.params.token);
        if (!started) {
          return sendPage(reply, 410, (nonce) =>
            layout({
              title: 'This link cannot be used',
              nonce,
              body: '<h1>This sign-in link cannot be used</h1><div class="card"><p>It has been used already or has expired. Ask for a new one.</p><a class="button" href="/portal/sign-in">Sign in</a></div>',
            }),
          );
        }
        void reply.setCookie(COOKIE, started.token, {
          path: '/portal',
          httpOnly: true,
          sameSite: 'lax',
          secure: request.protocol === 'https',
          maxAge: SESSION_HOURS * 3600,
        });
        return secure(reply).redirect('/portal', 303);
      },
    );

    app.post('/portal/sign-out', { schema: { hide: true } }, async (request, reply) => {
      const session = await requireSession(request, reply);
      if (!session) return reply;
      await signOut(ctx, session);
      void reply.clearCookie(COOKIE, { path: '/portal' });
      return secure(reply).redirect('/portal/sign-in', 303);
    });

    // ---- pages

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
          const url = await portalTopUp(ctx, session, amount, publicBaseUrl(request, options.publicUrl));
          return secure(reply).redirect(new URL(url).pathname, 303);
        } catch (error) {
          if (!(error instanceof DomainError)) throw error;
          return secure(reply).redirect(`/portal?error=${encodeURIComponent(error.message)}#top-up`, 303);
        }
      },
    );

    const RangeQuery = pageQuery({ from: formField, to: formField });
    const range = (q: { from?: string | undefined; to?: string | undefined }, timezone: string) => ({
      from: q.from && isIsoDate(q.from) ? startOfDayInZone(q.from, timezone) : undefined,
      to: q.to && isIsoDate(q.to) ? startOfDayInZone(addDays(q.to, 1), timezone) : undefined,
    });

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

    const CallsQuery = RangeQuery.extend({ number: formField, before: formField });
    const callRows = async (
      session: PortalSessionRow,
      q: z.output<typeof CallsQuery>,
      timezone: string,
      limit: number,
    ) =>
      portalCalls(ctx, session, {
        number: q.number?.slice(0, 20),
        ...range(q, timezone),
        after: /^\d{1,15}$/.test(q.before ?? '') ? Number(q.before) : undefined,
        limit,
      });

    app.get('/portal/calls', { schema: { hide: true, querystring: CallsQuery } }, async (request, reply) => {
      const session = await requireSession(request, reply);
      if (!session) return reply;
      const f = await frame(session, 'calls', 'Calls');
      const q = request.query;
      const rows = await callRows(session, q, f.timezone, CALLS_PAGE);
      const more = rows.length > CALLS_PAGE;
      const shown = rows.slice(0, CALLS_PAGE);
      const query = new URLSearchParams(
        Object.entries({ number: q.number ?? '', from: q.from ?? '', to: q.to ?? '' }).filter(
          ([, v]) => v !== '',
        ),
      );
      return sendPage(reply, 200, (nonce) =>
        layout({
          ...f,
          nonce,
          body: `<h1>Calls</h1>
<section class="card"><form method="get" action="/portal/calls"><label for="number">Number contains</label><input id="number" name="number" inputmode="tel" value="${h(q.number)}" maxlength="20">
<div class="row"><div><label for="cfrom">From</label><input id="cfrom" name="from" type="date" value="${h(q.from)}"></div><div><label for="cto">To</label><input id="cto" name="to" type="date" value="${h(q.to)}"></div></div><button type="submit">Search</button></form>
<a class="button" href="/portal/calls.csv?${h(query.toString())}">Download CSV</a></section>
<section class="card">${table(
            'Calls, newest first',
            [
              { title: 'Start' },
              { title: 'Number' },
              { title: 'Destination' },
              { title: 'Seconds', amount: true },
              { title: 'Charge', amount: true },
            ],
            shown.map((c) => [
              h(c.start_time.toISOString().slice(0, 16).replace('T', ' ')),
              h(c.direction === 'outbound' ? c.to_number : c.from_number),
              h(c.destination ?? c.status),
              h(c.duration_s),
              h(c.charge === null ? '' : fmt(c.charge, f.currency)),
            ]),
            'No calls found.',
          )}${more ? `<a class="button" href="/portal/calls?${h(new URLSearchParams([...query, ['before', String(shown.at(-1)!.id)]]).toString())}">Older calls</a>` : ''}</section>`,
        }),
      );
    });

    app.get(
      '/portal/calls.csv',
      { schema: { hide: true, querystring: CallsQuery } },
      async (request, reply) => {
        const session = await requireSession(request, reply);
        if (!session) return reply;
        const f = await frame(session, 'calls', '');
        const rows = (await callRows(session, request.query, f.timezone, MAX_CSV)).slice(0, MAX_CSV);
        const csv = stringify(
          rows.map((c) => [
            c.id,
            c.start_time.toISOString(),
            c.from_number,
            c.to_number,
            c.direction,
            c.duration_s,
            c.status,
            c.destination ?? '',
            c.charge ?? '',
          ]),
          {
            header: true,
            columns: [
              'id',
              'start',
              'from',
              'to',
              'direction',
              'duration_s',
              'status',
              'destination',
              'charge',
            ],
          },
        );
        return secure(reply)
          .type('text/csv; charset=utf-8')
          .header('content-disposition', 'attachment; filename="calls.csv"')
          .send(csv);
      },
    );

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

    app.get(
      '/portal/settings',
      { schema: { hide: true, querystring: messagesQuery } },
      async (request, reply) => {
        const session = await requireSession(request, reply);
        if (!session) return reply;
        const f = await frame(session, 'settings', 'Alerts and contacts');
        const alerts = await portalAlerts(ctx, session);
        const contacts = await portalContacts(ctx, session);
        const balance = await portalBalance(ctx, session);
        const q = request.query;
        const ALERT_LABEL: Record<string, string> = {
          low_balance: 'Available balance below',
          spend_daily: 'Spend in a day reaches',
          spend_monthly: 'Spend in a month reaches',
          credit_used: 'Credit used reaches (%)',
        };
        return sendPage(reply, 200, (nonce) =>
          layout({
            ...f,
            nonce,
            body: `<h1>Alerts and contacts</h1>${errorBox(q.error)}
<section class="card"><h2>Alerts</h2><p class="muted">We email you when one is reached (once each time).</p>${table(
              'Your alerts',
              [{ title: 'When' }, { title: 'Threshold', amount: true }, { title: '' }],
              alerts.map((a) => [
                h(ALERT_LABEL[a.kind]),
                h(
                  a.kind === 'credit_used'
                    ? `${toMoney(a.threshold).toFixed()}%`
                    : fmt(a.threshold, f.currency),
                ),
                `<form method="post" action="/portal/alerts/${a.id}/delete">${csrfField(f.csrf)}<button type="submit" class="link">Remove<span class="muted"> alert ${a.id}</span></button></form>`,
              ]),
              'No alerts yet.',
            )}
<form method="post" action="/portal/alerts">${csrfField(f.csrf)}<label for="type">Alert me when</label><select id="type" name="type">${Object.entries(
              ALERT_LABEL,
            )
              .map(([k, v]) => `<option value="${k}">${h(v)}</option>`)
              .join('')}</select>
<label for="threshold">Threshold</label><input id="threshold" name="threshold" inputmode="decimal" required maxlength="12" placeholder="5.00"><button type="submit">Add alert</button></form></section>
${balance.customer.billing_mode === 'prepaid' ? autoTopUpSection(balance, f.csrf, f.currency) : ''}
<section class="card"><h2>Who may sign in</h2>${table(
              'Contacts who may sign in',
              [{ title: 'Email' }, { title: '' }],
              contacts.map((c) => [
                h(c.email),
                `<form method="post" action="/portal/contacts/${c.id}/delete">${csrfField(f.csrf)}<button type="submit" class="link">Remove<span class="muted"> ${h(c.email)}</span></button></form>`,
              ]),
              'Only the addresses on your account may sign in.',
            )}
<form method="post" action="/portal/contacts">${csrfField(f.csrf)}<label for="email">Add an email address</label><input id="email" name="email" type="email" required maxlength="254"><button type="submit">Add</button></form></section>`,
          }),
        );
      },
    );

    /** The automatic top-up: the card saved when paying a top-up, the threshold and the amount. */
    const autoTopUpSection = (
      b: Awaited<ReturnType<typeof portalBalance>>,
      csrf: string,
      currency: string,
    ) => {
      const row = b.row;
      const last4 = row?.auto_top_up_card_last4 ?? null;
      const card = row?.auto_top_up_card_token
        ? `<p data-field="autoTopUpCard">Your saved card${last4 ? ` ending ${h(last4)}` : ''} is charged when your balance falls below the threshold.</p>`
        : `<p data-field="autoTopUpCard">No card saved yet: <a href="/portal#top-up">top up by card</a> and tick “Save this card for automatic top-ups”.</p>`;
      const value = (v: string | null | undefined) =>
        v == null ? '' : h(formatAmount(roundForDisplay(toMoney(v), 2), 2));
      return `<section class="card" id="auto-top-up"><h2>Automatic top-up</h2>${card}
<form method="post" action="/portal/auto-top-up">${csrfField(csrf)}<label for="auto-threshold">When my balance falls below (${h(currency)})</label><input id="auto-threshold" name="threshold" inputmode="decimal" required maxlength="12" placeholder="5.00" value="${value(row?.auto_top_up_threshold)}">
<label for="auto-amount">Top up by (${h(currency)})</label><input id="auto-amount" name="amount" inputmode="decimal" required maxlength="12" placeholder="20.00" value="${value(row?.auto_top_up_amount)}">
<label class="choice"><input type="checkbox" name="enabled" value="true"${row?.auto_top_up_enabled ? ' checked' : ''}> Top up automatically</label><button type="submit">Save</button></form></section>`;
    };

    const settingsAction = (
      path: string,
      act: (
        session: PortalSessionRow,
        body: Record<string, string>,
        params: Record<string, string>,
      ) => Promise<unknown>,
    ) =>
      app.post(
        path,
        { schema: { hide: true, params: pathParams, body: formBody } },
        async (request, reply) => {
          const session = await requireSession(request, reply);
          if (!session) return reply;
          try {
            await act(session, request.body, request.params);
          } catch (error) {
            if (!(error instanceof DomainError) || error.code === 'not_found') throw error;
            return secure(reply).redirect(`/portal/settings?error=${encodeURIComponent(error.message)}`, 303);
          }
          return secure(reply).redirect('/portal/settings', 303);
        },
      );
    const idOf = (v: string | undefined) => (/^\d{1,15}$/.test(v ?? '') ? Number(v) : 0);
    settingsAction('/portal/alerts', (s, b) =>
      portalAddAlert(ctx, s, {
        type: String(b.type ?? '') as AlertKind,
        threshold: String(b.threshold ?? '').trim(),
        channels: ['email'],
      }),
    );
    settingsAction('/portal/alerts/:id/delete', (s, _b, p) => portalRemoveAlert(ctx, s, idOf(p.id)));
    settingsAction('/portal/contacts', (s, b) => portalAddContact(ctx, s, String(b.email ?? '')));
    settingsAction('/portal/contacts/:id/delete', (s, _b, p) => portalRemoveContact(ctx, s, idOf(p.id)));
    settingsAction('/portal/auto-top-up', (s, b) =>
      portalSetAutoTopUp(ctx, s, {
        enabled: b.enabled === 'true' || b.enabled === 'on',
        threshold: String(b.threshold ?? '').trim(),
        amount: String(b.amount ?? '').trim(),
      }),
    );
  };
}
