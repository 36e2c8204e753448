import type { Ctx } from '../context.ts';
import { invalid } from '../shared/errors.ts';
import { CALL_FIELDS, type RawCall } from './call-input.ts';
import { CallIngester, type IngestSummary } from './ingest.ts';

/** Calls per API request: a bound on the request, not on how many calls Ringbill takes (send more requests). */
export const MAX_CALLS_PER_REQUEST = 10_000;

/**
 * Takes a batch of calls sent as JSON objects with the CSV's field names. An element that is not an
 * object, or not a valid call, is refused with its position (1-based) and reason; the others go in.
 */
export async function ingestCallBatch(ctx: Ctx, accountId: number, calls: unknown[]): Promise<IngestSummary> {
  if (calls.length > MAX_CALLS_PER_REQUEST)
    throw invalid('calls', `at most ${MAX_CALLS_PER_REQUEST} calls per request`);
  const ingester = await CallIngester.open(ctx, accountId, 'api');
  for (const [index, element] of calls.entries()) {
    const position = index + 1;
    if (typeof element !== 'object' || element === null || Array.isArray(element)) {
      ingester.rejectRaw(position, JSON.stringify(element) ?? String(element), 'not a call object');
      continue;
    }
    const source = element as Record<string, unknown>;
    const unknown = Object.keys(source).filter((k) => !(CALL_FIELDS as readonly string[]).includes(k));
    if (unknown.length > 0) {
      ingester.rejectRaw(
        position,
        JSON.stringify(element),
        `unknown field${unknown.length > 1 ? 's' : ''} ${unknown.join(', ')}`,
      );
      continue;
    }
    const record: RawCall = {};
    // Every field is text or a number; an object, array or boolean would otherwise be stored as its JSON
    // text (a call_id of "true", a carrier of "{...}").
    const notScalar = CALL_FIELDS.find(
      (f) =>
        source[f] !== undefined &&
        source[f] !== null &&
        typeof source[f] !== 'string' &&
        typeof source[f] !== 'number',
    );
    if (notScalar !== undefined) {
      ingester.rejectRaw(
        position,
        JSON.stringify(element),
        `${notScalar}: must be a string or a number, not ${JSON.stringify(source[notScalar])}`,
      );
      continue;
    }
    for (const field of CALL_FIELDS) {
      const value = source[field];
      if (value === undefined || value === null) continue;
      record[field] = value as string | number;
    }
    await ingester.add(record, position, () => JSON.stringify(element));
  }
  return ingester.finish();
}
