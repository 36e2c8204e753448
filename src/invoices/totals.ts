// Invoice totals from its charges. Pure code, no I/O.
//
// Each charge value is already at the currency's minor unit (see shared/money.ts), so category totals and
// the net amount are exact sums. VAT is computed per VAT-rate group: the group's net times the rate,
// rounded half-up to the minor unit once per group. A reverse-charge customer pays no VAT; the VAT that
// would have been due is reported as invoiceReverseVAT instead.
import { assert } from '../shared/errors.ts';
import { formatAmount, formatDecimal, money, type Money, roundTo, ZERO } from '../shared/money.ts';
import type { TransactionType } from '../transactions/types.ts';

/** The charges of one invoice, summed by type and VAT rate (what a GROUP BY returns). */
export interface ChargeGroup {
  type: TransactionType;
  vatRate: string;
  value: string;
  callCount: number;
  callMinutes: number;
}

export const CATEGORY_OF_TYPE = {
  oneOff: 'oneOff',
  recurring: 'recurring',
  calls: 'calls',
  refund: 'refunds',
  lateFee: 'late',
  interest: 'interest',
  carrierProvided: 'carrierProvided',
  manualBilling: 'manualBilling',
  lowUsage: 'lowUsage',
  manual: 'manual',
  discount: 'discount',
} as const satisfies Record<TransactionType, string>;

export type ChargeCategory = (typeof CATEGORY_OF_TYPE)[TransactionType];

export const CHARGE_CATEGORIES: readonly ChargeCategory[] = [
  'oneOff',
  'recurring',
  'calls',
  'refunds',
  'late',
  'interest',
  'carrierProvided',
  'manualBilling',
  'lowUsage',
  'manual',
  'discount',
];

export interface VatLine {
  rate: string;
  net: string;
  vat: string;
}

export interface InvoiceTotals {
  charges: Record<ChargeCategory, string>;
  /** Net amount: the sum of all categories. */
  net: string;
  /** Everything except call charges. */
  nonCall: string;
  vat: string;
  reverseVat: string;
  total: string;
  callCount: number;
  callMinutes: number;
  vatBreakdown: VatLine[];
}

export interface TotalsOptions {
  minorDigits: number;
  reverseCharge: boolean;
}

export function computeInvoiceTotals(groups: readonly ChargeGroup[], options: TotalsOptions): InvoiceTotals {
  const digits = options.minorDigits;
  const byCategory = new Map<ChargeCategory, Money>(CHARGE_CATEGORIES.map((c) => [c, ZERO]));
  const byRate = new Map<string, Money>();
  let callCount = 0;
  let callMinutes = 0;
  for (const group of groups) {
    const value = money(group.value);
    assert(value.decimalPlaces() <= digits, `charge group value ${group.value} is finer than the minor unit`);
    const category = CATEGORY_OF_TYPE[group.type];
    assert(category !== undefined, `unknown transaction type ${group.type}`);
    byCategory.set(category, byCategory.get(category)!.plus(value));
    const rate = formatDecimal(group.vatRate);
    byRate.set(rate, (byRate.get(rate) ?? ZERO).plus(value));
    callCount += group.callCount;
    callMinutes += group.callMinutes;
  }

  const vatBreakdown: VatLine[] = [...byRate.entries()]
    .sort(([a], [b]) => money(a).comparedTo(money(b)))
    .map(([rate, net]) => ({
      rate,
      net: formatAmount(net, digits),
      vat: formatAmount(roundTo(net.times(rate).dividedBy(100), digits), digits),
    }));

  const net = [...byCategory.values()].reduce((a, b) => a.plus(b), ZERO);
  const vatDue = vatBreakdown.reduce((a, line) => a.plus(line.vat), ZERO);
  const vat = options.reverseCharge ? ZERO : vatDue;
  const reverseVat = options.reverseCharge ? vatDue : ZERO;
  const total = net.plus(vat);
  const calls = byCategory.get('calls')!;

  // The invariants the bill relies on.
  assert(vatBreakdown.reduce((a, l) => a.plus(l.net), ZERO).equals(net), 'VAT groups must cover the net amount');
  assert(total.minus(vat).equals(net), 'net + VAT = total');

  const charges = Object.fromEntries(CHARGE_CATEGORIES.map((c) => [c, formatAmount(byCategory.get(c)!, digits)])) as Record<ChargeCategory, string>;
  return {
    charges,
    net: formatAmount(net, digits),
    nonCall: formatAmount(net.minus(calls), digits),
    vat: formatAmount(vat, digits),
    reverseVat: formatAmount(reverseVat, digits),
    total: formatAmount(total, digits),
    callCount,
    callMinutes,
    vatBreakdown,
  };
}
