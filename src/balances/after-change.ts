// What reacts to a ledger change, inside the changing transaction: threshold alerts (src/alerts/) and the
// automatic top-up (queued in the outbox when the balance falls below its threshold).
import { checkAlerts } from '../alerts/check-alerts.ts';
import type { Executor } from '../context.ts';
import { dateInZone } from '../shared/dates.ts';
import { money } from '../money/money.ts';
import { enqueue } from '../outbox/repo.ts';
import { availableOf, creditUsedPercent, type LedgerTotals } from './ledger.ts';
import { insertAutoTopUp, type LockedBalance } from './repo.ts';

export interface LedgerChange {
  balance: LockedBalance;
  before: LedgerTotals;
  after: LedgerTotals;
  /** Calls were debited (spend alerts look again). */
  spent: boolean;
}

export interface AutoTopUpJob {
  topUpId: number;
}

export async function afterLedgerChange(
  trx: Executor,
  accountId: number,
  changes: readonly LedgerChange[],
  now: Date,
): Promise<void> {
  for (const c of changes) {
    const b = c.balance;
    const terms = { mode: b.billing_mode, creditLimit: b.credit_limit, overdraft: b.overdraft };
    const today = dateInZone(now, b.timezone);
    await checkAlerts(
      trx,
      {
        accountId,
        customerId: b.customer_id,
        currency: b.currency,
        balance: c.after.balance,
        reserved: c.after.reserved,
        creditLimit: b.credit_limit,
        hasEmail: b.customer_email !== null,
        hasMobile: b.customer_mobile !== null,
        values: {
          available: availableOf(c.after, terms),
          creditUsedPercent: creditUsedPercent(c.after, terms),
          spentToday: b.spend_day === today ? money(b.spend_day_amount) : money(0),
          today,
          spentThisMonth: b.spend_month === today.slice(0, 7) ? money(b.spend_month_amount) : money(0),
          month: today.slice(0, 7),
        },
      },
      now,
    );
    // Automatic top-up: once per fall below the threshold (and one pending at a time).
    if (
      b.billing_mode === 'prepaid' &&
      b.auto_top_up_enabled &&
      b.auto_top_up_threshold !== null &&
      b.auto_top_up_amount !== null &&
      b.auto_top_up_card_token !== null
    ) {
      const threshold = money(b.auto_top_up_threshold);
      if (c.before.balance.greaterThanOrEqualTo(threshold) && c.after.balance.lessThan(threshold)) {
        const topUpId = await insertAutoTopUp(
          trx,
          accountId,
          b.customer_id,
          b.auto_top_up_amount,
          b.currency,
          now,
        );
        if (topUpId !== undefined) {
          await enqueue(trx, {
            accountId,
            kind: 'balance.auto_top_up',
            payload: { topUpId } satisfies AutoTopUpJob,
            dedupeKey: `auto-top-up:${topUpId}`,
            now,
          });
        }
      }
    }
  }
}
