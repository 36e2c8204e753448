// Recurring charges of a feature: which periods an invoice must charge, and for how much. Pure code.
//
// Periods are calendar-aligned: months, calendar quarters (Jan, Apr, Jul, Oct) and calendar years. A
// feature that starts or ends inside a period pays for the days it had, pro rata over the days of that
// period, rounded half-up to the currency's minor unit. `billedUntil` (exclusive) records how far a
// feature has been charged, so no period is ever charged twice.
//
// For an invoice with cut-off date C:
//   advance  - charged up to the end of the period that contains C (the period starting at C when C is
//              the first day of a period), so customers pay for the coming period;
//   arrears  - charged up to the start of the period that contains C: only periods that have ended;
//   with a transaction cut-off date T - every period that starts before T, whatever the billing mode.
// A feature that ended is charged up to its end date; if it had been charged beyond it (in advance), the
// unused days come back as a credit.
import { addDays, addMonths, daysBetween, type IsoDate, maxDate, minDate } from '../shared/dates.ts';
import { assert } from '../shared/errors.ts';
import { fromMinorUnits, toMinorUnits } from '../money/money.ts';
import { lineMinorOf } from '../money/rounding.ts';

export type Frequency = 'monthly' | 'quarterly' | 'annually';
export type BillingMode = 'advance' | 'arrears';

export interface RecurringFeature {
  recurringValue: string;
  frequency: Frequency;
  billing: BillingMode;
  startDate: IsoDate;
  /** Last day of service, inclusive. */
  endDate: IsoDate | null;
  /** Charged up to this date, exclusive; null if never charged. */
  billedUntil: IsoDate | null;
}

export interface RecurringCharge {
  /** First day charged. */
  startDate: IsoDate;
  /** Last day charged, inclusive. */
  endDate: IsoDate;
  /** Negative for a credit. Rounded to the currency's minor unit. */
  value: string;
  /** The full period this charge falls in (exclusive end). */
  periodStart: IsoDate;
  periodEnd: IsoDate;
  prorated: boolean;
  credit: boolean;
}

/** A recurring charge already made for the feature (not a credit): what a credit of its days gives back. */
export interface ChargedPeriod {
  startDate: IsoDate;
  /** Inclusive. */
  endDate: IsoDate;
  value: string;
}

export interface RecurringDue {
  charges: RecurringCharge[];
  /** The feature's new billedUntil (unchanged when nothing is due). */
  billedUntil: IsoDate | null;
}

/** At most this many periods in one go: 100 years of months. A bound, not a business rule. */
const MAX_SEGMENTS = 1200;

const MONTHS_PER_PERIOD: Record<Frequency, number> = { monthly: 1, quarterly: 3, annually: 12 };

export function periodStartContaining(date: IsoDate, frequency: Frequency): IsoDate {
  const year = date.slice(0, 4);
  const month = Number(date.slice(5, 7));
  const monthsPerPeriod = MONTHS_PER_PERIOD[frequency];
  const startMonth = Math.floor((month - 1) / monthsPerPeriod) * monthsPerPeriod + 1;
  return `${year}-${String(startMonth).padStart(2, '0')}-01`;
}

export function nextPeriodStart(periodStart: IsoDate, frequency: Frequency): IsoDate {
  return addMonths(periodStart, MONTHS_PER_PERIOD[frequency]);
}

export interface DueOptions {
  cutoffDate: IsoDate;
  transactionCutoffDate?: IsoDate | null;
  minorDigits: number;
}

/** How far the feature should be charged for an invoice with these cut-offs (exclusive). */
export function chargeThrough(feature: RecurringFeature, options: DueOptions): IsoDate {
  const serviceEnd = feature.endDate ? addDays(feature.endDate, 1) : null;
  let through: IsoDate;
  if (options.transactionCutoffDate) {
    const lastDay = addDays(options.transactionCutoffDate, -1);
    through = nextPeriodStart(periodStartContaining(lastDay, feature.frequency), feature.frequency);
  } else if (feature.billing === 'advance') {
    through = nextPeriodStart(
      periodStartContaining(options.cutoffDate, feature.frequency),
      feature.frequency,
    );
  } else {
    through = periodStartContaining(options.cutoffDate, feature.frequency);
    // A feature that ended before the cut-off has nothing left to wait for: bill it to its end.
    if (serviceEnd && serviceEnd <= options.cutoffDate) through = maxDate(through, serviceEnd);
  }
  return serviceEnd ? minDate(through, serviceEnd) : through;
}

/**
 * `charged`: the feature's recurring charges already made, needed only when it ended inside days it was
 * charged for: those days are credited at what was charged for them (the price may have changed since).
 */
export function recurringChargesDue(
  feature: RecurringFeature,
  options: DueOptions,
  charged: readonly ChargedPeriod[] = [],
): RecurringDue {
  const serviceEnd = feature.endDate ? addDays(feature.endDate, 1) : null;
  if (feature.billedUntil && serviceEnd && feature.billedUntil > serviceEnd) {
    // Charged beyond the end of service: credit the days not used.
    const credits = segments(feature, serviceEnd, feature.billedUntil, options.minorDigits, -1n).map((c) => ({
      ...creditAtChargedPrice(feature, c, charged, options.minorDigits),
      credit: true,
    }));
    return { charges: credits, billedUntil: serviceEnd };
  }
  const from = feature.billedUntil ?? feature.startDate;
  const through = chargeThrough(feature, options);
  if (from >= through) return { charges: [], billedUntil: feature.billedUntil };
  return { charges: segments(feature, from, through, options.minorDigits), billedUntil: through };
}

/**
 * recurringChargesDue for the many features of a billing batch. Features on the same terms (price,
 * frequency, billing mode, end date, and where billing resumes: billedUntil, or the start date when never
 * billed) have the same charges due, so each set of terms is worked out once: in a reseller's account most
 * customers are on a handful of plans, billed to the same date. Features with charges given (ended inside
 * days already charged for, priced by those charges) are worked out on their own. The results are shared
 * between features: read them, never change them.
 */
export function recurringDueByTerms(
  options: DueOptions,
): (feature: RecurringFeature, charged?: readonly ChargedPeriod[]) => Readonly<RecurringDue> {
  const byTerms = new Map<string, RecurringDue>();
  return (feature, charged) => {
    if (charged !== undefined && charged.length > 0) return recurringChargesDue(feature, options, charged);
    // Exactly what recurringChargesDue reads of the feature (startDate only when never billed): a field it
    // comes to read must join the key.
    const key = `${feature.recurringValue}|${feature.frequency}|${feature.billing}|${feature.endDate ?? ''}|${feature.billedUntil ?? `start ${feature.startDate}`}`;
    let due = byTerms.get(key);
    if (due === undefined) {
      due = recurringChargesDue(feature, options);
      byTerms.set(key, due);
    }
    return due;
  };
}

/**
 * A credit segment as what was charged for its days. When the charge that covered them was made at the
 * current price, the segment stands (the current price's pro rata). When the price has changed since, the
 * credit is that charge's value times the days credited over the days it covered, rounded half away from
 * zero once. Without such a charge (none kept), the current price.
 */
function creditAtChargedPrice(
  feature: RecurringFeature,
  segment: RecurringCharge,
  charged: readonly ChargedPeriod[],
  minorDigits: number,
): RecurringCharge {
  const covering = charged.find((c) => c.startDate <= segment.startDate && segment.endDate <= c.endDate);
  if (!covering) return segment;
  const atCurrentPrice = segments(feature, covering.startDate, addDays(covering.endDate, 1), minorDigits);
  if (
    atCurrentPrice.length === 1 &&
    toMinorUnits(atCurrentPrice[0]!.value, VALUE_SCALE) === toMinorUnits(covering.value, VALUE_SCALE)
  )
    return segment;
  const days = BigInt(daysBetween(segment.startDate, addDays(segment.endDate, 1)));
  const coveredDays = BigInt(daysBetween(covering.startDate, addDays(covering.endDate, 1)));
  const value = lineMinorOf(
    -toMinorUnits(covering.value, VALUE_SCALE) * days,
    (VALUE_UNIT / 10n ** BigInt(minorDigits)) * coveredDays,
  );
  return { ...segment, value: fromMinorUnits(value, minorDigits) };
}

/** Values have at most this many decimals (NUMERIC(20,6)); prices are worked out in these units, exactly. */
const VALUE_SCALE = 6;
const VALUE_UNIT = 10n ** BigInt(VALUE_SCALE);

/**
 * Splits [from, to) at period boundaries and prices each piece (sign -1: as a credit). Each value is the
 * full price times the days charged over the days of the period, rounded half away from zero to the minor
 * unit once, in integer arithmetic.
 */
function segments(
  feature: RecurringFeature,
  from: IsoDate,
  to: IsoDate,
  minorDigits: number,
  sign: 1n | -1n = 1n,
): RecurringCharge[] {
  const out: RecurringCharge[] = [];
  assert(minorDigits <= VALUE_SCALE, `minor digits ${minorDigits}`);
  // The full price in millionths, then over 10^(6 - minorDigits) to give minor units.
  const fullValue = toMinorUnits(feature.recurringValue, VALUE_SCALE) * sign;
  const perMinorUnit = VALUE_UNIT / 10n ** BigInt(minorDigits);
  let cursor = from;
  while (cursor < to) {
    assert(out.length < MAX_SEGMENTS, `more than ${MAX_SEGMENTS} recurring periods from ${from} to ${to}`);
    const periodStart = periodStartContaining(cursor, feature.frequency);
    const periodEnd = nextPeriodStart(periodStart, feature.frequency);
    const segmentEnd = minDate(periodEnd, to);
    const whole = cursor === periodStart && segmentEnd === periodEnd;
    const value = whole
      ? lineMinorOf(fullValue, perMinorUnit)
      : lineMinorOf(
          fullValue * BigInt(daysBetween(cursor, segmentEnd)),
          perMinorUnit * BigInt(daysBetween(periodStart, periodEnd)),
        );
    out.push({
      startDate: cursor,
      endDate: addDays(segmentEnd, -1),
      value: fromMinorUnits(value, minorDigits),
      periodStart,
      periodEnd,
      prorated: !whole,
      credit: false,
    });
    cursor = segmentEnd;
  }
  return out;
}
