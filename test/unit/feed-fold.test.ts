// Correction folding (src/feed/fold.ts): a chain folds to its last version, the durations summed over the
// whole feed equal the call's true duration however it was corrected, and folding is incremental.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  applyRow,
  clearEarlierDurations,
  currentCustomData,
  emptyCallState,
  foldCallRows,
  type FoldRow,
  totalDuration,
} from '../../src/feed/fold.ts';

type Op =
  | { kind: 'correct'; payin: number }
  | { kind: 'event'; pid: string; value: number }
  | { kind: 'legacySignal'; name: string };

/** A model of the feed writer: the rows one call gets for these operations (what the repo writes). */
function writeRows(
  durationS: number,
  ops: Op[],
): { rows: FoldRow<{ payin: number }>[]; lastPayin: number; events: Map<string, number> } {
  let rows: FoldRow<{ payin: number }>[] = [
    {
      transactionId: 1,
      type: 'call',
      correctsTransactionId: null,
      durationS,
      connectDurationS: durationS,
      customData: null,
      record: { payin: 0 },
    },
  ];
  let next = 2;
  let latestCall = 1;
  let lastPayin = 0;
  const eventRow = new Map<string, number>();
  const events = new Map<string, number>();
  for (const op of ops) {
    const id = next++;
    if (op.kind === 'correct') {
      rows = clearEarlierDurations(rows);
      rows.push({
        transactionId: id,
        type: 'call',
        correctsTransactionId: latestCall,
        durationS,
        connectDurationS: durationS,
        customData: null,
        record: { payin: op.payin },
      });
      latestCall = id;
      lastPayin = op.payin;
    } else if (op.kind === 'event') {
      rows.push({
        transactionId: id,
        type: 'post_call_event',
        correctsTransactionId: eventRow.get(op.pid) ?? null,
        durationS: null,
        connectDurationS: null,
        customData: { [op.pid]: { value: op.value, data_type: 'number', source: 'Api' } },
      });
      eventRow.set(op.pid, id);
      events.set(op.pid, op.value);
    } else {
      rows.push({
        transactionId: id,
        type: 'signal',
        correctsTransactionId: null,
        durationS: null,
        connectDurationS: null,
        customData: { [op.name]: { value: true, data_type: 'signal', source: 'Api' } },
      });
    }
  }
  return { rows, lastPayin, events };
}

const op: fc.Arbitrary<Op> = fc.oneof(
  fc.record({ kind: fc.constant('correct' as const), payin: fc.integer({ min: 0, max: 10_000 }) }),
  fc.record({
    kind: fc.constant('event' as const),
    pid: fc.constantFrom('a', 'b', 'c'),
    value: fc.integer(),
  }),
  fc.record({ kind: fc.constant('legacySignal' as const), name: fc.constantFrom('Sale', 'Quote') }),
);

describe("folding a call's feed rows", () => {
  it('sums durations over the feed to the true duration, however often the call is corrected', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 100_000 }), fc.array(op, { maxLength: 30 }), (durationS, ops) => {
        const { rows } = writeRows(durationS, ops);
        expect(totalDuration(rows)).toEqual({ durationS, connectDurationS: durationS });
        // Only the latest call record carries durations.
        const state = foldCallRows(rows);
        expect(rows.filter((r) => r.durationS !== null).map((r) => r.transactionId)).toEqual([
          state.call!.transactionId,
        ]);
      }),
    );
  });

  it('folds each correction chain to its last version', () => {
    fc.assert(
      fc.property(fc.array(op, { maxLength: 30 }), (ops) => {
        const { rows, lastPayin, events } = writeRows(60, ops);
        const state = foldCallRows(rows);
        expect(state.call!.record!.payin).toBe(lastPayin);
        const data = currentCustomData(state);
        for (const [pid, value] of events) expect(data[pid]!.value).toBe(value);
        // One chain per event id and one per legacy signal row.
        expect(state.chains.size).toBe(events.size + ops.filter((o) => o.kind === 'legacySignal').length);
      }),
    );
  });

  it('is incremental: folding page by page gives what folding everything at once gives, in any input order', () => {
    fc.assert(
      fc.property(
        fc.array(op, { maxLength: 30 }),
        fc.integer({ min: 0, max: 31 }),
        fc.integer(),
        (ops, cut, seed) => {
          const { rows } = writeRows(60, ops);
          const at = Math.min(cut, rows.length);
          let state = emptyCallState<{ payin: number }>();
          for (const r of rows.slice(0, at)) state = applyRow(state, r);
          for (const r of rows.slice(at)) state = applyRow(state, r);
          const shuffled = [...rows].sort(
            (a, b) => ((a.transactionId * 7919 + seed) % 13) - ((b.transactionId * 7919 + seed) % 13),
          );
          const whole = foldCallRows(shuffled);
          expect(state.call).toEqual(whole.call);
          expect([...state.chains.entries()]).toEqual([...whole.chains.entries()]);
        },
      ),
    );
  });

  it('a correction of a correction stays in the same chain', () => {
    const rows: FoldRow[] = [
      {
        transactionId: 10,
        type: 'call',
        correctsTransactionId: null,
        durationS: null,
        connectDurationS: null,
        customData: null,
      },
      {
        transactionId: 12,
        type: 'post_call_event',
        correctsTransactionId: null,
        durationS: null,
        connectDurationS: null,
        customData: { x: { value: 1, data_type: 'number', source: 'Api' } },
      },
      {
        transactionId: 15,
        type: 'call',
        correctsTransactionId: 10,
        durationS: 30,
        connectDurationS: 30,
        customData: null,
      },
      {
        transactionId: 20,
        type: 'post_call_event',
        correctsTransactionId: 12,
        durationS: null,
        connectDurationS: null,
        customData: { x: { value: 2, data_type: 'number', source: 'Api' } },
      },
      {
        transactionId: 21,
        type: 'call',
        correctsTransactionId: 15,
        durationS: 30,
        connectDurationS: 30,
        customData: { s: { value: true, data_type: 'signal', source: 'AI' } },
      },
    ];
    const state = foldCallRows(rows);
    expect(state.call!.transactionId).toBe(21);
    expect([...state.chains.keys()]).toEqual([12]);
    expect(currentCustomData(state)).toEqual({
      s: { value: true, data_type: 'signal', source: 'AI' },
      x: { value: 2, data_type: 'number', source: 'Api' },
    });
  });
});
