import { z } from 'zod';
import { KeyLevel } from '../../../api-keys/levels.ts';
import { rerateCalls } from '../../../invoices/rerate.ts';
import type { Ctx } from '../../../context.ts';
import { importRates, type RateImportRow } from '../../../rate-cards/import-rates.ts';
import { createRateCard, deleteRateCard, updateRateCard } from '../../../rate-cards/manage-rate-cards.ts';
import { parseRatesCsv } from '../../../rate-cards/rate-csv.ts';
import { rateRecordFromJson } from '../../../rate-cards/rate-input.ts';
import { findRateCard, listRateCards, listRates } from '../../../rate-cards/repo.ts';
import { listRejections } from '../../../rejections/repo.ts';
import { notFound } from '../../../shared/errors.ts';
import { principalOf } from '../../auth.ts';
import type { ZodApp } from '../../kit/app-type.ts';
import { pathId, sendPage } from '../../kit/route-helpers.ts';
import { deletedBody, errorBody, idParams, isoDate, pageQuery } from '../schemas.ts';
import { rateView, rejectionView, toRateView, toRejectionView } from '../views/calls.ts';
import { rateCardView, toRateCardView } from '../../kit/views/rate-cards.ts';

const tags = ['Rate cards'];
/** The largest rate card body, CSV or JSON (the CSV parser's limit too, backend/index.ts). */
export const RATE_CARD_BODY_LIMIT_BYTES = 100 * 1024 * 1024;

// Each rate is checked on its own (a bad one is refused with its position and reason, the others go in),
// so the schema only describes it.
const rateInput = z.unknown().meta({
  description:
    'A rate: {"prefix": "44", "destination": "United Kingdom", "ratePerMinute": "0.0125", "connectionFee": "0", "minimumCharge": "0", "initialIncrementS": 60, "subsequentIncrementS": 60, "band": "all", "costPerMinute": "0.004"}. prefix, destination and ratePerMinute are required; band is all (default), peak, offpeak or weekend. Amounts as decimal strings (or numbers), at most 6 decimals. Any other field refuses the rate.',
});

const importResult = z
  .object({
    rateCard: rateCardView,
    effectiveFrom: z.string().nullable().meta({
      description:
        "The date the rates apply from; null: from the start of time (a card's first import without a date)",
    }),
    imported: z.number().int(),
    rejected: z.array(z.object({ line: z.number().int(), reason: z.string() })),
    waitingCallsRated: z
      .number()
      .int()
      .meta({ description: 'Calls that were waiting to be priced and are now' }),
  })
  .meta({ id: 'RateImport' });

export function rateCardRoutes(app: ZodApp, ctx: Ctx): void {
  app.get(
    '/rateCards',
    {
      schema: {
        tags,
        operationId: 'listRateCards',
        summary: 'List rate cards',
        querystring: z.object(pageQuery),
        response: { 200: z.array(rateCardView) },
      },
    },
    async (request, reply) =>
      sendPage(
        request,
        reply,
        await listRateCards(ctx.db, principalOf(request).accountId, request.query),
        toRateCardView,
      ),
  );

  app.post(
    '/rateCards',
    {
      config: { level: KeyLevel.customers },
      schema: {
        tags,
        operationId: 'createRateCard',
        summary: 'Create a rate card',
        description:
          "A named price list. `isDefault` makes it the account's default, used for calls of customers and features that name no card; the account's first card is its default unless `isDefault` is false.",
        body: z.object({ name: z.string().max(100), isDefault: z.boolean().optional() }).strict(),
        response: { 201: rateCardView, 400: errorBody, 409: errorBody },
      },
    },
    async (request, reply) =>
      reply
        .status(201)
        .send(toRateCardView(await createRateCard(ctx, principalOf(request).accountId, request.body))),
  );

  app.get(
    '/rateCards/rejected',
    {
      schema: {
        tags,
        operationId: 'listRejectedRates',
        summary: 'Rate card rows that were refused',
        querystring: z.object({ source: z.string().max(200).optional(), ...pageQuery }),
        response: { 200: z.array(rejectionView) },
      },
    },
    async (request, reply) =>
      sendPage(
        request,
        reply,
        await listRejections(
          ctx.db,
          principalOf(request).accountId,
          'rates',
          { source: request.query.source },
          request.query,
        ),
        toRejectionView,
      ),
  );

  app.get(
    '/rateCards/:id',
    {
      schema: {
        tags,
        operationId: 'getRateCard',
        summary: 'Get a rate card',
        params: idParams,
        response: { 200: rateCardView, 404: errorBody },
      },
    },
    async (request) => {
      const id = pathId(request.params.id, 'Rate card');
      const card = await findRateCard(ctx.db, principalOf(request).accountId, id);
      if (!card) throw notFound('Rate card', id);
      return toRateCardView(card);
    },
  );

  app.patch(
    '/rateCards/:id',
    {
      config: { level: KeyLevel.customers },
      schema: {
        tags,
        operationId: 'updateRateCard',
        summary: 'Rename a rate card or make it the default',
        params: idParams,
        body: z.object({ name: z.string().max(100).optional(), isDefault: z.boolean().optional() }).strict(),
        response: { 200: rateCardView, 400: errorBody, 404: errorBody, 409: errorBody },
      },
    },
    async (request) =>
      toRateCardView(
        await updateRateCard(
          ctx,
          principalOf(request).accountId,
          pathId(request.params.id, 'Rate card'),
          request.body,
        ),
      ),
  );

  app.delete(
    '/rateCards/:id',
    {
      config: { level: KeyLevel.customers },
      schema: {
        tags,
        operationId: 'deleteRateCard',
        summary: 'Delete a rate card',
        description: 'Refused (409) while a customer or feature names it, or a call was rated with it.',
        params: idParams,
        response: { 200: deletedBody, 404: errorBody, 409: errorBody },
      },
    },
    async (request) => {
      const id = pathId(request.params.id, 'Rate card');
      await deleteRateCard(ctx, principalOf(request).accountId, id);
      return { success: true as const, message: `Rate card ${id} deleted` };
    },
  );

  app.get(
    '/rateCards/:id/rates',
    {
      schema: {
        tags,
        operationId: 'listRateCardRates',
        summary: "A rate card's rates",
        params: idParams,
        querystring: z.object({
          prefix: z.string().max(30).optional(),
          on: isoDate.optional().meta({ description: 'Only the rates in force on this date' }),
          ...pageQuery,
        }),
        response: { 200: z.array(rateView), 404: errorBody },
      },
    },
    async (request, reply) => {
      const { accountId } = principalOf(request);
      const id = pathId(request.params.id, 'Rate card');
      if (!(await findRateCard(ctx.db, accountId, id))) throw notFound('Rate card', id);
      const page = await listRates(
        ctx.db,
        accountId,
        id,
        { prefix: request.query.prefix, on: request.query.on },
        request.query,
      );
      return sendPage(request, reply, page, toRateView);
    },
  );

  app.put(
    '/rateCards/:id/rates',
    {
      config: { level: KeyLevel.customers },
      // A whole rate card, as CSV or JSON (up to 500,000 rates); other JSON routes take 1 MiB.
      bodyLimit: RATE_CARD_BODY_LIMIT_BYTES,
      schema: {
        tags,
        operationId: 'loadRateCardRates',
        summary: "Load a rate card's rates from a date",
        description:
          'Send the rates as JSON `{"effectiveFrom": "2026-12-01", "rates": [{"prefix": "44", "destination": "United Kingdom", "ratePerMinute": "0.0125", …}]}` or as a CSV file (Content-Type: text/csv; header prefix,destination,rate_per_minute,connection_fee,minimum_charge,initial_increment_s,subsequent_increment_s[,band,cost_per_minute]) with `?effectiveFrom=`. The rates in force at effectiveFrom end the day before; the new ones apply from it. Without effectiveFrom, a card’s first rates apply from the start of time (effectiveFrom null: calls of any date are priced) and later ones from today (so earlier calls keep their prices). Bad rows are refused with their line (or position) and reason; the good ones go in. Calls waiting for a price are then rated.',
        params: idParams,
        querystring: z.object({ effectiveFrom: isoDate.optional() }),
        body: z.union([
          z.object({ effectiveFrom: isoDate.optional(), rates: z.array(rateInput).max(500_000) }).strict(),
          z.string(),
        ]),
        response: { 200: importResult, 400: errorBody, 404: errorBody },
      },
    },
    async (request) => {
      const { accountId } = principalOf(request);
      const id = pathId(request.params.id, 'Rate card');
      const body = request.body;
      let rows: RateImportRow[];
      let effectiveFrom = request.query.effectiveFrom;
      if (typeof body === 'string') {
        rows = parseRatesCsv(body);
      } else {
        effectiveFrom = body.effectiveFrom ?? effectiveFrom;
        rows = body.rates.map((r, i) => {
          const row = { line: i + 1, raw: JSON.stringify(r) ?? String(r) };
          try {
            return { ...row, record: rateRecordFromJson(r) };
          } catch (error) {
            return { ...row, record: {}, unreadable: (error as Error).message };
          }
        });
      }
      const result = await importRates(ctx, accountId, { rateCardId: id }, rows, {
        effectiveFrom,
        source: `rate card ${id}`,
      });
      const rated = await rerateCalls(ctx, accountId, { onlyWaiting: true });
      return {
        rateCard: toRateCardView(result.rateCard),
        effectiveFrom: result.effectiveFrom,
        imported: result.imported,
        rejected: result.rejected.map((r) => ({ line: r.line, reason: r.reason })),
        waitingCallsRated: rated.rated,
      };
    },
  );
}
