// A call as its feed rows fold to it (fold.ts): what a client of the feed holds for the call once it has
// applied every correction. The backend shows it at GET /calls/{id}/feed.
import type { Ctx } from '../context.ts';
import type { CallTransactionRow } from './repo.ts';
import { notFound } from '../shared/errors.ts';
import {
  currentCustomData,
  type CustomDataValue,
  foldCallRows,
  type FoldRow,
  totalDuration,
} from './fold.ts';
import { callRows } from './repo.ts';

export interface CallFeedState {
  callId: number;
  rows: CallTransactionRow[];
  call: CallTransactionRow | undefined;
  /** Post-call events, signal and sale rows: the last row of each. */
  others: CallTransactionRow[];
  customData: Record<string, CustomDataValue>;
  /** Durations summed over all the call's rows (equal to the call record's, as earlier rows are cleared). */
  durationS: number;
  connectDurationS: number;
}

export function toFoldRow(row: CallTransactionRow): FoldRow<CallTransactionRow> {
  return {
    transactionId: row.transaction_id,
    type: row.transaction_type,
    correctsTransactionId: row.corrects_transaction_id,
    durationS: row.duration_s,
    connectDurationS: row.connect_duration_s,
    customData: (row.custom_data as Record<string, CustomDataValue> | null) ?? null,
    record: row,
  };
}

export async function callFeedState(ctx: Ctx, accountId: number, callId: number): Promise<CallFeedState> {
  const rows = await callRows(ctx.db, accountId, callId);
  if (rows.length === 0) throw notFound('Call', callId);
  const folded = rows.map(toFoldRow);
  const state = foldCallRows(folded);
  const totals = totalDuration(folded);
  return {
    callId,
    rows,
    call: state.call?.record,
    others: [...state.chains.values()]
      .sort((a, b) => a.transactionId - b.transactionId)
      .map((r) => r.record!),
    customData: currentCustomData(state),
    durationS: totals.durationS,
    connectDurationS: totals.connectDurationS,
  };
}
