// Prepaid balances: GET /customers/{id}/balance, its ledger entries (JSON pages or CSV), top-ups (manual, or
// paid by link through the payment page), adjustments and the automatic top-up.
import { stringify } from 'csv-stringify/sync';
import { z } from 'zod';
import { KeyLevel } from '../../../api-keys/levels.ts';
import { adjustBalance } from '../../../balances/adjust.ts';
import { getBalance } from '../../../balances/get-balance.ts';
import { getStatement } from '../../../balances/get-statement.ts';
import { currencyMinorDigits, formatAmountAtLeast } from '../../../money/money.ts';
import { ENTRY_KINDS, listBalanceEntries } from '../../../balances/list-entries.ts';
import { setAutoTopUp } from '../../../balances/set-auto-top-up.ts';
import { MANUAL_METHODS, topUpManually } from '../../../balances/top-up.ts';
import type { Ctx } from '../../../context.ts';
import type { EntryKind } from '../../../balances/repo.ts';
import { getTopUp, listCustomerTopUps } from '../../../top-ups/list-top-ups.ts';
import { requestTopUp } from '../../../top-ups/request-top-up.ts';
import { addDays, isIsoDate, startOfDayInZone } from '../../../shared/dates.ts';
import { invalid } from '../../../shared/errors.ts';
import { MAX_PAGE_SIZE } from '../../../shared/pagination.ts';
import { principalOf } from '../../auth.ts';
import { publicBaseUrl } from '../../public-url.ts';
import { loadAccount, type ZodApp } from '../../kit/app-type.ts';
import {
  balanceView,
  ENTRY_CSV_COLUMNS,
  entryView,
  toBalanceView,
  toEntryView,
  toTopUpView,
  topUpView,
} from '../balance-views.ts';
import { pathId, sendPage } from '../../kit/route-helpers.ts';
import { amountInput, errorBody, idParams, pageQuery } from '../schemas.ts';

const tags = ['Prepaid balances'];
const ISO_DATE_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:?\d{2})$/;
const when = (what: string) =>
  z
    .string()
    .max(40)
    .refine((v) => isIsoDate(v) || (ISO_DATE_TIME.test(v) && !Number.isNaN(Date.parse(v))), {
      message: 'must be a date YYYY-MM-DD or an ISO 8601 date-time',
    })
    .optional()
    .meta({ description: what });
/** Most rows one CSV download carries; page on with `after` for more. */
export const MAX_CSV_ENTRIES = 100_000;

const amountString = (v: string | number) => (typeof v === 'number' ? String(v) : v.trim());

export function balanceRoutes(app: ZodApp, ctx: Ctx, options: { publicUrl?: string | undefined }): void {
  app.get(
    '/customers/:id/balance',
    {
      schema: {
        tags,
        operationId: 'getCustomerBalance',
        summary: "A customer's balance",
        params: idParams,
        response: { 200: balanceView, 404: errorBody },
      },
    },
    async (request) => {
      const state = await getBalance(
        ctx,
        principalOf(request).accountId,
        pathId(request.params.id, 'Customer'),
      );
      return toBalanceView(state);
    },
  );

  app.get(
    '/customers/:id/balance/entries',
    {
      schema: {
        tags,
        operationId: 'listBalanceEntries',
        summary: "A customer's ledger entries",
        description:
          'Oldest first. `from` and `to` are dates in the account timezone (inclusive) or ISO 8601 date-times (`to` exclusive). `type` filters by entry type (repeat it or separate with commas). With `Accept: text/csv` (or `format=csv`) the answer is a CSV file of up to 100,000 entries (`limit` caps it too); the Link header names the next page either way.',
        params: idParams,
        querystring: z.object({
          ...pageQuery,
          limit: z.coerce
            .number()
            .int()
            .min(1)
            .max(MAX_CSV_ENTRIES)
            .optional()
            .meta({
              description: `Page size, 1 to ${MAX_PAGE_SIZE} for JSON (default 100), up to ${MAX_CSV_ENTRIES} for CSV (default all)`,
            }),
          from: when('Entries made at or after this date (account timezone) or instant'),
          to: when('Entries made up to this date (inclusive, account timezone) or before this instant'),
          type: z
            .union([z.string().max(300), z.array(z.string().max(40)).max(20)])
            .optional()
            .meta({ description: `Entry types: ${ENTRY_KINDS.join(', ')}` }),
          format: z.enum(['json', 'csv']).optional(),
        }),
        response: { 200: z.array(entryView), 400: errorBody, 404: errorBody },
      },
    },
    async (request, reply) => {
      const { accountId } = principalOf(request);
      const account = await loadAccount(ctx, accountId);
      const q = request.query;
      const csv =
        q.format === 'csv' ||
        (q.format === undefined && (request.headers.accept ?? '').toLowerCase().startsWith('text/csv'));
      if (!csv && q.limit !== undefined && q.limit > MAX_PAGE_SIZE)
        throw invalid('limit', `must be at most ${MAX_PAGE_SIZE} (up to ${MAX_CSV_ENTRIES} for CSV)`);
      const from =
        q.from === undefined
          ? undefined
          : isIsoDate(q.from)
            ? startOfDayInZone(q.from, account.timezone)
            : new Date(q.from);
      const to =
        q.to === undefined
          ? undefined
          : isIsoDate(q.to)
            ? startOfDayInZone(addDays(q.to, 1), account.timezone)
            : new Date(q.to);
      if (from && to && to.getTime() < from.getTime()) throw invalid('to', 'is before from');
      const kinds = (Array.isArray(q.type) ? q.type : q.type === undefined ? [] : [q.type])
        .flatMap((t) => t.split(','))
        .map((t) => t.trim())
        .filter((t) => t !== '');
      for (const k of kinds)
        if (!(ENTRY_KINDS as readonly string[]).includes(k))
          throw invalid('type', `unknown entry type "${k}": one of ${ENTRY_KINDS.join(', ')}`);
      const limit = q.limit ?? (csv ? MAX_CSV_ENTRIES : 100);
      const customerId = pathId(request.params.id, 'Customer');
      const page = await listBalanceEntries(
        ctx,
        accountId,
        customerId,
        { from, to, kinds: kinds as EntryKind[] },
        { after: q.after, limit },
      );
      if (!csv) return sendPage(request, reply, page, toEntryView);
      const views = sendPage(request, reply, page, toEntryView);
      const text = stringify(
        views.map((v) => ENTRY_CSV_COLUMNS.map((c) => v[c] ?? '')),
        { header: true, columns: [...ENTRY_CSV_COLUMNS] },
      );
      return reply
        .type('text/csv; charset=utf-8')
        .header('content-disposition', `attachment; filename="balance-${customerId}.csv"`)
        .send(text as never);
    },
  );

  app.post(
    '/customers/:id/balance/topUps',
    {
      config: { level: KeyLevel.invoices },
      schema: {
        tags,
        operationId: 'createTopUp',
        summary: 'Top up a prepaid balance',
        description:
          'A manual top-up (money received by bank transfer, cash, cheque…: `method`, default bank_transfer) is credited at once (201, status completed). `method: "payment_request"` sends the customer a link to pay the amount by card on the payment page (`email` and/or `mobileNumber`, `channels`, `expiresInDays`): the top-up is pending (201, with its `url`) and is credited when the link is paid.',
        params: idParams,
        body: z
          .object({
            amount: amountInput,
            method: z.enum([...MANUAL_METHODS, 'payment_request']).optional(),
            reference: z.string().max(200).optional(),
            notes: z.string().max(2000).optional(),
            email: z.string().max(254).optional(),
            mobileNumber: z.string().max(30).optional(),
            channels: z
              .array(z.enum(['sms', 'email']))
              .max(2)
              .optional(),
            expiresInDays: z.number().int().optional(),
          })
          .strict(),
        response: { 201: topUpView, 400: errorBody, 404: errorBody, 409: errorBody },
      },
    },
    async (request, reply) => {
      const { accountId } = principalOf(request);
      const customerId = pathId(request.params.id, 'Customer');
      const body = request.body;
      if (body.method === 'payment_request') {
        const { topUp, request: payment } = await requestTopUp(
          ctx,
          accountId,
          customerId,
          {
            amount: amountString(body.amount),
            email: body.email,
            mobileNumber: body.mobileNumber,
            channels: body.channels,
            expiresInDays: body.expiresInDays,
            reference: body.reference,
          },
          { baseUrl: publicBaseUrl(request, options.publicUrl) },
        );
        return reply.status(201).send(toTopUpView(topUp, payment.url));
      }
      for (const f of ['email', 'mobileNumber', 'channels', 'expiresInDays'] as const) {
        if (body[f] !== undefined) throw invalid(f, 'applies to method payment_request only');
      }
      const { topUp } = await topUpManually(ctx, accountId, customerId, {
        amount: amountString(body.amount),
        method: body.method,
        reference: body.reference,
        notes: body.notes,
      });
      return reply.status(201).send(toTopUpView(topUp));
    },
  );

  app.get(
    '/customers/:id/balance/topUps',
    {
      schema: {
        tags,
        operationId: 'listTopUps',
        summary: "A customer's top-ups",
        params: idParams,
        querystring: z.object(pageQuery),
        response: { 200: z.array(topUpView), 404: errorBody },
      },
    },
    async (request, reply) => {
      const page = await listCustomerTopUps(
        ctx,
        principalOf(request).accountId,
        pathId(request.params.id, 'Customer'),
        request.query,
      );
      return sendPage(request, reply, page, (r) => toTopUpView(r.topUp, r.url));
    },
  );

  app.get(
    '/customers/:id/balance/topUps/:topUpId',
    {
      schema: {
        tags,
        operationId: 'getTopUp',
        summary: 'One top-up',
        params: z.object({ id: z.string().max(30), topUpId: z.string().max(30) }),
        response: { 200: topUpView, 404: errorBody },
      },
    },
    async (request) => {
      const found = await getTopUp(
        ctx,
        principalOf(request).accountId,
        pathId(request.params.id, 'Customer'),
        pathId(request.params.topUpId, 'Top-up'),
      );
      return toTopUpView(found.topUp, found.url);
    },
  );

  app.post(
    '/customers/:id/balance/adjustments',
    {
      config: { level: KeyLevel.invoices },
      schema: {
        tags,
        operationId: 'adjustBalance',
        summary: 'Adjust a balance',
        description:
          'A correction by a person, with its reason: `"amount": "5.00"` credits, `"-5.00"` debits. Earlier entries are never changed.',
        params: idParams,
        body: z.object({ amount: amountInput, description: z.string().max(500) }).strict(),
        response: { 201: entryView, 400: errorBody, 404: errorBody, 409: errorBody },
      },
    },
    async (request, reply) => {
      const entry = await adjustBalance(
        ctx,
        principalOf(request).accountId,
        pathId(request.params.id, 'Customer'),
        {
          amount: amountString(request.body.amount),
          description: request.body.description,
        },
      );
      return reply.status(201).send(toEntryView(entry));
    },
  );

  app.get(
    '/invoices/:id/statement',
    {
      schema: {
        tags,
        operationId: 'getInvoiceStatement',
        summary: "A prepaid statement: the invoice's balance movements",
        description:
          "For an approved invoice of a customer with a balance: the ledger since the previous statement, ending with this invoice's settlement. openingBalance + topUps + calls + refunds + adjustments + payments + settlement = closingBalance. VAT is on usage: calls are debited with their VAT as they are rated, the invoice computes VAT per rate, and the settlement takes the invoice's total less what its calls were debited. 404 for an invoice that is not a statement.",
        params: idParams,
        response: {
          200: z
            .object({
              invoiceID: z.string(),
              currency: z.string(),
              from: z
                .string()
                .nullable()
                .meta({ description: 'When the previous statement was settled (null: the first statement)' }),
              to: z.string(),
              openingBalance: z.string(),
              topUps: z.string(),
              calls: z.string(),
              refunds: z.string(),
              adjustments: z.string(),
              payments: z.string(),
              settlement: z.string(),
              closingBalance: z.string(),
              entries: z.number().int(),
            })
            .meta({ id: 'PrepaidStatement' }),
          404: errorBody,
        },
      },
    },
    async (request) => {
      const s = await getStatement(ctx, principalOf(request).accountId, pathId(request.params.id, 'Invoice'));
      const m = (v: { toFixed(): string }) =>
        formatAmountAtLeast(v.toFixed(), currencyMinorDigits(s.currency));
      return {
        invoiceID: String(s.invoiceId),
        currency: s.currency,
        from: s.from ? s.from.toISOString() : null,
        to: s.to.toISOString(),
        openingBalance: m(s.openingBalance),
        topUps: m(s.topUps),
        calls: m(s.calls),
        refunds: m(s.refunds),
        adjustments: m(s.adjustments),
        payments: m(s.payments),
        settlement: m(s.settlement),
        closingBalance: m(s.closingBalance),
        entries: s.entries,
      };
    },
  );

  app.put(
    '/customers/:id/balance/autoTopUp',
    {
      config: { level: KeyLevel.customers },
      schema: {
        tags,
        operationId: 'setAutoTopUp',
        summary: 'Set the automatic top-up',
        description:
          'When the balance falls below `threshold`, the saved card (`cardToken`, a token of the payment gateway) is charged `amount` through the outbox: once per fall below, retried when the gateway fails, and the customer is emailed if the card is declined. A card saved when the customer pays a top-up link on the payment page is used when no token is given.',
        params: idParams,
        body: z
          .object({
            enabled: z.boolean(),
            threshold: amountInput.optional(),
            amount: amountInput.optional(),
            cardToken: z.string().max(200).optional(),
          })
          .strict(),
        response: { 200: balanceView, 400: errorBody, 404: errorBody, 409: errorBody },
      },
    },
    async (request) => {
      const b = request.body;
      const state = await setAutoTopUp(
        ctx,
        principalOf(request).accountId,
        pathId(request.params.id, 'Customer'),
        {
          enabled: b.enabled,
          threshold: b.threshold === undefined ? undefined : amountString(b.threshold),
          amount: b.amount === undefined ? undefined : amountString(b.amount),
          cardToken: b.cardToken,
        },
      );
      return toBalanceView(state);
    },
  );
}
