// The hook of call ingestion and re-rating into credit control, called inside the storing transaction
// before the feed rows are written (the feed lock stays the last lock):
//   - every new rated call of a customer with a ledger is debited (its charge plus VAT), once;
//   - a call that matches an active reservation (by the switch's call id, or by its numbers and start)
//     settles it: the reservation's hold is released in the same post, so the balance moves from "held"
//     to "spent" in one step. An expired or released reservation is not touched again: the call is still
//     debited, once. A CDR sent twice is stored once, so it debits once.
//   - re-rated calls get correction entries for any difference.
import type { Executor } from '../context.ts';
import { callDiffsFor, callEntries, creditControlOf, newCallDiffs } from '../balances/debit-calls.ts';
import { postEntries, type NewEntry } from '../balances/post.ts';
import { lockBalances } from '../balances/repo.ts';
import { money } from '../money/money.ts';
import {
  lockReservations,
  reservationsForNewCalls,
  updateReservation,
} from '../balances/reservations-repo.ts';

export async function onCallsStored(
  trx: Executor,
  accountId: number,
  newAbove: number,
  now: Date,
): Promise<void> {
  const control = await creditControlOf(trx, accountId);
  if (!control.balances && !control.reservations) return;
  const diffs = control.balances ? await newCallDiffs(trx, accountId, newAbove) : [];
  // One reservation per call and one call per reservation: by call id first, then the nearest start.
  const chosen = new Map<number, { callId: number; customerId: number }>();
  if (control.reservations) {
    const usedCalls = new Set<number>();
    for (const m of await reservationsForNewCalls(trx, accountId, newAbove)) {
      if (chosen.has(m.reservation_id) || usedCalls.has(m.call_id)) continue;
      chosen.set(m.reservation_id, { callId: m.call_id, customerId: m.customer_id });
      usedCalls.add(m.call_id);
    }
  }
  if (diffs.length === 0 && chosen.size === 0) return;
  const customers = [
    ...new Set([...diffs.map((d) => d.customerId), ...[...chosen.values()].map((c) => c.customerId)]),
  ];
  const locked = await lockBalances(trx, accountId, customers);
  const entries = callEntries(diffs);
  const reservations = await lockReservations(trx, accountId, [...chosen.keys()]);
  for (const r of reservations) {
    if (r.status !== 'active') continue;
    const call = chosen.get(r.id)!;
    if (money(r.amount).greaterThan(0)) {
      const list: NewEntry[] = entries.get(r.customer_id) ?? [];
      list.push({
        kind: 'release',
        amount: money(r.amount),
        reservationId: r.id,
        callId: call.callId,
        description: 'reservation settled by the call',
      });
      entries.set(r.customer_id, list);
    }
    await updateReservation(trx, accountId, r.id, {
      status: 'settled',
      settled_call_id: call.callId,
      ended_at: now,
      updated_at: now,
    });
  }
  const lockedIds = new Set(locked.map((b) => b.customer_id));
  for (const id of [...entries.keys()]) if (!lockedIds.has(id)) entries.delete(id);
  await postEntries(trx, accountId, locked, entries, now);
}

export async function onCallsRerated(
  trx: Executor,
  accountId: number,
  callIds: readonly number[],
  now: Date,
): Promise<void> {
  const control = await creditControlOf(trx, accountId);
  if (!control.balances) return;
  const diffs = await callDiffsFor(trx, accountId, callIds);
  if (diffs.length === 0) return;
  const locked = await lockBalances(
    trx,
    accountId,
    diffs.map((d) => d.customerId),
  );
  await postEntries(trx, accountId, locked, callEntries(diffs), now);
}
