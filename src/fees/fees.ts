// Fees an invoice charges by the account's settings. Pure code.
//   late fee          - a fixed fee, once, for each earlier invoice of the customer that is overdue
//                       (unpaid after its due date) at the cut-off;
//   interest          - simple interest on each overdue balance, by day (rate a year / 365), from the due
//                       date (or where interest was last charged to) up to the cut-off;
//   low usage fee     - when the invoice's charges come to less than the minimum spend, the shortfall;
//   manual billing fee - a fixed fee on each invoice of a customer billed by post.
import { addDays, daysBetween, type IsoDate, maxDate } from '../shared/dates.ts';
import { formatAmount, formatAmountAtLeast, formatDecimal, money } from '../money/money.ts';
import { roundLine } from '../money/rounding.ts';

export interface OverdueInvoice {
  id: number;
  number: string;
  outstanding: string;
  dueDate: IsoDate;
  lateFeeCharged: boolean;
  /** Interest charged up to this date (exclusive); null: none yet. */
  interestUntil: IsoDate | null;
}

export interface FeeLine {
  type: 'lateFee' | 'interest' | 'lowUsage' | 'manualBilling';
  description: string;
  value: string;
  /** The overdue invoice a late fee or interest is for. */
  sourceInvoiceId: number | null;
  startDate: IsoDate | null;
  endDate: IsoDate | null;
}

export interface FeeSettings {
  lateFee: string | null;
  /** Percent a year. */
  interestRate: string | null;
  lowUsageMinimum: string | null;
  manualBillingFee: string | null;
}

/** Late fees and interest on a customer's overdue invoices at a cut-off. */
export function overdueFees(
  overdue: readonly OverdueInvoice[],
  settings: FeeSettings,
  cutoff: IsoDate,
  minorDigits: number,
): FeeLine[] {
  const out: FeeLine[] = [];
  for (const invoice of overdue) {
    if (!money(invoice.outstanding).greaterThan(0) || invoice.dueDate >= cutoff) continue;
    if (settings.lateFee && money(settings.lateFee).greaterThan(0) && !invoice.lateFeeCharged) {
      out.push({
        type: 'lateFee',
        description: `Late payment fee: invoice ${invoice.number} was due ${invoice.dueDate}`,
        value: formatAmount(roundLine(money(settings.lateFee), minorDigits), minorDigits),
        sourceInvoiceId: invoice.id,
        startDate: null,
        endDate: null,
      });
    }
    if (settings.interestRate && money(settings.interestRate).greaterThan(0)) {
      // Interest runs from the day after the due date.
      const from = maxDate(addDays(invoice.dueDate, 1), invoice.interestUntil ?? addDays(invoice.dueDate, 1));
      const days = daysBetween(from, cutoff);
      if (days <= 0) continue;
      const interest = roundLine(
        money(invoice.outstanding).times(settings.interestRate).dividedBy(100).times(days).dividedBy(365),
        minorDigits,
      );
      if (!interest.greaterThan(0)) continue;
      out.push({
        type: 'interest',
        description: `Interest at ${formatDecimal(settings.interestRate)}% a year on ${formatAmountAtLeast(invoice.outstanding, minorDigits)} overdue on invoice ${invoice.number}, ${days} day${days === 1 ? '' : 's'}`,
        value: formatAmount(interest, minorDigits),
        sourceInvoiceId: invoice.id,
        startDate: from,
        endDate: addDays(cutoff, -1),
      });
    }
  }
  return out;
}

/** The low-usage fee for an invoice whose other charges come to `net`. */
export function lowUsageFee(net: string, settings: FeeSettings, minorDigits: number): FeeLine | undefined {
  if (!settings.lowUsageMinimum) return undefined;
  const shortfall = money(settings.lowUsageMinimum).minus(net);
  if (!shortfall.greaterThan(0)) return undefined;
  return {
    type: 'lowUsage',
    description: `Low usage fee: minimum spend ${formatAmountAtLeast(settings.lowUsageMinimum, minorDigits)}`,
    value: formatAmount(roundLine(shortfall, minorDigits), minorDigits),
    sourceInvoiceId: null,
    startDate: null,
    endDate: null,
  };
}

export function manualBillingFee(
  billedByPost: boolean,
  settings: FeeSettings,
  minorDigits: number,
): FeeLine | undefined {
  if (!billedByPost || !settings.manualBillingFee || !money(settings.manualBillingFee).greaterThan(0))
    return undefined;
  return {
    type: 'manualBilling',
    description: 'Manual billing fee (bill by post)',
    value: formatAmount(roundLine(money(settings.manualBillingFee), minorDigits), minorDigits),
    sourceInvoiceId: null,
    startDate: null,
    endDate: null,
  };
}
