// A new call's row, written straight into COPY text bytes, must be exactly the general COPY writer's text
// for the row callInsertRow() states, and read back into the same values (the path a batch takes when it
// must go in row by row).
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { FeatureWindow } from '../../src/calls/allocation.ts';
import { callInsertRow, callRowFromCopyLine, CopyWriter, writeCallRow } from '../../src/calls/call-copy.ts';
import type { CallInput } from '../../src/calls/call-input.ts';
import { CALL_INSERT_COLUMNS } from '../../src/calls/repo.ts';
import { copyRow } from '../../src/db/connection.ts';
import type { Rating } from '../../src/rating/rate-call.ts';

const freeText = fc.oneof(
  fc.string({ maxLength: 12 }),
  fc.constantFrom('a\tb', 'line\nbreak', 'back\\slash', '\\N', 'cr\r', 'é😀', 'x\\é\ty'),
);
const nullable = <T>(arb: fc.Arbitrary<T>) => fc.option(arb, { nil: null });
const micros = fc.oneof(fc.nat(2 ** 40), fc.constantFrom(0, 1, 999_999, 1_000_000, 12_345_678));

const plainCall = fc.record({
  sourceCallId: fc.oneof(
    fc.string({ minLength: 1, maxLength: 20 }),
    freeText.map((s) => `id${s}`),
  ),
  fromNumber: fc.constantFrom('+441130000001', '441632960001', 'anonymous'),
  toNumber: fc.constantFrom('+12025550100', '447700900123'),
  startMs: fc.oneof(
    fc.integer({ min: Date.UTC(1900, 0, 1), max: Date.UTC(2999, 11, 31, 23, 59, 59, 999) }),
    fc.integer({ min: -1e14, max: 1e14 }),
  ),
  durationS: fc.nat(604_800),
  status: fc.constantFrom('completed', 'missed', 'busy', 'failed'),
  direction: fc.constantFrom('inbound', 'outbound'),
  carrier: nullable(freeText),
  recordingUrl: nullable(freeText),
  transcriptionUrl: nullable(freeText),
  confidenceScore: nullable(fc.constantFrom('0.5', '1', '0.12345')),
  voiceAgentId: nullable(freeText),
  internal: fc.constant(false),
  autoDirection: fc.boolean(),
});
// An internal call's parties are the switch's own text: anything but control characters.
const call: fc.Arbitrary<CallInput> = fc.oneof(
  plainCall,
  fc
    .record({
      call: plainCall,
      from: fc.constantFrom('1000', 's', 'sip\\user', 'ch1'),
      to: fc.constantFrom('', 't', 'alice', 'é😀'),
    })
    .map(({ call, from, to }) => ({
      ...call,
      fromNumber: from,
      toNumber: to,
      internal: true,
    })),
);

const feature: fc.Arbitrary<FeatureWindow | undefined> = fc.option(
  fc.record({
    featureId: fc.nat(),
    customerId: fc.nat(),
    rateCardId: fc.constant(null),
    startDate: fc.constant(null),
    endDate: fc.constant(null),
  }),
  { nil: undefined },
);

const rating: fc.Arbitrary<Rating> = fc.oneof(
  fc.record({
    status: fc.constant('rated' as const),
    rateId: fc.nat(),
    destination: freeText,
    band: fc.constantFrom('peak' as const, 'offpeak' as const, 'weekend' as const),
    billableS: fc.nat(700_000),
    chargeMicros: micros,
    costMicros: fc.option(micros, { nil: null }),
  }),
  fc.constant({ status: 'free' as const }),
  fc.record({
    status: fc.constant('unrated' as const),
    error: fc.constantFrom(
      'no_rate_card' as const,
      'no_rate' as const,
      'no_rate_for_band' as const,
      'invalid_number' as const,
    ),
    reason: freeText,
  }),
);

const RATED_AT = '2026-11-02T09:00:00.000Z';

describe('a new call as COPY text', () => {
  it('is the general COPY writer’s text for the row callInsertRow() states (property)', () => {
    fc.assert(
      fc.property(fc.nat(), call, feature, rating, (accountId, c, f, r) => {
        const w = new CopyWriter(16); // small: the writer must grow
        writeCallRow(w, accountId, c, f, f ? r : undefined, RATED_AT);
        writeCallRow(w, accountId, c, f, f ? r : undefined, RATED_AT);
        const text = w.take().toString('utf8');
        const [first, second] = text.split(/(?<=\n)/);
        expect(first).toBeDefined();
        for (const line of [first!, second!]) {
          const uuid = line.split('\t')[2]!;
          expect(uuid).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
          const row = callInsertRow(accountId, c, uuid, f, f ? r : undefined, RATED_AT);
          expect(row).toHaveLength(CALL_INSERT_COLUMNS.length);
          expect(line).toBe(copyRow(row));
          expect(callRowFromCopyLine(line)).toEqual(row.map((v) => (v === null ? null : String(v))));
        }
      }),
      { numRuns: 3000 },
    );
  }, 60_000); // 3,000 runs: seconds on a busy machine

  it('gives every call its own UUID', () => {
    const w = new CopyWriter();
    for (let i = 0; i < 5000; i++) w.uuid();
    const text = w.take().toString('latin1');
    const ids = new Set(text.match(/.{36}/g));
    expect(ids.size).toBe(5000);
  });

  it('writes UUIDs that start with the time they were made (version 7), so they arrive in order', () => {
    const before = Date.now();
    const w = new CopyWriter();
    for (let i = 0; i < 3; i++) w.uuid();
    const after = Date.now();
    const ids = w.take().toString('latin1').match(/.{36}/g)!;
    for (const id of ids) {
      expect(id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
      const ms = parseInt(id.replace(/-/g, '').slice(0, 12), 16);
      expect(ms).toBeGreaterThanOrEqual(before);
      expect(ms).toBeLessThanOrEqual(after);
    }
  });
});
