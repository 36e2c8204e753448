// Discount plans: rules applied when an invoice is made, each giving discount lines (credits) on it.
//   freeMinutes - an allowance of call minutes per invoice (billing period), optionally only for some
//                 destinations: the most expensive minutes are the ones given free;
//   freeAmount  - an allowance of money per invoice on a charge type (calls by default, optionally some
//                 destinations): that much of those charges is not billed;
//   percentOff  - a percentage off every charge of a type.
// A discount is split by the VAT rate of what it discounts, so VAT is charged on what is actually billed.
// Pure code: lines in, discount lines out.
import { invalid } from '../shared/errors.ts';
import { formatAmount, isDecimalString, money, Money, ZERO } from '../money/money.ts';
import { roundLine } from '../money/rounding.ts';
import { isTransactionType, type TransactionType } from '../shared/transaction-types.ts';

export type DiscountRule =
  | { kind: 'freeMinutes'; minutes: number; destinations?: string[]; description?: string }
  | {
      kind: 'freeAmount';
      amount: string;
      type: TransactionType;
      destinations?: string[];
      description?: string;
    }
  | { kind: 'percentOff'; percent: string; type: TransactionType; description?: string };

export interface DiscountableLine {
  type: TransactionType;
  value: string;
  vatRate: string;
  callMinutes: number;
  destination: string | null;
}

export interface DiscountLine {
  description: string;
  /** Negative: a credit. */
  value: string;
  vatRate: string;
}

export const MAX_RULES = 20;

function matches(destination: string | null, patterns: string[] | undefined): boolean {
  if (!patterns || patterns.length === 0) return true;
  const d = (destination ?? '').toLowerCase();
  return patterns.some((p) => d.startsWith(p.toLowerCase()));
}

/**
 * The discount lines of a plan's rules on an invoice's lines. Rules apply in order, each to what earlier
 * rules left of each line, so rules that overlap (10% off recurring, then 5.00 off recurring) never
 * discount more than was charged. Each rule's discount is split by VAT rate and rounded half-up once per
 * rate, capped so that the discounts at a rate never exceed the charges at that rate.
 */
export function discountLines(
  rules: readonly DiscountRule[],
  lines: readonly DiscountableLine[],
  minorDigits: number,
): DiscountLine[] {
  const out: DiscountLine[] = [];
  // What is left to discount of each line (exact), and of each rate (at the minor unit).
  const left = lines.map((l) => (money(l.value).greaterThan(0) ? money(l.value) : ZERO));
  const rateLeft = new Map<string, Money>();
  for (const [i, l] of lines.entries())
    rateLeft.set(l.vatRate, (rateLeft.get(l.vatRate) ?? ZERO).plus(left[i]!));

  const take = (i: number, amount: Money, parts: { amount: Money; vatRate: string }[]) => {
    const used = Money.min(amount, left[i]!);
    if (!used.greaterThan(0)) return;
    left[i] = left[i]!.minus(used);
    parts.push({ amount: used, vatRate: lines[i]!.vatRate });
  };
  const emit = (description: string, parts: { amount: Money; vatRate: string }[]) => {
    const rates = new Map<string, Money>();
    for (const p of parts) rates.set(p.vatRate, (rates.get(p.vatRate) ?? ZERO).plus(p.amount));
    for (const [vatRate, exact] of rates) {
      const capacity = rateLeft.get(vatRate) ?? ZERO;
      const amount = Money.min(roundLine(exact, minorDigits), capacity);
      if (!amount.greaterThan(0)) continue;
      rateLeft.set(vatRate, capacity.minus(amount));
      out.push({ description, value: formatAmount(amount.negated(), minorDigits), vatRate });
    }
  };

  for (const rule of rules) {
    const parts: { amount: Money; vatRate: string }[] = [];
    switch (rule.kind) {
      case 'freeMinutes': {
        // Most expensive minutes first: the allowance is worth the most to the customer that way.
        const eligible = lines
          .map((line, i) => ({ line, i }))
          .filter(
            ({ line, i }) =>
              line.type === 'calls' &&
              line.callMinutes > 0 &&
              left[i]!.greaterThan(0) &&
              matches(line.destination, rule.destinations),
          )
          .map(({ line, i }) => ({ line, i, perMinute: money(line.value).dividedBy(line.callMinutes) }))
          .sort((a, b) => b.perMinute.comparedTo(a.perMinute) || a.i - b.i);
        let minutes = rule.minutes;
        for (const { line, i, perMinute } of eligible) {
          if (minutes <= 0) break;
          const used = Math.min(minutes, line.callMinutes);
          minutes -= used;
          take(i, used === line.callMinutes ? left[i]! : perMinute.times(used), parts);
        }
        const scope = rule.destinations?.length ? ` (${rule.destinations.join(', ')})` : '';
        emit(rule.description ?? `Discount: ${rule.minutes} free minutes${scope}`, parts);
        break;
      }
      case 'freeAmount': {
        let allowance = money(rule.amount);
        for (const [i, line] of lines.entries()) {
          if (!allowance.greaterThan(0)) break;
          if (
            line.type !== rule.type ||
            (rule.type === 'calls' && !matches(line.destination, rule.destinations))
          )
            continue;
          const used = Money.min(allowance, left[i]!);
          allowance = allowance.minus(used);
          take(i, used, parts);
        }
        emit(rule.description ?? `Discount: ${rule.amount} allowance on ${rule.type} charges`, parts);
        break;
      }
      case 'percentOff': {
        for (const [i, line] of lines.entries()) {
          if (line.type === rule.type && money(line.value).greaterThan(0))
            take(i, money(line.value).times(rule.percent).dividedBy(100), parts);
        }
        emit(rule.description ?? `Discount: ${rule.percent}% off ${rule.type} charges`, parts);
        break;
      }
    }
  }
  return out;
}

/**
 * A rule's scalar field as the text it was written as (`10` and `"10"` alike). A list or an object is
 * refused with the field's own message: String() would make it "[object Object]" or its joined items.
 */
function fieldText(value: unknown, field: string, message: string): string {
  if (typeof value === 'object' && value !== null) throw invalid(field, message);
  return String(value);
}

/** Checks a plan's rules as given on the API. */
export function parseDiscountRules(input: unknown): DiscountRule[] {
  if (!Array.isArray(input) || input.length === 0 || input.length > MAX_RULES)
    throw invalid('rules', `must be a list of 1 to ${MAX_RULES} rules`);
  return input.map((raw, i) => {
    const field = `rules.${i}`;
    if (typeof raw !== 'object' || raw === null) throw invalid(field, 'must be an object');
    const r = raw as Record<string, unknown>;
    const description =
      r.description === undefined
        ? undefined
        : fieldText(r.description, `${field}.description`, 'must be text').slice(0, 200);
    const destinations = r.destinations === undefined ? undefined : r.destinations;
    if (
      destinations !== undefined &&
      (!Array.isArray(destinations) ||
        !destinations.every((d) => typeof d === 'string' && d.length > 0 && d.length <= 200))
    ) {
      throw invalid(`${field}.destinations`, 'must be a list of destination names (or their beginnings)');
    }
    const withOptional = <T extends object>(rule: T) => ({
      ...rule,
      ...(description !== undefined ? { description } : {}),
      ...(destinations !== undefined ? { destinations: destinations as string[] } : {}),
    });
    switch (r.kind) {
      case 'freeMinutes': {
        if (!Number.isInteger(r.minutes) || (r.minutes as number) <= 0 || (r.minutes as number) > 10_000_000)
          throw invalid(`${field}.minutes`, 'must be a whole number of minutes, 1 or more');
        return withOptional({ kind: 'freeMinutes' as const, minutes: r.minutes as number });
      }
      case 'freeAmount': {
        const amountMessage = 'must be a positive amount such as "10.00"';
        const amount = fieldText(r.amount ?? '', `${field}.amount`, amountMessage);
        if (!isDecimalString(amount) || !money(amount).greaterThan(0))
          throw invalid(`${field}.amount`, amountMessage);
        const typeMessage = 'must be a charge type such as calls or recurring';
        const type = r.type === undefined ? 'calls' : fieldText(r.type, `${field}.type`, typeMessage);
        if (!isTransactionType(type) || type === 'discount') throw invalid(`${field}.type`, typeMessage);
        return withOptional({ kind: 'freeAmount' as const, amount, type });
      }
      case 'percentOff': {
        const percentMessage = 'must be a percentage above 0 and up to 100';
        const percent = fieldText(r.percent ?? '', `${field}.percent`, percentMessage);
        if (!isDecimalString(percent, 4) || !money(percent).greaterThan(0) || money(percent).greaterThan(100))
          throw invalid(`${field}.percent`, percentMessage);
        const typeMessage = 'must be a charge type such as calls or recurring';
        const type = fieldText(r.type ?? '', `${field}.type`, typeMessage);
        if (!isTransactionType(type) || type === 'discount') throw invalid(`${field}.type`, typeMessage);
        if (destinations !== undefined)
          throw invalid(`${field}.destinations`, 'apply to freeMinutes and freeAmount rules');
        return {
          kind: 'percentOff' as const,
          percent,
          type,
          ...(description !== undefined ? { description } : {}),
        };
      }
      default:
        throw invalid(`${field}.kind`, 'must be freeMinutes, freeAmount or percentOff');
    }
  });
}
