import type { Executor } from '../context.ts';
import type { AccountRow } from '../db/schema.ts';
import { assert } from '../shared/errors.ts';
import { currencyMinorDigits } from '../shared/money.ts';
import { chargeGroups, reverseChargeByInvoice, saveTotals } from './repo.ts';
import { computeInvoiceTotals } from './totals.ts';

/**
 * Recomputes the stored totals of unsent invoices from their charges. Called in the same transaction as
 * every change to an unsent invoice's charges, so stored totals always match the lines.
 */
export async function recalculateInvoices(db: Executor, account: AccountRow, invoiceIds: number[], now: Date): Promise<void> {
  const ids = [...new Set(invoiceIds)];
  if (ids.length === 0) return;
  const minorDigits = currencyMinorDigits(account.currency);
  const groups = await chargeGroups(db, account.id, ids);
  const reverse = await reverseChargeByInvoice(db, account.id, ids);
  const totals = ids.map((invoiceId) => {
    const reverseCharge = reverse.get(invoiceId);
    assert(reverseCharge !== undefined, `invoice ${invoiceId} has no customer`);
    return { invoiceId, totals: computeInvoiceTotals(groups.get(invoiceId) ?? [], { minorDigits, reverseCharge }) };
  });
  await saveTotals(db, account.id, totals, now);
}
