import type { Executor } from '../context.ts';
import type { AccountRow } from '../accounts/repo.ts';
import { assert } from '../shared/errors.ts';
import { currencyMinorDigits } from '../money/money.ts';
import { chargeGroups, reverseChargeByInvoice, saveTotals } from './repo.ts';
import { CATEGORY_COLUMNS, type InvoiceTotalsRow } from './stored-totals-repo.ts';
import {
  CHARGE_CATEGORIES,
  type ChargeCategory,
  computeInvoiceTotals,
  stateFromStoredTotals,
  type TotalsState,
} from './totals.ts';

/**
 * Recomputes the stored totals of unsent invoices from their charges. Called in the same transaction as
 * every change to an unsent invoice's charges, so stored totals always match the lines.
 */
export async function recalculateInvoices(
  db: Executor,
  account: AccountRow,
  invoiceIds: number[],
  now: Date,
): Promise<void> {
  const ids = [...new Set(invoiceIds)];
  if (ids.length === 0) return;
  const minorDigits = currencyMinorDigits(account.currency);
  const groups = await chargeGroups(db, account.id, ids);
  const reverse = await reverseChargeByInvoice(db, account.id, ids);
  const totals = ids.map((invoiceId) => {
    const reverseCharge = reverse.get(invoiceId);
    assert(reverseCharge !== undefined, `invoice ${invoiceId} has no customer`);
    return {
      invoiceId,
      totals: computeInvoiceTotals(groups.get(invoiceId) ?? [], { minorDigits, reverseCharge }),
    };
  });
  await saveTotals(db, account.id, totals, now);
}

/** The totals state an invoice's stored totals describe (see TotalsState). */
export function storedTotalsState(invoice: InvoiceTotalsRow, minorDigits: number): TotalsState {
  const categories = {} as Record<ChargeCategory, string>;
  for (const c of CHARGE_CATEGORIES) categories[c] = invoice[CATEGORY_COLUMNS[c]] as string;
  return stateFromStoredTotals(
    {
      categories,
      vatLines: invoice.vat_breakdown,
      callCount: invoice.call_count,
      callMinutes: invoice.call_minutes,
    },
    minorDigits,
  );
}
