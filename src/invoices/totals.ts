// Invoice totals from its charges. Pure code, no I/O.
//
// Each charge value is already at the currency's minor unit (line rounding, src/money/rounding.ts), so category totals and
// the net amount are exact sums. VAT is computed per VAT-rate group: the group's net times the rate,
// rounded half-up to the minor unit once per group. A reverse-charge customer pays no VAT; the VAT that
// would have been due is reported as invoiceReverseVAT instead.
import { assert } from '../shared/errors.ts';
import { formatDecimal, fromMinorUnits, toMinorUnits } from '../money/money.ts';
import { TAX_RATE_SCALE, taxMinor } from '../money/rounding.ts';
import type { TransactionType } from '../shared/transaction-types.ts';

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
 * counts, in integer minor units (exact, and fast: a billing run computes thousands of these). It is enough
 * to compute every total, and charges can be added to or taken from it, so a billing run can update totals
 * from the charges it moves instead of re-reading every charge on the invoice.
 */
export interface TotalsState {
  categories: Record<ChargeCategory, bigint>;
  /** VAT rate (canonical string, e.g. "20") -> net amount at that rate, in minor units. */
  rateNets: Map<string, bigint>;
  callCount: number;
  callMinutes: number;
}

/** Every category at zero (a literal: a billing run makes thousands of these). */
function zeroCategories(): Record<ChargeCategory, bigint> {
  return {
    oneOff: 0n,
    recurring: 0n,
    calls: 0n,
    refunds: 0n,
    late: 0n,
    interest: 0n,
    carrierProvided: 0n,
    manualBilling: 0n,
    lowUsage: 0n,
    manual: 0n,
    discount: 0n,
  };
}

export function emptyTotalsState(): TotalsState {
  return { categories: zeroCategories(), rateNets: new Map(), callCount: 0, callMinutes: 0 };
}

/** Rates seen, by their text as given ("20.0000") and canonical ("20"); a handful recur on every invoice. */
interface RateInfo {
  canonical: string;
  /** The rate in ten-thousandths of a percent (rates have at most 4 decimals), for VAT and for ordering. */
  scaled: bigint;
}
const rates = new Map<string, RateInfo>();

function rateInfo(rate: string): RateInfo {
  let info = rates.get(rate);
  if (info === undefined) {
    const canonical = formatDecimal(rate);
    info = { canonical, scaled: toMinorUnits(canonical, 4) };
    assert(10n ** 4n === TAX_RATE_SCALE, 'rates are scaled as taxMinor takes them');
    if (rates.size < 10_000) rates.set(rate, info);
  }
  return info;
}

/** "20.0000" -> "20". */
function canonicalRate(rate: string): string {
  return rateInfo(rate).canonical;
}

/** Adds (sign 1) or takes away (sign -1) charge groups. Returns a new state. */
export function applyChargeGroups(
  state: TotalsState,
  groups: readonly ChargeGroup[],
  sign: 1 | -1,
  minorDigits: number,
): TotalsState {
  const next: TotalsState = {
    categories: { ...state.categories },
    rateNets: new Map(state.rateNets),
    callCount: state.callCount,
    callMinutes: state.callMinutes,
  };
  addChargeGroups(next, groups, sign, minorDigits);
  return next;
}

/** applyChargeGroups changing the state it is given (for a state no one else holds). */
export function addChargeGroups(
  next: TotalsState,
  groups: readonly ChargeGroup[],
  sign: 1 | -1,
  minorDigits: number,
): void {
  for (const group of groups) {
    const value = toMinorUnits(group.value, minorDigits);
    const category = CATEGORY_OF_TYPE[group.type];
    assert(category !== undefined, `unknown transaction type ${group.type}`);
    const signed = sign === 1 ? value : -value;
    next.categories[category] += signed;
    const rate = canonicalRate(group.vatRate);
    next.rateNets.set(rate, (next.rateNets.get(rate) ?? 0n) + signed);
    next.callCount += sign * group.callCount;
    next.callMinutes += sign * group.callMinutes;
  }
}

/** Totals as they are stored on an invoice (strings), read back into a state. */
export interface StoredTotals {
  categories: Record<ChargeCategory, string>;
  vatLines: readonly { rate: string; net: string }[];
  callCount: number;
  callMinutes: number;
}

export function stateFromStoredTotals(stored: StoredTotals, minorDigits: number): TotalsState {
  const state = emptyTotalsState();
  for (const category of CHARGE_CATEGORIES)
    state.categories[category] = toMinorUnits(stored.categories[category], minorDigits);
  for (const line of stored.vatLines)
    state.rateNets.set(canonicalRate(line.rate), toMinorUnits(line.net, minorDigits));
  state.callCount = stored.callCount;
  state.callMinutes = stored.callMinutes;
  return state;
}

/** The net amount of a state, in minor units: the sum of its categories. */
export function netOfState(state: TotalsState): bigint {
  let net = 0n;
  for (const c of CHARGE_CATEGORIES) net += state.categories[c];
  return net;
}

export function computeInvoiceTotals(groups: readonly ChargeGroup[], options: TotalsOptions): InvoiceTotals {
  return totalsFromState(applyChargeGroups(emptyTotalsState(), groups, 1, options.minorDigits), options);
}

/** Every total of an invoice from its state. VAT lines are listed for rates with a non-zero net. */
export function totalsFromState(state: TotalsState, options: TotalsOptions): InvoiceTotals {
  const digits = options.minorDigits;
  const vatLines: { rate: string; net: bigint; vat: bigint }[] = [];
  for (const [rate, net] of state.rateNets)
    if (net !== 0n) vatLines.push({ rate, net, vat: vatOn(net, rate) });
  if (vatLines.length > 1) {
    vatLines.sort((a, b) => {
      const x = rateInfo(a.rate).scaled;
      const y = rateInfo(b.rate).scaled;
      return x < y ? -1 : x > y ? 1 : 0;
    });
  }

  const net = netOfState(state);
  let vatDue = 0n;
  for (const line of vatLines) vatDue += line.vat;
  const vat = options.reverseCharge ? 0n : vatDue;
  const reverseVat = options.reverseCharge ? vatDue : 0n;
  const total = net + vat;

  // The invariants the bill relies on.
  let covered = 0n;
  for (const line of vatLines) covered += line.net;
  assert(covered === net, 'VAT groups must cover the net amount');
  assert(state.callCount >= 0 && state.callMinutes >= 0, 'call counts are never negative');

  const f = (minor: bigint) => fromMinorUnits(minor, digits);
  const c = state.categories;
  const charges: Record<ChargeCategory, string> = {
    oneOff: f(c.oneOff),
    recurring: f(c.recurring),
    calls: f(c.calls),
    refunds: f(c.refunds),
    late: f(c.late),
    interest: f(c.interest),
    carrierProvided: f(c.carrierProvided),
    manualBilling: f(c.manualBilling),
    lowUsage: f(c.lowUsage),
    manual: f(c.manual),
    discount: f(c.discount),
  };
  return {
    charges,
    net: f(net),
    nonCall: f(net - state.categories.calls),
    vat: f(vat),
    reverseVat: f(reverseVat),
    total: f(total),
    callCount: state.callCount,
    callMinutes: state.callMinutes,
    vatBreakdown: vatLines.map((l) => ({ rate: l.rate, net: f(l.net), vat: f(l.vat) })),
  };
}

/** VAT on a net amount (minor units) at a rate in percent: the tax rounding rule (taxMinor), once per rate. */
export function vatOn(netMinor: bigint, rate: string): bigint {
  return taxMinor(netMinor, rateInfo(rate).scaled);
}
