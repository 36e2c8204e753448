import { z } from 'zod';
import { KeyLevel } from '../../../api-keys/levels.ts';
import { ingestCallBatch, MAX_CALLS_PER_REQUEST } from '../../../calls/ingest-batch.ts';
import { findCall, listCalls } from '../../../calls/repo.ts';
import { rerateCalls } from '../../../invoices/rerate.ts';
import type { Ctx } from '../../../context.ts';
import { deleteRejection, listRejections } from '../../../rejections/repo.ts';
import { startOfDayInZone, addDays } from '../../../shared/dates.ts';
import { notFound } from '../../../shared/errors.ts';
import { principalOf } from '../../auth.ts';
import { loadAccount, type ZodApp } from '../../kit/app-type.ts';
import { pathId, sendPage } from '../../kit/route-helpers.ts';
import { deletedBody, errorBody, idParams, isoDate, pageQuery } from '../schemas.ts';
import { callView, rejectionView, toCallView, toRejectionView } from '../views/calls.ts';

const tags = ['Calls'];

export const ingestSummary = z
  .object({
    source: z.string(),
    received: z.number().int(),
    inserted: z.number().int(),
    duplicates: z.number().int(),
    rejected: z.number().int(),
    rated: z.number().int(),
    free: z.number().int(),
    unrated: z.number().int(),
    unratedReasons: z.record(z.string(), z.number().int()),
    unallocated: z.number().int(),
    internal: z.number().int().meta({
      description:
        "Calls between extensions stored from a switch's records (the account keeps them): never rated",
    }),
    chargeTotal: z.string(),
    rejections: z.array(z.object({ line: z.number().int(), reason: z.string() })),
  })
  .meta({ id: 'CallIngestSummary' });

const rerateSummary = z
  .object({
    calls: z.number().int(),
    changed: z.number().int(),
    rated: z.number().int(),
    free: z.number().int(),
    unrated: z.number().int(),
    unallocated: z.number().int(),
    adjustments: z.number().int(),
    adjustmentTotal: z.string(),
    invoicesUpdated: z.number().int(),
  })
  .meta({ id: 'RerateSummary' });

/** The largest body of POST /calls: MAX_CALLS_PER_REQUEST calls of up to about 1.6 KB each. */
const CALL_BATCH_BODY_LIMIT_BYTES = 16 * 1024 * 1024;

export function callRoutes(app: ZodApp, ctx: Ctx): void {
  app.post(
    '/calls',
    {
      config: { level: KeyLevel.charges },
      // A full batch of calls with long URLs and notes; other JSON routes take 1 MiB.
      bodyLimit: CALL_BATCH_BODY_LIMIT_BYTES,
      schema: {
        tags,
        operationId: 'sendCalls',
        summary: 'Send calls (CDRs)',
        description: `A JSON array of up to ${MAX_CALLS_PER_REQUEST} calls, each with the CSV's field names: call_id, from, to, start_time (ISO 8601; without an offset, the account's local time), duration_s, status (completed, missed, busy, failed), and optionally direction (outbound by default, or inbound), carrier, recording_url, transcription_url, confidence_score, voice_agent_id. Each call is stored once (by call_id): sending it again is harmless. A call belongs to the feature whose phoneNumber is its from number (outbound) or to number (inbound), and is rated on arrival. Bad elements are refused with their position and reason (listed at GET /calls/rejected); the others go in.`,
        body: z.array(z.unknown()).max(MAX_CALLS_PER_REQUEST),
        response: { 200: ingestSummary, 400: errorBody },
      },
    },
    async (request) => ingestCallBatch(ctx, principalOf(request).accountId, request.body),
  );

  app.get(
    '/calls',
    {
      schema: {
        tags,
        operationId: 'listCalls',
        summary: 'List calls',
        querystring: z.object({
          ratingStatus: z.enum(['rated', 'free', 'unrated', 'unallocated', 'internal']).optional().meta({
            description:
              "unrated: calls that could not be priced (ratingError says why); internal: calls between extensions kept from a switch's records, never rated",
          }),
          invoiceID: z.coerce.number().int().positive().optional(),
          customerID: z.coerce.number().int().positive().optional(),
          featureID: z.coerce.number().int().positive().optional(),
          from: isoDate
            .optional()
            .meta({ description: 'Calls started on or after this date (account time)' }),
          to: isoDate.optional().meta({ description: 'Calls started on or before this date (account time)' }),
          ...pageQuery,
        }),
        response: { 200: z.array(callView) },
      },
    },
    async (request, reply) => {
      const { accountId } = principalOf(request);
      const account = await loadAccount(ctx, accountId);
      const q = request.query;
      const page = await listCalls(
        ctx.db,
        accountId,
        {
          ratingStatus: q.ratingStatus,
          invoiceId: q.invoiceID,
          customerId: q.customerID,
          featureId: q.featureID,
          from: q.from ? startOfDayInZone(q.from, account.timezone) : undefined,
          to: q.to ? startOfDayInZone(addDays(q.to, 1), account.timezone) : undefined,
        },
        q,
      );
      return sendPage(request, reply, page, toCallView);
    },
  );

  app.get(
    '/calls/rejected',
    {
      schema: {
        tags,
        operationId: 'listRejectedCalls',
        summary: 'Calls that were refused',
        description:
          'Each refused line of a CDR file (source: the file name) or element of a batch (source: api), with its line or position and reason. Fix and send the call again, then delete the row.',
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
          'calls',
          { source: request.query.source },
          request.query,
        ),
        toRejectionView,
      ),
  );

  app.delete(
    '/calls/rejected/:id',
    {
      config: { level: KeyLevel.charges },
      schema: {
        tags,
        operationId: 'deleteRejectedCall',
        summary: 'Forget a refused call (once fixed)',
        params: idParams,
        response: { 200: deletedBody, 404: errorBody },
      },
    },
    async (request) => {
      const id = pathId(request.params.id, 'Rejected call');
      if (!(await deleteRejection(ctx.db, principalOf(request).accountId, 'calls', id)))
        throw notFound('Rejected call', id);
      return { success: true as const, message: `Rejected call ${id} deleted` };
    },
  );

  app.post(
    '/calls/rerate',
    {
      config: { level: KeyLevel.invoices },
      schema: {
        tags,
        operationId: 'rerateCalls',
        summary: 'Price calls again',
        description:
          "Calls that started between from and to (account dates, inclusive; default all). Unbilled calls change in place; calls on an unsent invoice change and its call charges are summarised again; calls on a raised invoice keep it, and the difference becomes an adjustment on the customer's next invoice.",
        body: z.object({ from: isoDate.optional(), to: isoDate.optional() }).strict().nullish(),
        response: { 200: rerateSummary, 400: errorBody },
      },
    },
    async (request) =>
      rerateCalls(ctx, principalOf(request).accountId, { from: request.body?.from, to: request.body?.to }),
  );

  app.get(
    '/calls/:id',
    {
      schema: {
        tags,
        operationId: 'getCall',
        summary: 'Get a call',
        params: idParams,
        response: { 200: callView, 404: errorBody },
      },
    },
    async (request) => {
      const id = pathId(request.params.id, 'Call');
      const call = await findCall(ctx.db, principalOf(request).accountId, id);
      if (!call) throw notFound('Call', id);
      return toCallView(call);
    },
  );
}
