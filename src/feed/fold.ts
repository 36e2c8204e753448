// Correction folding: what a client of the feed does with a call's rows (document 000: "when you receive a
// correction, replace the original transaction's attributes with the new attributes from the correction").
// Pure: the same function serves Ringbill's own view of a call and the property tests of the invariants
// (a correction chain folds to its last version; durations summed over the feed equal the true total).

export type FoldRowType = 'call' | 'post_call_event' | 'signal' | 'sale';

export interface CustomDataValue {
  value: unknown;
  data_type: string;
  source: string;
}

/** The part of a feed row that folding looks at (the rest travels along in `record`). */
export interface FoldRow<Record = unknown> {
  transactionId: number;
  type: FoldRowType;
  correctsTransactionId: number | null;
  durationS: number | null;
  connectDurationS: number | null;
  customData: { [apiName: string]: CustomDataValue } | null;
  record?: Record;
}

export interface CallState<Record = unknown> {
  /** The call's current record: the last row of the chain that starts with its call row. */
  call: FoldRow<Record> | undefined;
  /** Every other chain (post-call events, signals, sales), by the id of the row that started it: its last row. */
  chains: Map<number, FoldRow<Record>>;
  /** Which chain each row belongs to (its root's id). */
  rootOf: Map<number, number>;
  callRoot: number | undefined;
}

export function emptyCallState<R>(): CallState<R> {
  return { call: undefined, chains: new Map(), rootOf: new Map(), callRoot: undefined };
}

/**
 * Applies one row (rows come in transaction id order). A correction replaces the latest row of the chain
 * it points into; any other row starts a chain. Returns the same state object, changed.
 */
export function applyRow<R>(state: CallState<R>, row: FoldRow<R>): CallState<R> {
  const root =
    row.correctsTransactionId === null
      ? row.transactionId
      : (state.rootOf.get(row.correctsTransactionId) ?? row.correctsTransactionId);
  state.rootOf.set(row.transactionId, root);
  if (row.type === 'call') {
    if (state.callRoot === undefined) state.callRoot = root;
    if (root === state.callRoot) {
      state.call = row;
      return state;
    }
  }
  state.chains.set(root, row);
  return state;
}

/** Folds a call's rows (in any order: they are sorted by transaction id) to its current state. */
export function foldCallRows<R>(rows: readonly FoldRow<R>[]): CallState<R> {
  const sorted = [...rows].sort((a, b) => a.transactionId - b.transactionId);
  return sorted.reduce((state, row) => applyRow(state, row), emptyCallState<R>());
}

/**
 * The call's signals and custom data now: its own (on the call record), then each post-call event's and
 * signal's in the order they were last written (later values win).
 */
export function currentCustomData<R>(state: CallState<R>): { [apiName: string]: CustomDataValue } {
  const merged: { [apiName: string]: CustomDataValue } = { ...(state.call?.customData ?? {}) };
  const chains = [...state.chains.values()].sort((a, b) => a.transactionId - b.transactionId);
  for (const row of chains) Object.assign(merged, row.customData ?? {});
  return merged;
}

/**
 * What writing a correction of the call record does to the rows already written: the duration fields of
 * every earlier row of the call are cleared (the feed's repo does the same in SQL, clearDurations).
 */
export function clearEarlierDurations<R>(rows: readonly FoldRow<R>[]): FoldRow<R>[] {
  return rows.map((r) =>
    r.durationS === null && r.connectDurationS === null
      ? r
      : { ...r, durationS: null, connectDurationS: null },
  );
}

/** Durations summed over rows, as a warehouse summing the feed would (null counts as nothing). */
export function totalDuration(rows: readonly FoldRow[]): { durationS: number; connectDurationS: number } {
  let durationS = 0;
  let connectDurationS = 0;
  for (const r of rows) {
    durationS += r.durationS ?? 0;
    connectDurationS += r.connectDurationS ?? 0;
  }
  return { durationS, connectDurationS };
}
