// The hosted payment page, /pay/{token}: HTML for people (a phone first), JSON for programs (send
// `Accept: application/json` or a JSON body). No API key: the unguessable token is the credential, so every
// answer is `no-store`, sends no Referer, and cannot be framed; the CSP allows only this response's own inline
// style and script (by nonce) and form posts to this server.
//
//   GET  /pay/{token}                    the page (a GET of a live link counts a visit; 404 unknown, 410 expired or withdrawn)
//   POST /pay/{token}/payments           pay in full, pay part, or pay an instalment (form or JSON)
//   GET  /pay/{token}/payments/{id}      the confirmation of a payment made through this link
//   GET  /pay/{token}/plan?frequency=&instalments=   the schedule of a plan before confirming
//   POST /pay/{token}/plans              start the plan: the first instalment is charged now (form or JSON)
import fastifyRateLimit from '@fastify/rate-limit';
import { randomBytes } from 'node:crypto';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Ctx } from '../../context.ts';
import { topUpOfRequest } from '../../balances/save-top-up-card.ts';
import { findPayableRequest, type PayableRequest } from '../../payments/find-payable-request.ts';
import { instalmentSchedule, type PlanFrequency } from '../../collections/instalment-schedule.ts';
import { recordVisit } from '../../collections/record-visit.ts';
import { createPlan, planTermsOf } from '../../payments/create-plan.ts';
import { payOnPage, replayPageForm, type FormReplay } from '../../payments/pay-on-page.ts';
import { FORM_TOKEN_PATTERN } from '../../payments/card-attempt.ts';
import { paymentFigures, receiptNumberOf } from '../../payments/payment-money.ts';
import { paymentsWithRefunds } from '../../payments/list-payments.ts';
import { findRequestPayment } from '../../payments/plans-repo.ts';
import { dateInZone } from '../../shared/dates.ts';
import { DomainError, invalid } from '../../shared/errors.ts';
import { currencyMinorDigits, formatAmount, money } from '../../money/money.ts';
import { classifyError } from '../errors.ts';
import { secure } from '../kit/page.ts';
import {
  confirmationPage,
  messagePage,
  paidLinkPage,
  payPage,
  planPreviewPage,
  type FormState,
  type PageView,
} from './html.ts';
import {
  cardInput,
  declineMessage,
  pageView,
  paidForText,
  paidLinkPayments,
  PaymentBody,
  PlanBody,
  PlanChoice,
  timeInZone,
  wholeNumber,
} from './view.ts';

export interface PayPageOptions {
  /** Card posts per minute from one IP address (all links together). */
  postsPerMinutePerIp?: number;
}

export const PAY_PAGE_PREFIX = '/pay';
/** The largest body a payment page route takes (a card form, or its JSON). */
const FORM_BODY_LIMIT = 16 * 1024;
/** Payments a paid link's page lists (a link is paid by a few payments, a plan's by its instalments). */
const MAX_PAYMENTS_SHOWN = 200;

function csp(nonce: string): string {
  return [
    "default-src 'none'",
    `style-src 'nonce-${nonce}'`,
    `script-src 'nonce-${nonce}'`,
    "img-src 'self' data:",
    "form-action 'self'",
    "base-uri 'none'",
    "frame-ancestors 'none'",
  ].join('; ');
}

function sendHtml(reply: FastifyReply, status: number, render: (nonce: string) => string): FastifyReply {
  const nonce = randomBytes(16).toString('base64');
  return secure(reply)
    .status(status)
    .header('content-security-policy', csp(nonce))
    .type('text/html; charset=utf-8')
    .send(render(nonce));
}

function wantsJson(request: FastifyRequest): boolean {
  if ((request.headers['content-type'] ?? '').toLowerCase().startsWith('application/json')) return true;
  const accept = (request.headers.accept ?? '').toLowerCase();
  return accept.includes('application/json') && !accept.includes('text/html');
}

const STATUS: Partial<Record<DomainError['code'], number>> = {
  invalid_input: 400,
  malformed_request: 400,
  missing_parameter: 400,
  not_found: 404,
  route_not_found: 404,
  conflict: 409,
  rate_limited: 429,
};

function statusOf(error: DomainError, override?: number): number {
  return override ?? STATUS[error.code] ?? 400;
}

function jsonError(reply: FastifyReply, status: number, error: DomainError): FastifyReply {
  return secure(reply)
    .status(status)
    .send({
      error: { code: error.code, message: error.message, ...(error.field ? { field: error.field } : {}) },
    });
}

const PAGES = {
  unknown: {
    status: 404,
    title: 'Payment link not found',
    text: 'Check the address, or ask the sender for a new link.',
  },
  expired: {
    status: 410,
    title: 'This payment link has expired',
    text: 'Ask the sender for a new link to pay.',
  },
  cancelled: {
    status: 410,
    title: 'This payment link has been withdrawn',
    text: 'It can no longer be used. Ask the sender if you still need to pay.',
  },
  paid: { status: 200, title: 'Paid in full: thank you', text: 'There is nothing left to pay on this link.' },
} as const;

type LinkState = keyof typeof PAGES | 'open';

function linkState(found: PayableRequest | undefined): LinkState {
  if (!found) return 'unknown';
  if (found.request.cancelled_at !== null) return 'cancelled';
  if (!money(found.states.outstanding).greaterThan(0)) return 'paid';
  // A plan outlives the link's expiry: its instalments are paid through the same link.
  if (found.states.expired && !found.plan) return 'expired';
  return 'open';
}

/** Answers for a link that is not open. A payment or plan posted to a paid link is refused (409), never charged. */
function sendState(
  request: FastifyRequest,
  reply: FastifyReply,
  state: Exclude<LinkState, 'open'>,
  found: PayableRequest | undefined,
  now: Date,
) {
  const p = PAGES[state];
  if (state === 'paid' && request.method === 'POST') {
    const refused = new DomainError('conflict', 'nothing is left to pay on this link: it is paid in full');
    if (wantsJson(request)) return jsonError(reply, 409, refused);
    return sendHtml(reply, 409, (nonce) =>
      messagePage({ title: p.title, text: p.text, nonce, merchant: found?.account.name }),
    );
  }
  if (wantsJson(request)) {
    if (state === 'paid' && found) return secure(reply).status(200).send(jsonView(found, now));
    const code = state === 'unknown' ? 'not_found' : 'conflict';
    return jsonError(reply, p.status, new DomainError(code, p.title));
  }
  return sendHtml(reply, p.status, (nonce) =>
    messagePage({ title: p.title, text: p.text, nonce, merchant: found?.account.name }),
  );
}

function jsonView(found: PayableRequest, now: Date) {
  const view = pageView(found, now);
  return {
    merchant: view.merchant,
    currency: view.currency,
    invoice: view.invoice,
    description: view.description,
    amount: view.requested,
    paid: view.paid,
    outstanding: view.outstanding,
    overallStatus: found.states.overallStatus,
    invoiceStatus: found.states.invoiceStatus,
    allowPartial: view.allowPartial,
    instalmentEnabled: view.planOffer !== null || view.activePlan !== null,
    planOffer: view.planOffer,
    plan: view.activePlan,
    expiresOn: view.expiresOn,
  };
}

/** Any error on the payment page: JSON for programs, a page for people (a malformed URL included). */
export function payPageErrorHandler(
  error: unknown,
  request: FastifyRequest,
  reply: FastifyReply,
): FastifyReply {
  const classified = classifyError(error, request);
  if (!classified) {
    request.log.error({ err: error }, 'unexpected error on the payment page');
    if (wantsJson(request))
      return secure(reply)
        .status(500)
        .send({ error: { code: 'internal_error', message: 'internal error' } });
    return sendHtml(reply, 500, (nonce) =>
      messagePage({
        title: 'Something went wrong',
        text: 'Nothing was charged twice. Please try again in a moment.',
        nonce,
      }),
    );
  }
  const status = statusOf(classified.error, classified.status);
  if (wantsJson(request)) return jsonError(reply, status, classified.error);
  const title =
    status === 429
      ? 'Too many attempts'
      : status === 404
        ? 'Page not found'
        : 'This request could not be handled';
  return sendHtml(reply, status, (nonce) => messagePage({ title, text: classified.error.message, nonce }));
}

function firstMessage(error: unknown): DomainError {
  const classified = classifyError(error);
  if (classified) return classified.error;
  throw error;
}

export function payPageRoutes(ctx: Ctx, options: PayPageOptions = {}) {
  return async function payPageRoutesPlugin(app: FastifyInstance): Promise<void> {
    // Forms post as application/x-www-form-urlencoded; repeated fields keep the last value.
    app.addContentTypeParser(
      'application/x-www-form-urlencoded',
      { parseAs: 'string', bodyLimit: FORM_BODY_LIMIT },
      (_request, body, done) => {
        done(
          null,
          Object.fromEntries(new URLSearchParams(typeof body === 'string' ? body : body.toString('utf8'))),
        );
      },
    );
    await app.register(fastifyRateLimit, {
      global: false,
      max: options.postsPerMinutePerIp ?? 30,
      timeWindow: 60_000,
      errorResponseBuilder: () =>
        new DomainError(
          'rate_limited',
          'Too many payment attempts from this address. Wait a minute and try again.',
        ),
    });

    app.setErrorHandler(payPageErrorHandler);
    // Every route takes a small body (a form or its JSON): the limit is the route's, whatever the content type.
    app.addHook('onRoute', (route) => {
      route.bodyLimit ??= FORM_BODY_LIMIT;
    });

    /** Renders the page again with what went wrong (HTML), or the error (JSON). */
    const again = async (
      request: FastifyRequest,
      reply: FastifyReply,
      token: string,
      status: number,
      error: DomainError,
      form: FormState,
    ) => {
      if (wantsJson(request)) return jsonError(reply, status, error);
      const found = await findPayableRequest(ctx, token);
      const state = linkState(found);
      if (state !== 'open') return sendState(request, reply, state, found, ctx.now());
      const view = { ...pageView(found!, ctx.now()), offersAutoTopUpCard: await isTopUpLink(found!) };
      return sendHtml(reply, status, (nonce) => payPage(view, nonce, form));
    };

    /** A top-up's link offers to keep the card for automatic top-ups. */
    const isTopUpLink = async (found: PayableRequest) =>
      (await topUpOfRequest(ctx.db, found.account.id, Number(found.request.id))) !== undefined;

    app.get<{ Params: { token: string } }>(
      '/pay/:token',
      { schema: { hide: true } },
      async (request, reply) => {
        const { token } = request.params;
        const found = await findPayableRequest(ctx, token);
        const state = linkState(found);
        // A visit is a person opening a live link: not a HEAD (Fastify answers it with this handler), nor an
        // expired or withdrawn link (410).
        if (request.method === 'GET' && (state === 'open' || state === 'paid')) await recordVisit(ctx, token);
        if (state === 'paid') {
          // What was paid, for what, when, and each payment's receipt number.
          const payments = paidLinkPayments(
            found!,
            await paymentsWithRefunds(
              ctx,
              found!.account.id,
              { requestId: Number(found!.request.id) },
              MAX_PAYMENTS_SHOWN,
            ),
          );
          if (wantsJson(request))
            return secure(reply)
              .status(200)
              .send({ ...jsonView(found!, ctx.now()), payments });
          return sendHtml(reply, 200, (nonce) =>
            paidLinkPage(
              { merchant: found!.account.name, currency: found!.account.currency },
              nonce,
              payments,
            ),
          );
        }
        if (state !== 'open') return sendState(request, reply, state, found, ctx.now());
        if (wantsJson(request)) return secure(reply).send(jsonView(found!, ctx.now()));
        const view = { ...pageView(found!, ctx.now()), offersAutoTopUpCard: await isTopUpLink(found!) };
        return sendHtml(reply, 200, (nonce) => payPage(view, nonce));
      },
    );

    /**
     * A form sent again (its hidden formToken was used before): the first submission's result, never a new
     * charge. Undefined when the form is new. Asked before the link's state: a form that paid the link in
     * full and is sent again still answers its payment.
     */
    const replayed = async (
      request: FastifyRequest,
      reply: FastifyReply,
      token: string,
      kind: 'payment' | 'plan',
    ) => {
      const formToken = formTokenOf(request.body);
      if (formToken === undefined) return undefined;
      let replay: FormReplay | undefined;
      try {
        replay = await replayPageForm(ctx, token, formToken);
      } catch (error) {
        const e = firstMessage(error);
        return again(request, reply, token, statusOf(e), e, { error: e.message });
      }
      if (!replay) return undefined;
      if (replay.outcome === 'declined') {
        const message = declineMessage(replay.reason);
        if (wantsJson(request))
          return secure(reply).status(402).send({
            outcome: 'declined',
            reason: replay.reason,
            message,
            attemptId: replay.attemptId,
            amount: replay.amount,
            replayed: true,
          });
        return again(request, reply, token, 402, new DomainError('action_failed', message), {
          error: message,
        });
      }
      if (wantsJson(request)) {
        const found = await findPayableRequest(ctx, token);
        const outstanding = found
          ? formatAmount(money(found.states.outstanding), currencyMinorDigits(found.account.currency))
          : null;
        const body =
          kind === 'plan'
            ? {
                outcome: 'created',
                planId: replay.planId,
                paymentId: replay.paymentId,
                outstanding,
                replayed: true,
              }
            : {
                outcome: 'approved',
                attemptId: replay.attemptId,
                paymentId: replay.paymentId,
                amount: replay.amount,
                outstanding,
                replayed: true,
              };
        return secure(reply).status(201).send(body);
      }
      return secure(reply).redirect(
        replay.paymentId !== null ? `/pay/${token}/payments/${replay.paymentId}` : `/pay/${token}`,
        303,
      );
    };

    app.post<{ Params: { token: string } }>(
      '/pay/:token/payments',
      { schema: { hide: true }, config: { rateLimit: {} } },
      async (request, reply) => {
        const { token } = request.params;
        const first = await replayed(request, reply, token, 'payment');
        if (first) return first;
        const found = await findPayableRequest(ctx, token);
        const state = linkState(found);
        if (state !== 'open') return sendState(request, reply, state, found, ctx.now());
        const parsed = PaymentBody.safeParse(request.body ?? {});
        if (!parsed.success) {
          const issue = parsed.error.issues[0]!;
          const field = issue.path.join('.') || 'body';
          return again(request, reply, token, 400, invalid(field, issue.message), {});
        }
        const body = parsed.data;
        const form: FormState = { option: body.option, amount: body.amount, cardName: body.cardName };
        try {
          const card = cardInput(body);
          const instalment =
            body.instalment === undefined ? undefined : wholeNumber(body.instalment, 'instalment');
          let amount: string | undefined;
          if (instalment === undefined) {
            const digits = currencyMinorDigits(found!.account.currency);
            const part =
              body.option === 'part' ||
              (body.option === undefined && body.amount !== undefined && body.amount.trim() !== '');
            amount = part
              ? (body.amount ?? '').trim().replace(/^[^\d]+/, '')
              : formatAmount(money(found!.states.outstanding), digits);
            if (part && amount === '') throw invalid('amount', 'enter the amount to pay');
          }
          const saveCard = body.saveCard === true || body.saveCard === 'true' || body.saveCard === 'on';
          const result = await payOnPage(ctx, {
            token,
            card,
            amount,
            instalment,
            formToken: body.formToken,
            saveCard,
          });
          if (result.outcome === 'declined') {
            const message = declineMessage(result.reason);
            if (wantsJson(request)) {
              return secure(reply).status(402).send({
                outcome: 'declined',
                reason: result.reason,
                message,
                attemptId: result.attemptId,
                amount: result.amount,
              });
            }
            return again(request, reply, token, 402, new DomainError('action_failed', message), {
              ...form,
              error: message,
            });
          }
          if (wantsJson(request)) {
            return secure(reply).status(201).send({
              outcome: 'approved',
              attemptId: result.attemptId,
              paymentId: result.paymentId,
              amount: result.amount,
              outstanding: result.outstanding,
              cardSaved: result.cardSaved,
            });
          }
          return secure(reply).redirect(
            result.paymentId !== null ? `/pay/${token}/payments/${result.paymentId}` : `/pay/${token}`,
            303,
          );
        } catch (error) {
          const e = firstMessage(error);
          return again(request, reply, token, statusOf(e), e, {
            ...form,
            error: e.message.replace(/^[a-zA-Z]+: /, ''),
          });
        }
      },
    );

    app.get<{ Params: { token: string; paymentId: string } }>(
      '/pay/:token/payments/:paymentId',
      { schema: { hide: true } },
      async (request, reply) => {
        const { token } = request.params;
        const found = await findPayableRequest(ctx, token);
        const paymentId = /^\d{1,15}$/.test(request.params.paymentId)
          ? Number(request.params.paymentId)
          : undefined;
        const payment =
          found && paymentId !== undefined
            ? await findRequestPayment(ctx.db, found.account.id, Number(found.request.id), paymentId)
            : undefined;
        if (!found || !payment) return sendState(request, reply, 'unknown', found, ctx.now());
        const digits = currencyMinorDigits(found.account.currency);
        const fmt = (v: string) => formatAmount(money(v), digits);
        const next = found.plan?.instalments.find((i) => i.status !== 'paid');
        const paid = {
          // What the card was charged: an instalment's plan interest included.
          amount: paymentFigures(payment).charged,
          paidFor: paidForText(found),
          paidAt: timeInZone(payment.paid_at, found.account.timezone),
          receiptNumber: receiptNumberOf(payment),
          reference: payment.gateway_reference ?? payment.reference ?? String(payment.id),
          cardLast4: payment.card_last4,
          outstanding: fmt(found.states.outstanding),
          receiptTo: [found.request.email, found.request.mobile_number].filter((v): v is string =>
            Boolean(v),
          ),
          plan: found.plan
            ? { next: next ? { dueDate: next.due_date, amount: fmt(next.amount) } : null }
            : undefined,
        };
        if (wantsJson(request)) return secure(reply).send({ paymentId: Number(payment.id), ...paid });
        return sendHtml(reply, 200, (nonce) =>
          confirmationPage(
            { merchant: found.account.name, currency: found.account.currency, token },
            nonce,
            paid,
          ),
        );
      },
    );

    app.get<{ Params: { token: string }; Querystring: Record<string, unknown> }>(
      '/pay/:token/plan',
      { schema: { hide: true } },
      async (request, reply) => {
        const { token } = request.params;
        const found = await findPayableRequest(ctx, token);
        const state = linkState(found);
        if (state !== 'open') return sendState(request, reply, state, found, ctx.now());
        try {
          const { frequency, count, schedule } = previewPlan(found!, request.query, ctx.now());
          if (wantsJson(request))
            return secure(reply).send({ frequency, instalmentCount: count, ...schedule });
          return sendHtml(reply, 200, (nonce) =>
            planPreviewPage(pageView(found!, ctx.now()), nonce, { frequency, instalments: count, schedule }),
          );
        } catch (error) {
          const e = firstMessage(error);
          return again(request, reply, token, statusOf(e), e, {
            planError: e.message.replace(/^[a-zA-Z]+: /, ''),
          });
        }
      },
    );

    app.post<{ Params: { token: string } }>(
      '/pay/:token/plans',
      { schema: { hide: true }, config: { rateLimit: {} } },
      async (request, reply) => {
        const { token } = request.params;
        const first = await replayed(request, reply, token, 'plan');
        if (first) return first;
        const found = await findPayableRequest(ctx, token);
        const state = linkState(found);
        if (state !== 'open') return sendState(request, reply, state, found, ctx.now());
        const parsed = PlanBody.safeParse(request.body ?? {});
        if (!parsed.success) {
          const issue = parsed.error.issues[0]!;
          return again(
            request,
            reply,
            token,
            400,
            invalid(issue.path.join('.') || 'body', issue.message),
            {},
          );
        }
        const body = parsed.data;
        const view = pageView(found!, ctx.now());
        let preview: ReturnType<typeof previewPlan> | undefined;
        try {
          preview = previewPlan(
            found!,
            { frequency: body.frequency, instalments: body.instalments },
            ctx.now(),
          );
          const card = cardInput(body);
          const saveCard =
            body.saveCard === undefined
              ? !isFormPost(request)
              : body.saveCard === true || body.saveCard === 'true' || body.saveCard === 'on';
          const result = await createPlan(ctx, {
            token,
            frequency: preview.frequency,
            instalmentCount: preview.count,
            card,
            saveCard,
            formToken: body.formToken,
          });
          if (result.outcome === 'declined') {
            const message = declineMessage(result.reason);
            if (wantsJson(request))
              return secure(reply)
                .status(402)
                .send({ outcome: 'declined', reason: result.reason, message, attemptId: result.attemptId });
            const p = preview;
            return sendHtml(reply, 402, (nonce) =>
              planPreviewPage(
                view,
                nonce,
                { frequency: p.frequency, instalments: p.count, schedule: p.schedule },
                { error: message, cardName: body.cardName },
              ),
            );
          }
          const plan = result.plan;
          if (wantsJson(request)) {
            return secure(reply)
              .status(201)
              .send({
                outcome: 'created',
                planId: Number(plan.plan.id),
                paymentId: result.firstCharge?.paymentId ?? null,
                cardSaved: plan.plan.card_token !== null,
                amount: result.schedule.amount,
                interest: result.schedule.interest,
                total: result.schedule.total,
                instalments: plan.instalments.map((i) => ({
                  seq: i.seq,
                  dueDate: i.due_date,
                  amount: formatAmount(money(i.amount), currencyMinorDigits(plan.plan.currency)),
                  status: i.status,
                })),
                outstanding: result.outstanding,
              });
          }
          const paymentId = result.firstCharge?.paymentId;
          return secure(reply).redirect(
            paymentId ? `/pay/${token}/payments/${paymentId}` : `/pay/${token}`,
            303,
          );
        } catch (error) {
          const e = firstMessage(error);
          if (wantsJson(request) || !preview)
            return again(request, reply, token, statusOf(e), e, {
              planError: e.message.replace(/^[a-zA-Z]+: /, ''),
            });
          const p = preview;
          return sendHtml(reply, statusOf(e), (nonce) =>
            planPreviewPage(
              view,
              nonce,
              { frequency: p.frequency, instalments: p.count, schedule: p.schedule },
              { error: e.message.replace(/^[a-zA-Z]+: /, ''), cardName: body.cardName },
            ),
          );
        }
      },
    );
  };
}

/** The form token of a posted body, when it has a well-formed one (the body's schema reports a bad one). */
function formTokenOf(body: unknown): string | undefined {
  const value =
    body !== null && typeof body === 'object' ? (body as Record<string, unknown>).formToken : undefined;
  return typeof value === 'string' && FORM_TOKEN_PATTERN.test(value) ? value : undefined;
}

function isFormPost(request: FastifyRequest): boolean {
  return (request.headers['content-type'] ?? '')
    .toLowerCase()
    .startsWith('application/x-www-form-urlencoded');
}

/** The schedule the payer would get for a frequency and a number of instalments, starting today. */
function previewPlan(
  found: PayableRequest,
  query: unknown,
  now: Date,
): { frequency: PlanFrequency; count: number; schedule: ReturnType<typeof instalmentSchedule> } {
  const terms = planTermsOf(found.request);
  if (!terms || found.plan)
    throw new DomainError('conflict', 'instalment plans are not offered on this link');
  const parsed = PlanChoice.safeParse(query);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw invalid(issue.path.join('.') || 'query', issue.message);
  }
  const frequency = parsed.data.frequency;
  if (!terms.frequencies.includes(frequency))
    throw invalid('frequency', `choose ${terms.frequencies.join(', ')}`);
  const count = wholeNumber(parsed.data.instalments, 'instalments');
  if (count < 2) throw invalid('instalments', 'a plan has at least 2 instalments');
  const digits = currencyMinorDigits(found.account.currency);
  const schedule = instalmentSchedule(
    {
      amount: formatAmount(money(found.states.outstanding), digits),
      frequency,
      startDate: dateInZone(now, found.account.timezone),
      rate: terms.rate,
      maxTerm: terms.maxTerm,
      maxTermPeriod: terms.maxTermPeriod,
      minorDigits: digits,
    },
    { instalmentCount: count },
  );
  return { frequency, count, schedule };
}

export type { PageView };
