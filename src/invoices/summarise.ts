// Call charges on invoices: the rated calls that started before an invoice's cut-off (midnight in the
// account's timezone), summed per feature and destination into one `calls` charge each, with the call
// count, the billed minutes (the calls' billable seconds, increments applied, rounded to whole minutes) and
// the carrier cost. Each call records its invoice, so a
// line can be traced to its calls: the invoice's calls with the line's feature and destination.
import type { Executor } from '../context.ts';
import type { AccountRow } from '../accounts/repo.ts';
import type { InvoiceRow } from './repo.ts';
import { invoiceRowsSql } from './reports-repo.ts';
import { featureNamesAndRates } from '../features/repo.ts';
import { billedMinutes } from '../rating/rate-call.ts';
import { addDays, dateInZone, type IsoDate, startOfDayInZone } from '../shared/dates.ts';
import { currencyMinorDigits, formatAmount, money } from '../money/money.ts';
import { roundLine } from '../money/rounding.ts';
import { deleteCallSummaries, type GeneratedCharge, insertGeneratedCharges } from './transactions-repo.ts';
import { type MovedGroup } from './invoice-charges-repo.ts';
import { assignCallsToInvoices, type CallSummaryRow, releaseCalls } from '../calls/repo.ts';

/**
 * Summarises calls onto unsent invoices for a cut-off. Summaries already on them are made again (so a
 * second completion, or a new cut-off, gives one line per destination, never two). Returns the old
 * summaries removed and the new ones to insert.
 */
export async function summariseCalls(
  trx: Executor,
  account: AccountRow,
  invoiceIds: number[],
  cutoffDate: IsoDate,
): Promise<{ removed: MovedGroup[]; charges: GeneratedCharge[] }> {
  const removed = await deleteCallSummaries(trx, account.id, invoiceIds);
  // Every call on these invoices, not only those of the summaries just removed: a summary deleted by hand
  // must not leave its calls on the invoice with no line charging them.
  await releaseCalls(trx, account.id, invoiceIds);
  const summaries = await assignCallsToInvoices(
    trx,
    account.id,
    invoiceIds,
    startOfDayInZone(cutoffDate, account.timezone),
    invoiceRowsSql(),
  );
  // The groups come back in no particular order; lines go on the invoice by feature, then destination.
  summaries.sort(
    (a, b) =>
      a.invoiceId - b.invoiceId ||
      (a.featureId ?? 0) - (b.featureId ?? 0) ||
      (a.destination < b.destination ? -1 : a.destination > b.destination ? 1 : 0),
  );
  const featureIds = [...new Set(summaries.flatMap((s) => (s.featureId === null ? [] : [s.featureId])))];
  const features = await featureNamesAndRates(trx, account.id, featureIds);
  const digits = currencyMinorDigits(account.currency);
  const charges = summaries.map((s) =>
    callSummaryCharge(
      account,
      s,
      s.featureId === null ? undefined : features.get(s.featureId),
      cutoffDate,
      digits,
    ),
  );
  return { removed, charges };
}

/** Summarises an unsent invoice's calls again (after re-rating, or the updateCallTransactions action). */
export async function resummariseCalls(
  trx: Executor,
  account: AccountRow,
  invoice: InvoiceRow,
  now: Date,
): Promise<void> {
  if (invoice.cutoff_date === null) {
    // Never completed for a cut-off: its calls wait for that.
    await deleteCallSummaries(trx, account.id, [invoice.id]);
    await releaseCalls(trx, account.id, [invoice.id]);
    return;
  }
  const { charges } = await summariseCalls(trx, account, [invoice.id], invoice.cutoff_date);
  await insertGeneratedCharges(trx, charges, now);
}

/** One call-charge line: its value is the sum of the calls' charges rounded once, half-up, here. */
function callSummaryCharge(
  account: AccountRow,
  summary: CallSummaryRow,
  feature: { name: string; vatRate: string | null } | undefined,
  cutoffDate: IsoDate,
  minorDigits: number,
): GeneratedCharge {
  const lastDay = addDays(cutoffDate, -1);
  return {
    accountId: account.id,
    customerId: summary.customerId,
    featureId: summary.featureId,
    invoiceId: summary.invoiceId,
    origin: 'calls',
    type: 'calls',
    description: `${feature ? `${feature.name}: calls` : 'Calls'} to ${summary.destination}`,
    transactionDate: lastDay,
    billDate: lastDay,
    startDate: dateInZone(summary.firstStart, account.timezone),
    endDate: dateInZone(summary.lastStart, account.timezone),
    value: formatAmount(roundLine(money(summary.charge), minorDigits), minorDigits),
    vatRate: feature?.vatRate ?? account.default_vat_rate,
    valueCarrier: summary.cost,
    callCount: summary.callCount,
    // Billed minutes: the seconds the calls were billed for (a 100 s call at 60/60 bills 120 s), in whole
    // minutes rounded half up (the documents' "total minutes (rounded to whole minutes) billed").
    callMinutes: billedMinutes(summary.billableS),
    callDestination: summary.destination,
  };
}
