// The schedule of an instalment plan. Pure code: no I/O, no clock.
//
// Terms (the names of document 003): the plan amount (the part of what is owed that the plan pays off), the
// frequency (weekly, fortnightly, monthly), the start date (the first instalment's due date), the interest
// rate and the maximum term with its period (day, month, year).
//
// Interest is SIMPLE ANNUAL interest on the plan amount for the plan's length, where a plan of n instalments
// lasts n periods (each instalment pays for one period):
//
//     interest = planAmount x planRate / 100 x n / periodsPerYear      (52 weekly, 26 fortnightly, 12 monthly)
//
// rounded half away from zero to the currency's minor unit, once. A rate of 0 (or none) means no interest.
//
// Due dates: instalment k (k = 0, 1, …) is due on startDate + k weeks / 2k weeks / k calendar months. Months
// are counted from the start date, never from the previous due date, so a plan starting on 31 January is due
// 28 (or 29) February, 31 March, 30 April…: month ends never drift.
//
// The maximum term: the plan's term ends maxTerm days / months / years after the start date (months and years
// clamp to the month's end like due dates), and every instalment must fall due BEFORE that day. A one-year
// term therefore allows at most 12 monthly instalments, and 27 fortnightly or 53 weekly ones (52 weeks are
// 364 days, so in a year of 365 days one more instalment falls due on its last day).
//
// Amounts: the plan total (amount + interest) is split in one of two ways, and the last instalment absorbs
// what does not divide:
//   - by count: every instalment but the last is floor(total / n) minor units; the last is the rest, so it is
//     at least as large as the others and larger by less than n minor units;
//   - by instalment amount: every instalment but the last is that amount; n is the fewest instalments that
//     cover the total (interest grows with n, so n is found by counting up), and the last is the rest, more
//     than zero and at most that amount.
// The instalments always sum exactly to amount + interest. A plan that cannot fit in the maximum term, or
// whose instalments would be less than one minor unit, is refused with a typed error naming the field.
import { addDays, addMonths, type IsoDate, isIsoDate } from '../shared/dates.ts';
import { assert, invalid } from '../shared/errors.ts';
import { fromMinorUnits, isDecimalString, toMinorUnits } from '../money/money.ts';
import { instalmentSplit, planInterestMinor as interestMinor, principalShares } from '../money/rounding.ts';

export const PLAN_FREQUENCIES = ['weekly', 'fortnightly', 'monthly'] as const;
export type PlanFrequency = (typeof PLAN_FREQUENCIES)[number];

export const TERM_PERIODS = ['day', 'month', 'year'] as const;
export type TermPeriod = (typeof TERM_PERIODS)[number];

export const PERIODS_PER_YEAR: Readonly<Record<PlanFrequency, number>> = {
  weekly: 52,
  fortnightly: 26,
  monthly: 12,
};

/** Bounds, not business rules: a plan has at most this many instalments, and terms at most ten years. */
export const MAX_INSTALMENTS = 600;
export const MAX_TERM: Readonly<Record<TermPeriod, number>> = { day: 3660, month: 120, year: 10 };
/** The interest rate is a percentage from 0 to 100 with at most 4 decimal places ("1.5" is 1.5% a year). */
export const MAX_RATE_DECIMALS = 4;
const RATE_SCALE = 10n ** BigInt(MAX_RATE_DECIMALS);

export interface PlanTerms {
  /** The plan amount: a positive decimal string, exact to the currency's minor unit. */
  amount: string;
  frequency: PlanFrequency;
  /** The first instalment's due date. */
  startDate: IsoDate;
  /** Annual simple interest, percent: "0", "1.5", "19.99". */
  rate: string;
  maxTerm: number;
  maxTermPeriod: TermPeriod;
  /** The currency's minor-unit digits (GBP 2, JPY 0, BHD 3). */
  minorDigits: number;
}

/** Exactly one of instalmentCount and instalmentAmount. */
export type PlanSplit =
  | { instalmentCount: number; instalmentAmount?: undefined }
  | { instalmentAmount: string; instalmentCount?: undefined };

export interface ScheduledInstalment {
  /** 1-based. */
  number: number;
  dueDate: IsoDate;
  amount: string;
}

export interface InstalmentSchedule {
  instalments: ScheduledInstalment[];
  /** The plan amount, as given (formatted to the minor unit). */
  amount: string;
  interest: string;
  /** amount + interest: what the instalments sum to. */
  total: string;
  /** The first day past the maximum term (no instalment is due on or after it). */
  termEnd: IsoDate;
}

/** The due date of instalment `index` (0-based). */
export function instalmentDueDate(startDate: IsoDate, frequency: PlanFrequency, index: number): IsoDate {
  assert(Number.isInteger(index) && index >= 0, 'instalment index is a whole number');
  switch (frequency) {
    case 'weekly':
      return addDays(startDate, 7 * index);
    case 'fortnightly':
      return addDays(startDate, 14 * index);
    case 'monthly':
      return addMonths(startDate, index);
  }
}

/** The first day past a term of `maxTerm` periods from the start date. */
export function termEndDate(startDate: IsoDate, maxTerm: number, period: TermPeriod): IsoDate {
  switch (period) {
    case 'day':
      return addDays(startDate, maxTerm);
    case 'month':
      return addMonths(startDate, maxTerm);
    case 'year':
      return addMonths(startDate, 12 * maxTerm);
  }
}

/** The most instalments of this frequency that fall due before the term ends (at least 1: the start date). */
export function maxInstalmentCount(
  startDate: IsoDate,
  frequency: PlanFrequency,
  maxTerm: number,
  period: TermPeriod,
): number {
  const end = termEndDate(startDate, maxTerm, period);
  let count = 0;
  while (count < MAX_INSTALMENTS && instalmentDueDate(startDate, frequency, count) < end) count++;
  return count;
}

/** Interest in minor units for a plan of `count` instalments (see the top of this file). */
export function planInterestMinor(
  amountMinor: bigint,
  rate: string,
  frequency: PlanFrequency,
  count: number,
): bigint {
  const rateUnits = toMinorUnits(rate, MAX_RATE_DECIMALS); // percent x 10^4
  return interestMinor(amountMinor, rateUnits, count, PERIODS_PER_YEAR[frequency]);
}

function checkTerms(terms: PlanTerms): { amountMinor: bigint; limit: number; termEnd: IsoDate } {
  assert(
    Number.isInteger(terms.minorDigits) && terms.minorDigits >= 0 && terms.minorDigits <= 4,
    'minorDigits is 0 to 4',
  );
  if (!isDecimalString(terms.amount, terms.minorDigits) || terms.amount.startsWith('-')) {
    throw invalid('planAmount', `must be a positive amount with at most ${terms.minorDigits} decimal places`);
  }
  const amountMinor = toMinorUnits(terms.amount, terms.minorDigits);
  if (amountMinor <= 0n) throw invalid('planAmount', 'must be more than zero');
  if (!(PLAN_FREQUENCIES as readonly string[]).includes(terms.frequency)) {
    throw invalid('planFrequency', `must be one of ${PLAN_FREQUENCIES.join(', ')}`);
  }
  if (!isIsoDate(terms.startDate)) throw invalid('planStartDate', 'must be a date, YYYY-MM-DD');
  if (
    !isDecimalString(terms.rate, MAX_RATE_DECIMALS) ||
    terms.rate.startsWith('-') ||
    toMinorUnits(terms.rate, MAX_RATE_DECIMALS) > 100n * RATE_SCALE
  ) {
    throw invalid(
      'planRate',
      `must be a percentage from 0 to 100 with at most ${MAX_RATE_DECIMALS} decimal places`,
    );
  }
  if (!(TERM_PERIODS as readonly string[]).includes(terms.maxTermPeriod)) {
    throw invalid('planMaxTermPeriod', `must be one of ${TERM_PERIODS.join(', ')}`);
  }
  const bound = MAX_TERM[terms.maxTermPeriod];
  if (!Number.isInteger(terms.maxTerm) || terms.maxTerm < 1 || terms.maxTerm > bound) {
    throw invalid('planMaxTerm', `must be a whole number from 1 to ${bound} (${terms.maxTermPeriod}s)`);
  }
  const termEnd = termEndDate(terms.startDate, terms.maxTerm, terms.maxTermPeriod);
  const limit = maxInstalmentCount(terms.startDate, terms.frequency, terms.maxTerm, terms.maxTermPeriod);
  assert(limit >= 1, 'the start date is always inside the term');
  return { amountMinor, limit, termEnd };
}

/**
 * The instalments of a plan, by count or by instalment amount. Throws an invalid_input DomainError (field
 * named as in document 003, or instalmentCount / instalmentAmount) for terms that are malformed or cannot fit.
 */
export function instalmentSchedule(terms: PlanTerms, split: PlanSplit): InstalmentSchedule {
  const { amountMinor, limit, termEnd } = checkTerms(terms);
  const digits = terms.minorDigits;
  let count: number;
  let regularMinor: bigint;
  let totalMinor: bigint;

  if (split.instalmentCount !== undefined) {
    count = split.instalmentCount;
    if (!Number.isInteger(count) || count < 1)
      throw invalid('instalmentCount', 'must be a whole number of at least 1');
    if (count > limit) {
      throw invalid(
        'instalmentCount',
        `${count} ${terms.frequency} instalments from ${terms.startDate} do not fit in ${describeTerm(terms)}: at most ${limit}`,
      );
    }
    totalMinor = amountMinor + planInterestMinor(amountMinor, terms.rate, terms.frequency, count);
    regularMinor = instalmentSplit(totalMinor, count).regularMinor; // the last instalment takes the remainder
    if (regularMinor < 1n)
      throw invalid(
        'instalmentCount',
        `${count} instalments would be less than ${fromMinorUnits(1n, digits)} each`,
      );
  } else {
    const given = split.instalmentAmount;
    if (!isDecimalString(given, digits) || given.startsWith('-') || toMinorUnits(given, digits) <= 0n) {
      throw invalid('instalmentAmount', `must be a positive amount with at most ${digits} decimal places`);
    }
    regularMinor = toMinorUnits(given, digits);
    // The fewest instalments that cover amount + interest(n). Interest grows with n, so count up (bounded).
    let found: { n: number; total: bigint } | undefined;
    for (let n = 1; n <= limit; n++) {
      const total = amountMinor + planInterestMinor(amountMinor, terms.rate, terms.frequency, n);
      if (regularMinor * BigInt(n) >= total) {
        found = { n, total };
        break;
      }
    }
    if (!found) {
      throw invalid(
        'instalmentAmount',
        `${given} ${terms.frequency} does not pay off ${terms.amount} within ${describeTerm(terms)} (at most ${limit} instalments)`,
      );
    }
    count = found.n;
    totalMinor = found.total;
  }

  const lastMinor = totalMinor - regularMinor * BigInt(count - 1); // instalmentSplit's remainder (or what the given amount leaves)
  assert(lastMinor > 0n, 'the last instalment is positive');
  const instalments: ScheduledInstalment[] = [];
  for (let k = 0; k < count; k++) {
    instalments.push({
      number: k + 1,
      dueDate: instalmentDueDate(terms.startDate, terms.frequency, k),
      amount: fromMinorUnits(k === count - 1 ? lastMinor : regularMinor, digits),
    });
  }
  assert(instalments[instalments.length - 1]!.dueDate < termEnd, 'no instalment after the maximum term');
  return {
    instalments,
    amount: fromMinorUnits(amountMinor, digits),
    interest: fromMinorUnits(totalMinor - amountMinor, digits),
    total: fromMinorUnits(totalMinor, digits),
    termEnd,
  };
}

function describeTerm(terms: PlanTerms): string {
  return `the maximum term of ${terms.maxTerm} ${terms.maxTermPeriod}${terms.maxTerm === 1 ? '' : 's'}`;
}

/** The principal part of each instalment: the instalment split rule, in src/money/rounding.ts. */
export { principalShares };
