// Shared steps for the calls integration tests: a customer with numbered lines, a rate card loaded through
// the API, calls sent as a batch, and reads of the calls the database holds.
import type { Api, Harness } from './harness.ts';

export interface CallRecord {
  call_id: string;
  from: string;
  to: string;
  start_time: string;
  duration_s: number | string;
  status: string;
  direction?: string;
  [field: string]: unknown;
}

/** A completed outbound call. */
export function cdr(
  callId: string,
  from: string,
  to: string,
  startTime: string,
  durationS: number,
  extra: Partial<CallRecord> = {},
): CallRecord {
  return {
    call_id: callId,
    from,
    to,
    start_time: startTime,
    duration_s: durationS,
    status: 'completed',
    ...extra,
  };
}

export async function sendCalls(api: Api, calls: unknown[]): Promise<any> {
  const res = await api.post('/calls', calls);
  if (res.status !== 200) throw new Error(`POST /calls: ${res.status} ${res.text}`);
  return res.body;
}

export async function makeRateCard(api: Api, name: string, isDefault = false): Promise<any> {
  const res = await api.post('/rateCards', { name, isDefault });
  if (res.status !== 201) throw new Error(`POST /rateCards: ${res.status} ${res.text}`);
  return res.body;
}

export async function loadRates(
  api: Api,
  rateCardId: string,
  effectiveFrom: string,
  rates: Record<string, unknown>[],
): Promise<any> {
  const res = await api.request('PUT', `/rateCards/${rateCardId}/rates`, { effectiveFrom, rates });
  if (res.status !== 200) throw new Error(`PUT rates: ${res.status} ${res.text}`);
  return res.body;
}

export async function getOk(api: Api, path: string): Promise<any> {
  const res = await api.get(path);
  if (res.status !== 200) throw new Error(`GET ${path}: ${res.status} ${res.text}`);
  return res.body;
}

/** The account's calls as stored, by source call id. */
export async function dbCalls(h: Harness, accountId: number): Promise<Map<string, any>> {
  const rows = await h.ctx.db
    .selectFrom('calls')
    .selectAll()
    .where('account_id', '=', accountId)
    .orderBy('id')
    .execute();
  return new Map(rows.map((r) => [r.source_call_id, r]));
}

export async function dbCallCount(h: Harness, accountId: number): Promise<number> {
  const row = await h.ctx.db
    .selectFrom('calls')
    .select((eb) => eb.fn.countAll<number>().as('n'))
    .where('account_id', '=', accountId)
    .executeTakeFirstOrThrow();
  return Number(row.n);
}

/** The fields of a call that say how it was priced. */
export function pricing(call: any): Record<string, unknown> {
  return {
    ratingStatus: call.ratingStatus,
    ratingError: call.ratingError,
    destination: call.destination,
    band: call.band,
    billableS: call.billableS,
    charge: call.charge,
    cost: call.cost,
    customerID: call.customerID,
    featureID: call.featureID,
  };
}

/** An ingest summary with nothing in it; `o` fills in the rest. */
export function summary(o: Record<string, unknown>): Record<string, unknown> {
  return {
    source: 'api',
    received: 0,
    inserted: 0,
    duplicates: 0,
    rejected: 0,
    rated: 0,
    free: 0,
    unrated: 0,
    unratedReasons: {},
    unallocated: 0,
    internal: 0,
    chargeTotal: '0.000000',
    rejections: [],
    ...o,
  };
}
