// Changing what the feed shows of a call by hand: its payout and its notes. Each change that alters the
// call appends a correction row with the whole corrected record (the earlier rows' durations cleared).
import { lockCall, updateCallFeedFields } from '../calls/repo.ts';
import type { Ctx } from '../context.ts';
import { invalid, notFound } from '../shared/errors.ts';
import { isDecimalString } from '../money/money.ts';
import { recordCallCorrections } from './record.ts';
import type { FeedRowsWritten } from './repo.ts';

const MAX_NOTES = 10_000;

export interface CallFeedChange {
  /** Decimal string, or null to clear. */
  payout?: string | null | undefined;
  /** Replaces the call's notes (null clears them). */
  notes?: string | null | undefined;
  /** Added to the notes on a new line. */
  addNote?: string | undefined;
}

export async function updateCallForFeed(
  ctx: Ctx,
  accountId: number,
  callId: number,
  change: CallFeedChange,
): Promise<FeedRowsWritten | undefined> {
  if (change.payout !== undefined && change.payout !== null && !isDecimalString(change.payout))
    throw invalid('payout', 'must be an amount, e.g. "12.50" (at most 6 decimals)');
  if (change.notes !== undefined && change.addNote !== undefined)
    throw invalid('addNote', 'send notes or addNote, not both');
  if (change.notes !== undefined && change.notes !== null && change.notes.length > MAX_NOTES)
    throw invalid('notes', `at most ${MAX_NOTES} characters`);
  if (change.addNote !== undefined && (change.addNote.trim() === '' || change.addNote.length > MAX_NOTES))
    throw invalid('addNote', `must be 1 to ${MAX_NOTES} characters`);
  return ctx.db.transaction().execute(async (trx) => {
    const call = await lockCall(trx, accountId, callId);
    if (!call) throw notFound('Call', callId);
    let notes = change.notes;
    if (change.addNote !== undefined)
      notes = call.notes ? `${call.notes}\n${change.addNote}` : change.addNote;
    if (notes !== undefined && notes !== null && notes.length > MAX_NOTES)
      throw invalid('addNote', `the call's notes would be longer than ${MAX_NOTES} characters`);
    await updateCallFeedFields(trx, accountId, callId, { payout: change.payout, notes });
    return recordCallCorrections(trx, accountId, [callId], ctx.now());
  });
}
