// What reacts to a ledger change, inside the changing transaction: threshold alerts (src/alerts/) and the
// automatic top-up (queued in the outbox when the balance falls below its threshold).
import type { Executor } from '../context.ts';
import type { LedgerTotals } from './ledger.ts';
import type { LockedBalance } from './repo.ts';

export interface LedgerChange {
  balance: LockedBalance;
  before: LedgerTotals;
  after: LedgerTotals;
  /** Calls were debited (spend alerts look again). */
  spent: boolean;
}

export async function afterLedgerChange(_trx: Executor, _accountId: number, _changes: readonly LedgerChange[], _now: Date): Promise<void> {
  // Filled in by the alerts and automatic top-up steps.
}
