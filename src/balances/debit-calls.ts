// Calls debited as they are stored and rated, exactly once: the entries of a call always add up to its
// rated charge plus VAT, for the customer it belongs to. A new call gets a 'call' entry; re-rating (a new
// price, or the call moving to another customer) adds 'call_correction' entries for the difference, never
// a change to an earlier entry. Set-based: one statement finds the differences for a whole ingest batch or
// re-rating page; the entries are then posted under the balance rows' locks.
import type { Executor } from '../context.ts';
import { assert } from '../shared/errors.ts';
import { money } from '../money/money.ts';
import type { NewEntry } from './post.ts';
import { accountUnderCreditControl, callDebitDiffs, type CallDebitDiff } from './repo.ts';

/**
 * What the ingest hook must do for an account: debit calls, match reservations, or nothing. One indexed
 * read per batch (an account with neither pays only that).
 */
export function creditControlOf(
  db: Executor,
  accountId: number,
): Promise<{ balances: boolean; reservations: boolean }> {
  return accountUnderCreditControl(db, accountId);
}

export function callEntries(diffs: readonly CallDebitDiff[]): Map<number, NewEntry[]> {
  const byCustomer = new Map<number, NewEntry[]>();
  for (const d of diffs) {
    const amount = money(d.amount);
    assert(!amount.isZero(), 'a call diff moves money');
    const list = byCustomer.get(d.customerId) ?? [];
    list.push({
      kind: d.first ? 'call' : 'call_correction',
      amount,
      vat: d.first ? money(d.vat) : null,
      callId: d.callId,
      description: d.first
        ? `call to ${d.toNumber ?? '?'} (${d.durationS ?? 0} s)`
        : `call ${d.callId} re-rated`,
    });
    byCustomer.set(d.customerId, list);
  }
  return byCustomer;
}

/** The debits and corrections still due for these calls (after re-rating them). */
export async function callDiffsFor(
  db: Executor,
  accountId: number,
  callIds: readonly number[],
): Promise<CallDebitDiff[]> {
  if (callIds.length === 0) return [];
  return callDebitDiffs(db, accountId, { ids: callIds });
}

/** The debits of calls this transaction stored above `newAbove`. */
export async function newCallDiffs(
  db: Executor,
  accountId: number,
  newAbove: number,
): Promise<CallDebitDiff[]> {
  return callDebitDiffs(db, accountId, { newAbove });
}
