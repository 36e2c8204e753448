// Posting entries: the one way money moves in a ledger. The caller's transaction holds the balance rows'
// locks (lockBalances); this computes each entry's running totals from the locked row, inserts the entries
// and writes the new totals in two statements however many entries there are, then lets the alerts and the
// automatic top-up react to the change (in the same transaction, so what they queue commits with it).
import type { Executor } from '../context.ts';
import type { BalanceEntryRow, EntryKind } from './repo.ts';
import { dateInZone } from '../shared/dates.ts';
import { assert } from '../shared/errors.ts';
import { money, type Money } from '../money/money.ts';
import { afterLedgerChange } from './after-change.ts';
import { applyEntry, isSpend, type LedgerTotals } from './ledger.ts';
import { insertEntriesAndTotals, type EntryInsert, type LockedBalance, type TotalsUpdate } from './repo.ts';

export interface NewEntry {
  kind: EntryKind;
  /** The change to what is available (see ledger.ts). */
  amount: Money;
  vat?: Money | null;
  callId?: number | null;
  reservationId?: number | null;
  invoiceId?: number | null;
  topUpId?: number | null;
  paymentId?: number | null;
  description?: string | null;
}

export interface Posted {
  customerId: number;
  before: LedgerTotals;
  after: LedgerTotals;
  entries: BalanceEntryRow[];
}

/** Most entries one call posts (an ingest batch's calls are fewer). */
const MAX_ENTRIES = 20_000;

/**
 * Posts entries to locked balances. `locked` are the rows as lockBalances returned them (the current
 * totals); `entries` the new entries per customer, in the order they happen.
 */
export async function postEntries(
  trx: Executor,
  accountId: number,
  locked: readonly LockedBalance[],
  entries: ReadonlyMap<number, readonly NewEntry[]>,
  now: Date,
): Promise<Posted[]> {
  const byCustomer = new Map(locked.map((b) => [b.customer_id, b]));
  const inserts: EntryInsert[] = [];
  const updates: TotalsUpdate[] = [];
  const results: Omit<Posted, 'entries'>[] = [];
  let total = 0;
  for (const [customerId, list] of entries) {
    if (list.length === 0) continue;
    total += list.length;
    assert(total <= MAX_ENTRIES, `at most ${MAX_ENTRIES} entries per post`);
    const row = byCustomer.get(customerId);
    assert(row, `balance of customer ${customerId} must be locked before posting to it`);
    const before: LedgerTotals = { balance: money(row.balance), reserved: money(row.reserved) };
    let totals = before;
    let seq = Number(row.entries);
    const today = dateInZone(now, row.timezone);
    const month = today.slice(0, 7);
    let spendDay = row.spend_day === today ? money(row.spend_day_amount) : money(0);
    let spendMonth = row.spend_month === month ? money(row.spend_month_amount) : money(0);
    for (const e of list) {
      totals = applyEntry(totals, e.kind, e.amount);
      seq += 1;
      if (isSpend(e.kind)) {
        spendDay = spendDay.minus(e.amount);
        spendMonth = spendMonth.minus(e.amount);
      }
      inserts.push({
        account_id: accountId,
        customer_id: customerId,
        seq,
        kind: e.kind,
        amount: e.amount.toFixed(),
        vat_amount: e.vat == null ? null : e.vat.toFixed(),
        currency: row.currency,
        balance_after: totals.balance.toFixed(),
        reserved_after: totals.reserved.toFixed(),
        call_id: e.callId ?? null,
        reservation_id: e.reservationId ?? null,
        invoice_id: e.invoiceId ?? null,
        top_up_id: e.topUpId ?? null,
        payment_id: e.paymentId ?? null,
        description: e.description ?? null,
        created_at: now,
      });
    }
    updates.push({
      customerId,
      balance: totals.balance.toFixed(),
      reserved: totals.reserved.toFixed(),
      entries: seq,
      spendDay: today,
      spendDayAmount: spendDay.toFixed(),
      spendMonth: month,
      spendMonthAmount: spendMonth.toFixed(),
    });
    // Keep the caller's copy current: it may post again in the same transaction.
    row.balance = totals.balance.toFixed();
    row.reserved = totals.reserved.toFixed();
    row.entries = seq;
    row.spend_day = today;
    row.spend_day_amount = spendDay.toFixed();
    row.spend_month = month;
    row.spend_month_amount = spendMonth.toFixed();
    results.push({ customerId, before, after: totals });
  }
  const rows = await insertEntriesAndTotals(trx, accountId, inserts, updates, now);
  const posted = results.map((r) => ({ ...r, entries: rows.filter((e) => e.customer_id === r.customerId) }));
  await afterLedgerChange(
    trx,
    accountId,
    posted.map((p) => ({
      balance: byCustomer.get(p.customerId)!,
      before: p.before,
      after: p.after,
      spent: p.entries.some((e) => isSpend(e.kind)),
    })),
    now,
  );
  return posted;
}

/** Posts entries to one customer's locked balance. */
export async function postToOne(
  trx: Executor,
  accountId: number,
  locked: LockedBalance,
  entries: readonly NewEntry[],
  now: Date,
): Promise<Posted> {
  const [posted] = await postEntries(trx, accountId, [locked], new Map([[locked.customer_id, entries]]), now);
  assert(posted, 'one customer posted');
  return posted;
}
