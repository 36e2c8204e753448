// What feeds the call transactions feed from the backend API: custom data field definitions, post-call
// events (signals and custom data added to a stored call), a call's payout and notes, and a call's rows
// in the feed folded to its current state. The feed itself is /api/{version}/networks/transactions/….
import { accountChanged } from '../../../accounts/account-cache.ts';
import { z } from 'zod';
import { KeyLevel } from '../../../api-keys/levels.ts';
import type { Ctx } from '../../../context.ts';
import type { CallTransactionRow, CustomDataFieldRow } from '../../../feed/repo.ts';
import { addCallEvent, type CallEventResult, SIGNAL_SOURCES } from '../../../feed/add-call-event.ts';
import { callFeedState } from '../../../feed/call-state.ts';
import { formatCompleteCallId, formatTransactionId, parseCompleteCallId } from '../../../feed/columns.ts';
import {
  changeCustomDataField,
  createCustomDataField,
  CUSTOM_DATA_TYPES,
  customDataFields,
  getCustomDataField,
  removeCustomDataField,
} from '../../../feed/custom-data-fields.ts';
import { updateCallForFeed } from '../../../feed/update-call.ts';
import { invalid } from '../../../shared/errors.ts';
import { principalOf } from '../../auth.ts';
import { loadAccount, type ZodApp } from '../../kit/app-type.ts';
import { setFeedStyle } from '../../../accounts/repo.ts';
import { pathId } from '../../kit/route-helpers.ts';
import { amountInput, deletedBody, errorBody, idParams, idString } from '../schemas.ts';

const fieldView = z
  .object({
    id: idString,
    apiName: z.string().meta({ description: 'The Partner (API) name: the column name in the feed' }),
    name: z.string(),
    dataType: z.enum(CUSTOM_DATA_TYPES),
    created: z.string(),
    updated: z.string(),
  })
  .meta({ id: 'CustomDataField' });

function toFieldView(f: CustomDataFieldRow): z.infer<typeof fieldView> {
  return {
    id: String(f.id),
    apiName: f.api_name,
    name: f.name,
    dataType: f.data_type,
    created: f.created_at.toISOString(),
    updated: f.updated_at.toISOString(),
  };
}

const fieldInput = z
  .object({
    apiName: z.string().max(200).optional(),
    name: z.string().max(300).optional(),
    dataType: z
      .enum(CUSTOM_DATA_TYPES)
      .optional()
      .meta({ description: 'shortText (default), longText, category, number or signal' }),
  })
  .strict();

const transactionIdText = z
  .string()
  .meta({ description: 'A transaction_id of the feed', example: '0000000000000042' });

const eventBody = z
  .object({
    callId: z
      .union([z.string().max(30), z.number().int()])
      .optional()
      .meta({ description: "Ringbill's call id" }),
    transactionId: z
      .string()
      .max(30)
      .optional()
      .meta({ description: 'Any transaction_id of the call in the feed' }),
    completeCallId: z
      .string()
      .max(40)
      .optional()
      .meta({ description: "The call's complete_call_id in the feed (32 characters)" }),
    partnerUniqueId: z.string().max(300).optional().meta({
      description:
        'Makes this a post-call event: later events with the same id on the call roll up into it. Alone (no callId or transactionId), finds the call of the earlier event with this id.',
    }),
    signals: z
      .array(
        z
          .object({
            name: z.string().max(200),
            value: z.boolean().optional().meta({ description: 'Default true' }),
          })
          .strict(),
      )
      .max(1000)
      .optional(),
    customData: z
      .record(z.string(), z.union([z.string(), z.number(), z.boolean(), z.null()]))
      .optional()
      .meta({ description: 'Values by custom data API name' }),
    saleAmount: amountInput
      .optional()
      .meta({ description: 'A sale (revenue), at most 2 decimals; makes this a post-call event' }),
    occurredAt: z.iso.datetime({ offset: true }).optional(),
    source: z.enum(SIGNAL_SOURCES).optional().meta({ description: 'Default Api' }),
  })
  .strict();

const eventResult = z
  .object({
    callID: idString,
    completeCallId: z.string(),
    outcome: z.enum(['call_corrected', 'post_call_event', 'signal_rows', 'unchanged']),
    transactionIds: z.array(transactionIdText),
    correctsTransactionIds: z.array(transactionIdText.nullable()),
  })
  .meta({ id: 'CallEventResult' });

function toEventResult(r: CallEventResult): z.infer<typeof eventResult> {
  return {
    callID: String(r.callId),
    completeCallId: formatCompleteCallId(r.completeCallId),
    outcome: r.outcome,
    transactionIds: r.transactionIds.map(formatTransactionId),
    correctsTransactionIds: r.correctsTransactionIds.map((id) =>
      id === null ? null : formatTransactionId(id),
    ),
  };
}

const feedRowView = z.object({
  transactionId: transactionIdText,
  transactionType: z.string(),
  correctsTransactionId: transactionIdText.nullable(),
  correctedAt: z.string().nullable(),
  durationS: z.number().int().nullable(),
  connectDurationS: z.number().int().nullable(),
  payin: z.string().nullable(),
  payout: z.string().nullable(),
  notes: z.string().nullable(),
  partnerUniqueId: z.string().nullable(),
  revenue: z.string().nullable(),
  customData: z.record(z.string(), z.unknown()).nullable(),
});

function toFeedRowView(r: CallTransactionRow): z.infer<typeof feedRowView> {
  return {
    transactionId: formatTransactionId(r.transaction_id),
    transactionType: r.transaction_type,
    correctsTransactionId:
      r.corrects_transaction_id === null ? null : formatTransactionId(r.corrects_transaction_id),
    correctedAt: r.corrected_at?.toISOString() ?? null,
    durationS: r.duration_s,
    connectDurationS: r.connect_duration_s,
    payin: r.payin,
    payout: r.payout,
    notes: r.notes,
    partnerUniqueId: r.partner_unique_id,
    revenue: r.revenue,
    customData: (r.custom_data as Record<string, unknown> | null) ?? null,
  };
}

const callFeedView = z
  .object({
    callID: idString,
    completeCallId: z.string(),
    current: feedRowView
      .nullable()
      .meta({ description: 'The call record as corrected: the last row of its chain' }),
    events: z
      .array(feedRowView)
      .meta({ description: 'Post-call events, signals and sales: the last row of each' }),
    customData: z
      .record(z.string(), z.unknown())
      .meta({ description: "The call's signals and custom data now, events included" }),
    durationS: z.number().int().meta({ description: "Durations summed over all rows (the call's duration)" }),
    transactions: z.array(feedRowView).meta({ description: 'Every row of the call in the feed, in order' }),
  })
  .meta({ id: 'CallFeed' });

const callChange = z
  .object({
    payout: amountInput
      .nullable()
      .optional()
      .meta({ description: 'The payout (decimal string); null clears it' }),
    notes: z
      .string()
      .max(20_000)
      .nullable()
      .optional()
      .meta({ description: 'Replaces the notes; null clears them' }),
    addNote: z.string().max(20_000).optional().meta({ description: 'Adds a line to the notes' }),
  })
  .strict();

const tags = ['Call feed'];

function eventCallId(value: string | number | undefined): number | undefined {
  if (value === undefined) return undefined;
  const text = String(value).replace(/^call_/, '');
  if (!/^[1-9]\d{0,15}$/.test(text)) throw invalid('callId', 'must be a call id');
  return Number(text);
}

/** transactionId: a transaction_id of the feed (digits); its messages are those the feed gives start_after_transaction_id. */
function eventTransactionId(value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const text = value.trim();
  if (text === '') throw invalid('transactionId', 'must be a transaction_id of the feed');
  if (!/^\d{1,19}$/.test(text))
    throw invalid(
      'start_after_transaction_id',
      'must be a transaction_id from the feed (digits), or empty to start at the oldest',
    );
  const id = Number(text);
  if (!Number.isSafeInteger(id)) throw invalid('start_after_transaction_id', 'is beyond any transaction_id');
  if (id === 0) throw invalid('transactionId', 'must be a transaction_id of the feed');
  return id;
}

function eventCompleteCallId(value: string | undefined): string | undefined {
  if (value === undefined) return undefined;
  const id = parseCompleteCallId(value);
  if (id === undefined)
    throw invalid('completeCallId', 'must be a complete_call_id of the feed (32 characters, 0-9 and A-F)');
  return id;
}

export function callFeedRoutes(app: ZodApp, ctx: Ctx): void {
  app.get(
    '/customDataFields',
    {
      schema: {
        tags,
        operationId: 'listCustomDataFields',
        summary: 'Custom data fields and signals',
        response: { 200: z.array(fieldView) },
      },
    },
    async (request) => (await customDataFields(ctx, principalOf(request).accountId)).map(toFieldView),
  );

  app.post(
    '/customDataFields',
    {
      config: { level: KeyLevel.customers },
      schema: {
        tags,
        operationId: 'createCustomDataField',
        summary: 'Define a custom data field',
        description:
          'apiName is the column name in the feed (include_columns) and the name in its nested custom_data: no commas, not a standard column. Signals define themselves when first sent.',
        body: fieldInput,
        response: { 201: fieldView, 400: errorBody, 409: errorBody },
      },
    },
    async (request, reply) =>
      reply
        .status(201)
        .send(toFieldView(await createCustomDataField(ctx, principalOf(request).accountId, request.body))),
  );

  app.get(
    '/customDataFields/:id',
    {
      schema: {
        tags,
        operationId: 'getCustomDataField',
        summary: 'A custom data field',
        params: idParams,
        response: { 200: fieldView, 404: errorBody },
      },
    },
    async (request) =>
      toFieldView(
        await getCustomDataField(
          ctx,
          principalOf(request).accountId,
          pathId(request.params.id, 'Custom data field'),
        ),
      ),
  );

  for (const method of ['PUT', 'PATCH'] as const) {
    app.route({
      method,
      url: '/customDataFields/:id',
      config: { level: KeyLevel.customers },
      schema: {
        tags,
        operationId: method === 'PUT' ? 'replaceCustomDataField' : 'updateCustomDataField',
        summary: 'Change a custom data field',
        params: idParams,
        body: fieldInput,
        response: { 200: fieldView, 400: errorBody, 404: errorBody, 409: errorBody },
      },
      handler: async (request) =>
        toFieldView(
          await changeCustomDataField(
            ctx,
            principalOf(request).accountId,
            pathId(request.params.id, 'Custom data field'),
            request.body,
          ),
        ),
    });
  }

  app.delete(
    '/customDataFields/:id',
    {
      config: { level: KeyLevel.customers },
      schema: {
        tags,
        operationId: 'deleteCustomDataField',
        summary: 'Delete a custom data field',
        params: idParams,
        response: { 200: deletedBody, 404: errorBody },
      },
    },
    async (request) => {
      const id = pathId(request.params.id, 'Custom data field');
      await removeCustomDataField(ctx, principalOf(request).accountId, id);
      return { success: true as const, message: `Custom data field ${id} deleted` };
    },
  );

  const eventDescription =
    "Signals and custom data for a stored call, found by callId, transactionId (any row of the call) or the partnerUniqueId of an earlier event. With a partnerUniqueId (or a saleAmount) it is a post-call event: a post_call_event row in the feed, and later events with the same partnerUniqueId roll up into it (a correction row with the merged values). Without, the values are the call's own: the call gets a correction row with its whole record (none if nothing changed). Accounts with the old feed style get a signal row per signal and a sale row per sale instead.";

  app.post(
    '/callEvents',
    {
      config: { level: KeyLevel.charges },
      schema: {
        tags,
        operationId: 'addCallEvents',
        summary: 'Add signals and custom data to a call',
        description: eventDescription,
        body: eventBody,
        response: { 200: eventResult, 400: errorBody, 404: errorBody },
      },
    },
    async (request) => {
      const b = request.body;
      return toEventResult(
        await addCallEvent(ctx, principalOf(request).accountId, {
          ...eventFields(b),
          callId: eventCallId(b.callId),
          transactionId: eventTransactionId(b.transactionId),
          completeCallId: eventCompleteCallId(b.completeCallId),
        }),
      );
    },
  );

  app.post(
    '/calls/:id/events',
    {
      config: { level: KeyLevel.charges },
      schema: {
        tags,
        operationId: 'addEventsToCall',
        summary: 'Add signals and custom data to this call',
        description: eventDescription,
        params: idParams,
        body: eventBody.omit({ callId: true, transactionId: true }),
        response: { 200: eventResult, 400: errorBody, 404: errorBody },
      },
    },
    async (request) => {
      const b = request.body;
      return toEventResult(
        await addCallEvent(ctx, principalOf(request).accountId, {
          ...eventFields(b),
          callId: pathId(request.params.id.replace(/^call_/, ''), 'Call'),
        }),
      );
    },
  );

  app.patch(
    '/calls/:id',
    {
      config: { level: KeyLevel.charges },
      schema: {
        tags,
        operationId: 'updateCall',
        summary: "Change a call's payout or notes",
        description:
          'Each change appends a correction row to the call feed with the whole corrected record; the durations of the earlier rows are cleared.',
        params: idParams,
        body: callChange,
        response: { 200: callFeedView, 400: errorBody, 404: errorBody },
      },
    },
    async (request) => {
      const { accountId } = principalOf(request);
      const id = pathId(request.params.id.replace(/^call_/, ''), 'Call');
      const b = request.body;
      await updateCallForFeed(ctx, accountId, id, {
        payout: b.payout === undefined || b.payout === null ? b.payout : String(b.payout),
        notes: b.notes,
        addNote: b.addNote,
      });
      return callFeedResponse(ctx, accountId, id);
    },
  );

  const settingsView = z.object({ feedStyle: z.enum(['rollup', 'legacy']) }).meta({ id: 'FeedSettings' });
  app.get(
    '/feedSettings',
    {
      schema: {
        tags,
        operationId: 'getFeedSettings',
        summary: 'Call feed settings',
        response: { 200: settingsView },
      },
    },
    async (request) => ({ feedStyle: (await loadAccount(ctx, principalOf(request).accountId)).feed_style }),
  );
  app.patch(
    '/feedSettings',
    {
      config: { level: KeyLevel.expert },
      schema: {
        tags,
        operationId: 'updateFeedSettings',
        summary: 'Change the call feed settings',
        description:
          'feedStyle: rollup (default; signals roll up into the call row, corrections and post_call_event rows) or legacy (every signal is a signal row, every sale a sale row, linked to the call by complete_call_id). Applies to rows written from now on.',
        body: z.object({ feedStyle: z.enum(['rollup', 'legacy']) }).strict(),
        response: { 200: settingsView, 400: errorBody },
      },
    },
    async (request) => {
      const { accountId } = principalOf(request);
      await setFeedStyle(ctx.db, accountId, request.body.feedStyle);
      accountChanged(ctx.database, accountId);
      return { feedStyle: (await loadAccount(ctx, accountId)).feed_style };
    },
  );

  app.get(
    '/calls/:id/feed',
    {
      schema: {
        tags,
        operationId: 'getCallFeed',
        summary: "A call's rows in the call feed, folded to its current state",
        params: idParams,
        response: { 200: callFeedView, 404: errorBody },
      },
    },
    async (request) =>
      callFeedResponse(
        ctx,
        principalOf(request).accountId,
        pathId(request.params.id.replace(/^call_/, ''), 'Call'),
      ),
  );
}

async function callFeedResponse(
  ctx: Ctx,
  accountId: number,
  callId: number,
): Promise<z.infer<typeof callFeedView>> {
  const state = await callFeedState(ctx, accountId, callId);
  return {
    callID: String(callId),
    completeCallId: formatCompleteCallId(state.rows[0]!.complete_call_id),
    current: state.call ? toFeedRowView(state.call) : null,
    events: state.others.map(toFeedRowView),
    customData: state.customData,
    durationS: state.durationS,
    transactions: state.rows.map(toFeedRowView),
  };
}

/** What a call event body says beyond which call it is for, as addCallEvent takes it. */
function eventFields(b: Omit<z.infer<typeof eventBody>, 'callId' | 'transactionId'>) {
  return {
    partnerUniqueId: b.partnerUniqueId,
    signals: b.signals,
    customData: b.customData,
    revenue: b.saleAmount === undefined ? undefined : String(b.saleAmount),
    occurredAt: b.occurredAt === undefined ? undefined : new Date(b.occurredAt),
    source: b.source,
  };
}
