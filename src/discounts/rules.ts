// Discount plans: rules applied when an invoice is made, each giving discount lines (credits) on it.
//   freeMinutes - an allowance of call minutes per invoice (billing period), optionally only for some
//                 destinations: the most expensive minutes are the ones given free;
//   freeAmount  - an allowance of money per invoice on a charge type (calls by default, optionally some
//                 destinations): that much of those charges is not billed;
//   percentOff  - a percentage off every charge of a type.
// A discount is split by the VAT rate of what it discounts, so VAT is charged on what is actually billed.
// Pure code: lines in, discount lines out.
import { invalid } from '../shared/errors.ts';
import { formatAmount, isDecimalString, money, type Money, roundTo, ZERO } from '../shared/money.ts';
import { isTransactionType, type TransactionType } from '../transactions/types.ts';

export type DiscountRule =
  | { kind: 'freeMinutes'; minutes: number; destinations?: string[]; description?: string }
  | { kind: 'freeAmount'; amount: string; type: TransactionType; destinations?: string[]; description?: string }
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

/** Splits per-line discounts into one discount line per VAT rate. */
function byRate(description: string, parts: { amount: Money; vatRate: string }[], digits: number): DiscountLine[] {
  const rates = new Map<string, Money>();
  for (const p of parts) rates.set(p.vatRate, (rates.get(p.vatRate) ?? ZERO).plus(p.amount));
  return [...rates.entries()]
    .map(([vatRate, amount]) => ({ vatRate, amount: roundTo(amount, digits) }))
    .filter((r) => r.amount.isPositive())
    .map((r) => ({ description, value: formatAmount(r.amount.negated(), digits), vatRate: r.vatRate }));
}

export function discountLines(rules: readonly DiscountRule[], lines: readonly DiscountableLine[], minorDigits: number): DiscountLine[] {
  const out: DiscountLine[] = [];
  for (const rule of rules) {
    switch (rule.kind) {
      case 'freeMinutes': {
        // Most expensive minutes first: the allowance is worth the most to the customer that way.
        const eligible = lines
          .filter((l) => l.type === 'calls' && l.callMinutes > 0 && money(l.value).isPositive() && matches(l.destination, rule.destinations))
          .map((l) => ({ line: l, perMinute: money(l.value).dividedBy(l.callMinutes) }))
          .sort((a, b) => b.perMinute.comparedTo(a.perMinute));
        let left = rule.minutes;
        const parts: { amount: Money; vatRate: string }[] = [];
        for (const { line, perMinute } of eligible) {
          if (left <= 0) break;
          const used = Math.min(left, line.callMinutes);
          left -= used;
          parts.push({ amount: used === line.callMinutes ? money(line.value) : perMinute.times(used), vatRate: line.vatRate });
        }
        const scope = rule.destinations?.length ? ` (${rule.destinations.join(', ')})` : '';
        out.push(...byRate(rule.description ?? `Discount: ${rule.minutes} free minutes${scope}`, parts, minorDigits));
        break;
      }
      case 'freeAmount': {
        let left = money(rule.amount);
        const parts: { amount: Money; vatRate: string }[] = [];
        for (const line of lines) {
          if (left.isZero()) break;
          if (line.type !== rule.type || !money(line.value).isPositive() || (rule.type === 'calls' && !matches(line.destination, rule.destinations))) continue;
          const value = money(line.value);
          const used = left.lessThan(value) ? left : value;
          left = left.minus(used);
          parts.push({ amount: used, vatRate: line.vatRate });
        }
        out.push(...byRate(rule.description ?? `Discount: ${rule.amount} allowance on ${rule.type} charges`, parts, minorDigits));
        break;
      }
      case 'percentOff': {
        const parts = lines
          .filter((l) => l.type === rule.type && money(l.value).isPositive())
          .map((l) => ({ amount: money(l.value).times(rule.percent).dividedBy(100), vatRate: l.vatRate }));
        out.push(...byRate(rule.description ?? `Discount: ${rule.percent}% off ${rule.type} charges`, parts, minorDigits));
        break;
      }
    }
  }
  return out;
}

/** Checks a plan's rules as given on the API. */
export function parseDiscountRules(input: unknown): DiscountRule[] {
  if (!Array.isArray(input) || input.length === 0 || input.length > MAX_RULES) throw invalid('rules', `must be a list of 1 to ${MAX_RULES} rules`);
  return input.map((raw, i) => {
    const field = `rules.${i}`;
    if (typeof raw !== 'object' || raw === null) throw invalid(field, 'must be an object');
    const r = raw as Record<string, unknown>;
    const description = r.description === undefined ? undefined : String(r.description).slice(0, 200);
    const destinations = r.destinations === undefined ? undefined : r.destinations;
    if (destinations !== undefined && (!Array.isArray(destinations) || !destinations.every((d) => typeof d === 'string' && d.length > 0 && d.length <= 200))) {
      throw invalid(`${field}.destinations`, 'must be a list of destination names (or their beginnings)');
    }
    const withOptional = <T extends object>(rule: T) => ({
      ...rule,
      ...(description !== undefined ? { description } : {}),
      ...(destinations !== undefined ? { destinations: destinations as string[] } : {}),
    });
    switch (r.kind) {
      case 'freeMinutes': {
        if (!Number.isInteger(r.minutes) || (r.minutes as number) <= 0 || (r.minutes as number) > 10_000_000) throw invalid(`${field}.minutes`, 'must be a whole number of minutes, 1 or more');
        return withOptional({ kind: 'freeMinutes' as const, minutes: r.minutes as number });
      }
      case 'freeAmount': {
        const amount = String(r.amount ?? '');
        if (!isDecimalString(amount) || !money(amount).isPositive()) throw invalid(`${field}.amount`, 'must be a positive amount such as "10.00"');
        const type = r.type === undefined ? 'calls' : String(r.type);
        if (!isTransactionType(type) || type === 'discount') throw invalid(`${field}.type`, 'must be a charge type such as calls or recurring');
        return withOptional({ kind: 'freeAmount' as const, amount, type });
      }
      case 'percentOff': {
        const percent = String(r.percent ?? '');
        if (!isDecimalString(percent, 4) || !money(percent).isPositive() || money(percent).greaterThan(100)) throw invalid(`${field}.percent`, 'must be a percentage above 0 and up to 100');
        const type = String(r.type ?? '');
        if (!isTransactionType(type) || type === 'discount') throw invalid(`${field}.type`, 'must be a charge type such as calls or recurring');
        if (destinations !== undefined) throw invalid(`${field}.destinations`, 'apply to freeMinutes and freeAmount rules');
        return { kind: 'percentOff' as const, percent, type, ...(description !== undefined ? { description } : {}) };
      }
      default:
        throw invalid(`${field}.kind`, 'must be freeMinutes, freeAmount or percentOff');
    }
  });
}
