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

/**
 * What an invoice's totals are made of: the sum of each category, the net of each VAT rate, and the call
 * counts. It is enough to compute every total, and charges can be added to or taken from it, so a billing
 * run can update totals from the charges it moves instead of re-reading every charge on the invoice.
 */
export interface TotalsState {
  categories: Record<ChargeCategory, Money>;
  /** VAT rate (canonical string, e.g. "20") -> net amount at that rate. */
  rateNets: Map<string, Money>;
  callCount: number;
  callMinutes: number;
}

export function emptyTotalsState(): TotalsState {
  return {
    categories: Object.fromEntries(CHARGE_CATEGORIES.map((c) => [c, ZERO])) as Record<ChargeCategory, Money>,
    rateNets: new Map(),
    callCount: 0,
    callMinutes: 0,
  };
}

/** Adds (sign 1) or takes away (sign -1) charge groups. Returns a new state. */
export function applyChargeGroups(state: TotalsState, groups: readonly ChargeGroup[], sign: 1 | -1, minorDigits: number): TotalsState {
  const next: TotalsState = {
    categories: { ...state.categories },
    rateNets: new Map(state.rateNets),
    callCount: state.callCount,
    callMinutes: state.callMinutes,
  };
  for (const group of groups) {
    const value = money(group.value);
    assert(value.decimalPlaces() <= minorDigits, `charge group value ${group.value} is finer than the minor unit`);
    const category = CATEGORY_OF_TYPE[group.type];
    assert(category !== undefined, `unknown transaction type ${group.type}`);
    const signed = sign === 1 ? value : value.negated();
    next.categories[category] = next.categories[category].plus(signed);
    const rate = formatDecimal(group.vatRate);
    next.rateNets.set(rate, (next.rateNets.get(rate) ?? ZERO).plus(signed));
    next.callCount += sign * group.callCount;
    next.callMinutes += sign * group.callMinutes;
  }
  return next;
}

export function computeInvoiceTotals(groups: readonly ChargeGroup[], options: TotalsOptions): InvoiceTotals {
  return totalsFromState(applyChargeGroups(emptyTotalsState(), groups, 1, options.minorDigits), options);
}

/** Every total of an invoice from its state. VAT lines are listed for rates with a non-zero net. */
export function totalsFromState(state: TotalsState, options: TotalsOptions): InvoiceTotals {
  const digits = options.minorDigits;
  const vatBreakdown: VatLine[] = [...state.rateNets.entries()]
    .filter(([, net]) => !net.isZero())
    .sort(([a], [b]) => money(a).comparedTo(money(b)))
    .map(([rate, net]) => ({
      rate,
      net: formatAmount(net, digits),
      vat: formatAmount(roundTo(net.times(rate).dividedBy(100), digits), digits),
    }));

  const net = CHARGE_CATEGORIES.reduce((a, c) => a.plus(state.categories[c]), ZERO);
  const vatDue = vatBreakdown.reduce((a, line) => a.plus(line.vat), ZERO);
  const vat = options.reverseCharge ? ZERO : vatDue;
  const reverseVat = options.reverseCharge ? vatDue : ZERO;
  const total = net.plus(vat);

  // The invariants the bill relies on.
  assert(vatBreakdown.reduce((a, l) => a.plus(l.net), ZERO).equals(net), 'VAT groups must cover the net amount');
  assert(total.minus(vat).equals(net), 'net + VAT = total');
  assert(state.callCount >= 0 && state.callMinutes >= 0, 'call counts are never negative');

  const charges = Object.fromEntries(CHARGE_CATEGORIES.map((c) => [c, formatAmount(state.categories[c], digits)])) as Record<ChargeCategory, string>;
  return {
    charges,
    net: formatAmount(net, digits),
    nonCall: formatAmount(net.minus(state.categories.calls), digits),
    vat: formatAmount(vat, digits),
    reverseVat: formatAmount(reverseVat, digits),
    total: formatAmount(total, digits),
    callCount: state.callCount,
    callMinutes: state.callMinutes,
    vatBreakdown,
  };
}
