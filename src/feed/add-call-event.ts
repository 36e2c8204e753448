// Signals and custom data added to a stored call (document 000's post-call events), by the call's id, a
// transaction id of the call, or the partner_unique_id of an earlier event on it.
//
// New style (rollup): an event with a partner_unique_id (or a sale amount) is a post-call event: a
// post_call_event row, and events with the same partner_unique_id roll up into it (a correction of that
// row with the values merged). Without one, the signals and data are the call's own: they change the call,
// and the call gets a correction row (none when nothing changes).
// Old style (legacy): each signal is a signal row and a sale a sale row (a later one with the same name and
// partner_unique_id corrects it); custom data still corrects the call.
import { lockCall, updateCallFeedFields } from '../calls/repo.ts';
import type { Ctx, Executor } from '../context.ts';
import { findAccount } from '../accounts/repo.ts';
import type { CustomDataFieldRow } from './repo.ts';
import { DomainError, invalid, notFound } from '../shared/errors.ts';
import { isDecimalString, money } from '../money/money.ts';
import type { CustomDataValue } from './fold.ts';
import { onFeedRows } from './events.ts';
import { recordCallCorrections } from './record.ts';
import {
  callRows,
  type EventRowInput,
  findCallIdByCompleteCallId,
  findCallIdByTransactionId,
  findEvent,
  findEventsByPartnerUniqueId,
  insertEventRows,
  listCustomDataFields,
  upsertEvent,
} from './repo.ts';
import { defineSignalFields } from './custom-data-fields.ts';

export const SIGNAL_SOURCES = [
  'Api',
  'Import',
  'UserOverride',
  'Expression',
  'Ivr',
  'Machine',
  'AI',
] as const;
export type SignalSource = (typeof SIGNAL_SOURCES)[number];

const MAX_SIGNALS = 100;
const MAX_CUSTOM_DATA = 200;
const MAX_NAME = 100;
const MAX_PARTNER_UNIQUE_ID = 255;
const MAX_SHORT_TEXT = 255;
const MAX_LONG_TEXT = 10_000;

export interface CallEventInput {
  callId?: number | undefined;
  transactionId?: number | undefined;
  /** The call's complete_call_id, as stored (the GUID). */
  completeCallId?: string | undefined;
  partnerUniqueId?: string | undefined;
  signals?: { name: string; value?: boolean | undefined }[] | undefined;
  customData?: Record<string, string | number | boolean | null> | undefined;
  /** Sale amount (decimal string). */
  revenue?: string | undefined;
  occurredAt?: Date | undefined;
  source?: SignalSource | undefined;
}

export interface CallEventResult {
  callId: number;
  completeCallId: string;
  /** What the feed got: a correction of the call, a post-call event row (new or correcting an earlier one), signal or sale rows, or nothing (no change). */
  outcome: 'call_corrected' | 'post_call_event' | 'signal_rows' | 'unchanged';
  /** The rows written (transaction ids), in order. */
  transactionIds: number[];
  /** The rows they correct, where they do. */
  correctsTransactionIds: (number | null)[];
  /** Whether this created a new event (false: it updated one, or changed the call). */
  created: boolean;
}

function checkInput(input: CallEventInput): void {
  const signals = input.signals ?? [];
  const data = Object.entries(input.customData ?? {});
  if (signals.length === 0 && data.length === 0 && input.revenue === undefined) {
    throw invalid('signals', 'send at least one signal, custom data value or saleAmount');
  }
  if (signals.length > MAX_SIGNALS) throw invalid('signals', `at most ${MAX_SIGNALS} signals per event`);
  if (data.length > MAX_CUSTOM_DATA)
    throw invalid('customData', `at most ${MAX_CUSTOM_DATA} values per event`);
  for (const [i, s] of signals.entries()) {
    if (typeof s.name !== 'string' || s.name.trim() === '' || s.name.length > MAX_NAME)
      throw invalid(`signals.${i}.name`, `must be 1 to ${MAX_NAME} characters`);
  }
  if (input.partnerUniqueId !== undefined && input.partnerUniqueId.length > MAX_PARTNER_UNIQUE_ID) {
    throw invalid('partnerUniqueId', `at most ${MAX_PARTNER_UNIQUE_ID} characters`);
  }
  if (input.revenue !== undefined && !isDecimalString(input.revenue, 2))
    throw invalid('saleAmount', 'must be an amount with at most 2 decimals, e.g. "100.00"');
}

function checkValue(field: CustomDataFieldRow, value: unknown): unknown {
  const name = `customData.${field.api_name}`;
  if (value === null) return null;
  switch (field.data_type) {
    case 'signal':
      if (typeof value === 'boolean') return value;
      if (value === 1 || value === '1' || value === 'true') return true;
      if (value === 0 || value === '0' || value === 'false') return false;
      throw invalid(name, 'is a signal: true or false');
    case 'number': {
      // A list or an object is refused too (String() would turn [5] into "5").
      if (typeof value !== 'string' && typeof value !== 'number') throw invalid(name, 'must be a number');
      const text = String(value).trim();
      if (!/^-?\d{1,15}(\.\d{1,6})?$/.test(text)) throw invalid(name, 'must be a number');
      return text;
    }
    case 'shortText':
    case 'category':
      // A list or an object is not text either (String() would store "[object Object]").
      if (typeof value !== 'string' && typeof value !== 'number') throw invalid(name, 'must be text');
      if (String(value).length > MAX_SHORT_TEXT) throw invalid(name, `at most ${MAX_SHORT_TEXT} characters`);
      return String(value);
    case 'longText':
      if (typeof value !== 'string' && typeof value !== 'number') throw invalid(name, 'must be text');
      if (String(value).length > MAX_LONG_TEXT) throw invalid(name, `at most ${MAX_LONG_TEXT} characters`);
      return String(value);
  }
}

async function resolveCallId(db: Executor, accountId: number, input: CallEventInput): Promise<number> {
  if (input.callId !== undefined) return input.callId;
  if (input.transactionId !== undefined) {
    const callId = await findCallIdByTransactionId(db, accountId, input.transactionId);
    if (callId === undefined) throw notFound('Transaction', input.transactionId);
    return callId;
  }
  if (input.completeCallId !== undefined) {
    const callId = await findCallIdByCompleteCallId(db, accountId, input.completeCallId);
    if (callId === undefined) throw new DomainError('not_found', 'No call has this completeCallId');
    return callId;
  }
  if (input.partnerUniqueId !== undefined) {
    const events = await findEventsByPartnerUniqueId(db, accountId, input.partnerUniqueId);
    if (events.length === 0)
      throw new DomainError(
        'not_found',
        `No call has an event with partnerUniqueId "${input.partnerUniqueId}": give callId or transactionId`,
      );
    if (events.length > 1)
      throw invalid(
        'partnerUniqueId',
        `"${input.partnerUniqueId}" is used on several calls: give callId or transactionId`,
      );
    return events[0]!.call_id;
  }
  throw new DomainError(
    'missing_parameter',
    'callId: give callId, transactionId, completeCallId or the partnerUniqueId of an earlier event',
    'callId',
  );
}

/** Whether two custom data maps hold the same values (key order ignored at every level: jsonb reorders keys). */
function sameData(a: Record<string, unknown>, b: Record<string, unknown>): boolean {
  return JSON.stringify(canonical(a)) === JSON.stringify(canonical(b));
}

function canonical(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(canonical);
  if (value === null || typeof value !== 'object' || value instanceof Date) return value;
  return Object.fromEntries(
    Object.entries(value as Record<string, unknown>)
      .sort(([x], [y]) => (x < y ? -1 : x > y ? 1 : 0))
      .map(([k, v]) => [k, canonical(v)]),
  );
}

/** Amounts compared by value: NUMERIC(20,6) comes back as "120.000000" for "120.00". */
function sameAmount(a: string | null, b: string | null): boolean {
  return a === null || b === null ? a === b : money(a).equals(money(b));
}

export async function addCallEvent(
  ctx: Ctx,
  accountId: number,
  input: CallEventInput,
): Promise<CallEventResult> {
  checkInput(input);
  const account = await findAccount(ctx.db, accountId);
  if (!account) throw notFound('Account', accountId);
  const now = ctx.now();
  const source: SignalSource = input.source ?? 'Api';
  const occurredAt = input.occurredAt ?? now;

  return ctx.db.transaction().execute(async (trx) => {
    const callId = await resolveCallId(trx, accountId, input);
    const call = await lockCall(trx, accountId, callId);
    if (!call) throw notFound('Call', callId);

    // Custom data must be defined; signals define themselves (keeping the casing first used).
    const fields = await listCustomDataFields(trx, accountId);
    const byName = new Map(fields.map((f) => [f.api_name.toLowerCase(), f]));
    const data: Record<string, CustomDataValue> = {};
    for (const [name, value] of Object.entries(input.customData ?? {})) {
      const field = byName.get(name.toLowerCase());
      if (!field)
        throw invalid(
          `customData.${name}`,
          'is not a custom data field of the account (define it at /customDataFields)',
        );
      data[field.api_name] = { value: checkValue(field, value), data_type: field.data_type, source };
    }
    const newSignals = (input.signals ?? []).filter((s) => !byName.has(s.name.trim().toLowerCase()));
    for (const f of await defineSignalFields(
      trx,
      accountId,
      newSignals.map((s) => s.name.trim()),
      now,
    ))
      byName.set(f.api_name.toLowerCase(), f);
    const signals: { name: string; value: boolean }[] = [];
    for (const s of input.signals ?? []) {
      const field = byName.get(s.name.trim().toLowerCase())!;
      if (field.data_type !== 'signal')
        throw invalid(
          'signals',
          `"${s.name}" is a custom data field of type ${field.data_type}, not a signal: send it in customData`,
        );
      data[field.api_name] = { value: s.value ?? true, data_type: 'signal', source };
      signals.push({ name: field.api_name, value: s.value ?? true });
    }

    const base = { callId, completeCallId: call.complete_call_id };
    const isEvent = input.partnerUniqueId !== undefined || input.revenue !== undefined;

    if (account.feed_style === 'legacy' && (signals.length > 0 || input.revenue !== undefined)) {
      return {
        ...base,
        ...(await legacyRows(trx, accountId, callId, input, signals, data, occurredAt, now)),
      };
    }
    if (!isEvent || (account.feed_style === 'legacy' && signals.length === 0)) {
      // The call's own signals and data: a correction when they change it.
      const merged = { ...((call.custom_data as Record<string, unknown> | null) ?? {}), ...data };
      await updateCallFeedFields(trx, accountId, callId, { customData: merged });
      const written = await recordCallCorrections(trx, accountId, [callId], now);
      if (!written)
        return {
          ...base,
          outcome: 'unchanged' as const,
          transactionIds: [],
          correctsTransactionIds: [],
          created: false,
        };
      const rows = await callRows(trx, accountId, callId);
      const latest = rows.at(-1)!;
      return {
        ...base,
        outcome: 'call_corrected' as const,
        transactionIds: [latest.transaction_id],
        correctsTransactionIds: [latest.corrects_transaction_id],
        created: false,
      };
    }

    // A post-call event: rolls up with earlier ones of the same partner_unique_id.
    const partnerUniqueId = input.partnerUniqueId ?? '';
    const event = await findEvent(trx, accountId, callId, partnerUniqueId);
    const before = (event?.custom_data as Record<string, unknown> | undefined) ?? {};
    const merged = { ...before, ...data };
    const revenue = input.revenue ?? event?.revenue ?? null;
    const sameTime =
      input.occurredAt === undefined ||
      input.occurredAt.getTime() === new Date(event?.occurred_at ?? 0).getTime();
    if (event && sameData(before, merged) && sameAmount(revenue, event.revenue) && sameTime) {
      return {
        ...base,
        outcome: 'unchanged' as const,
        transactionIds: [],
        correctsTransactionIds: [],
        created: false,
      };
    }
    const row: EventRowInput = {
      type: 'post_call_event',
      callId,
      correctsTransactionId: event?.transaction_id ?? null,
      customData: merged,
      partnerUniqueId,
      occurredAt: input.occurredAt ?? event?.occurred_at ?? occurredAt,
      revenue,
      signalName: null,
      signalValue: null,
    };
    const written = (await insertEventRows(trx, accountId, [row], now))!;
    // Only writers holding the call's row lock touch its events: this cannot wait on anyone.
    await upsertEvent(
      trx,
      accountId,
      {
        callId,
        partnerUniqueId,
        customData: merged,
        revenue,
        occurredAt: row.occurredAt,
        transactionId: written.ids[0]!,
      },
      now,
    );
    await onFeedRows(trx, accountId, written.written, now);
    return {
      ...base,
      outcome: 'post_call_event' as const,
      transactionIds: written.ids,
      correctsTransactionIds: [row.correctsTransactionId],
      created: event === undefined,
    };
  });
}

/** Old style: a signal row per signal, a sale row for a sale amount; a repeat (same name and partner_unique_id) corrects. */
async function legacyRows(
  trx: Executor,
  accountId: number,
  callId: number,
  input: CallEventInput,
  signals: { name: string; value: boolean }[],
  data: Record<string, CustomDataValue>,
  occurredAt: Date,
  now: Date,
): Promise<Omit<CallEventResult, 'callId' | 'completeCallId'>> {
  const partnerUniqueId = input.partnerUniqueId ?? '';
  const existing = await callRows(trx, accountId, callId);
  const latestOf = (match: (r: (typeof existing)[number]) => boolean) =>
    existing.filter(match).at(-1)?.transaction_id ?? null;
  const rows: EventRowInput[] = signals.map((s) => ({
    type: 'signal',
    callId,
    correctsTransactionId: latestOf(
      (r) =>
        r.transaction_type === 'signal' &&
        r.signal_name?.toLowerCase() === s.name.toLowerCase() &&
        r.partner_unique_id === partnerUniqueId,
    ),
    customData: { [s.name]: data[s.name]! },
    partnerUniqueId,
    occurredAt,
    revenue: null,
    signalName: s.name,
    signalValue: s.value,
  }));
  if (input.revenue !== undefined) {
    rows.push({
      type: 'sale',
      callId,
      correctsTransactionId: latestOf(
        (r) => r.transaction_type === 'sale' && r.partner_unique_id === partnerUniqueId,
      ),
      customData: null,
      partnerUniqueId,
      occurredAt,
      revenue: input.revenue,
      signalName: null,
      signalValue: null,
    });
  }
  // Custom data (not signals) is the call's own, as in the new style.
  const callData = Object.fromEntries(Object.entries(data).filter(([, v]) => v.data_type !== 'signal'));
  const transactionIds: number[] = [];
  const corrects: (number | null)[] = [];
  if (Object.keys(callData).length > 0) {
    const call = await lockCall(trx, accountId, callId);
    await updateCallFeedFields(trx, accountId, callId, {
      customData: { ...((call?.custom_data as Record<string, unknown> | null) ?? {}), ...callData },
    });
    const written = await recordCallCorrections(trx, accountId, [callId], now);
    if (written) {
      transactionIds.push(written.lastTransactionId);
      corrects.push(existing.filter((r) => r.transaction_type === 'call').at(-1)?.transaction_id ?? null);
    }
  }
  const written = await insertEventRows(trx, accountId, rows, now);
  if (written) {
    await onFeedRows(trx, accountId, written.written, now);
    transactionIds.push(...written.ids);
    corrects.push(...rows.map((r) => r.correctsTransactionId));
  }
  return {
    outcome: 'signal_rows',
    transactionIds,
    correctsTransactionIds: corrects,
    created: rows.some((r) => r.correctsTransactionId === null),
  };
}
