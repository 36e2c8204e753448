// One rate, from a CSV row or a JSON object, checked field by field. A bad rate is reported with its
// reason and never stops the good ones.
import type { RateBandColumn } from './repo.ts';
import { formatDecimal, isDecimalString, money } from '../money/money.ts';
import { fromMicros } from '../money/micros.ts';
import { AMOUNT_NOT_EXACT, amountTextOfJsonNumber } from '../money/wire.ts';
import { RATE_LIMITS } from '../rating/rate-call.ts';

/** Column names of a rate card CSV (and of the JSON rates, in camelCase on the backend API). */
export const RATE_COLUMNS = [
  'prefix',
  'destination',
  'rate_per_minute',
  'connection_fee',
  'minimum_charge',
  'initial_increment_s',
  'subsequent_increment_s',
] as const;
export const OPTIONAL_RATE_COLUMNS = ['band', 'cost_per_minute'] as const;

export type RateRecord = Partial<
  Record<(typeof RATE_COLUMNS)[number] | (typeof OPTIONAL_RATE_COLUMNS)[number], string | number | null>
>;

export interface ValidRate {
  prefix: string;
  destination: string;
  band: RateBandColumn;
  ratePerMinute: string;
  connectionFee: string;
  minimumCharge: string;
  initialIncrementS: number;
  subsequentIncrementS: number;
  costPerMinute: string | null;
}

const BANDS: readonly RateBandColumn[] = ['all', 'peak', 'offpeak', 'weekend'];

function text(v: string | number | null | undefined): string {
  return v === null || v === undefined ? '' : String(v).trim();
}

function amount(
  field: string,
  value: string | number | null | undefined,
  max: string,
  fallback: string | null,
): string | null {
  // A rate sent as JSON may give its amounts as numbers (the rate cards API always took them): read exactly or refused.
  const t = typeof value === 'number' ? amountTextOfJsonNumber(value) : text(value);
  if (t === undefined) throw new Error(`${field}: ${AMOUNT_NOT_EXACT}`);
  if (t === '') {
    if (fallback === null) return null;
    return fallback;
  }
  if (!isDecimalString(t))
    throw new Error(`${field}: "${t}" is not a decimal amount with at most 6 decimal places`);
  const m = money(t);
  if (m.isNegative()) throw new Error(`${field}: must not be negative`);
  if (m.greaterThan(max)) throw new Error(`${field}: must be at most ${max}`);
  return formatDecimal(m);
}

function increment(field: string, value: string | number | null | undefined): number {
  const t = text(value);
  if (t === '') return 60;
  if (!/^\d+$/.test(t)) throw new Error(`${field}: "${t}" is not a whole number of seconds`);
  const n = Number(t);
  if (n < 1 || n > RATE_LIMITS.maxIncrementS)
    throw new Error(`${field}: must be 1 to ${RATE_LIMITS.maxIncrementS} seconds`);
  return n;
}

/** The fields of a rate sent as JSON on the backend API, and the CSV columns they stand for. */
export const RATE_JSON_FIELDS = {
  prefix: 'prefix',
  destination: 'destination',
  ratePerMinute: 'rate_per_minute',
  connectionFee: 'connection_fee',
  minimumCharge: 'minimum_charge',
  initialIncrementS: 'initial_increment_s',
  subsequentIncrementS: 'subsequent_increment_s',
  band: 'band',
  costPerMinute: 'cost_per_minute',
} as const satisfies Record<string, keyof RateRecord>;

/**
 * A rate sent as JSON, as the record parseRate checks. A misspelt field is refused, not ignored: a rate
 * stored without the band or fee that was meant would price calls wrongly without a word. Throws an Error
 * whose message is the reason.
 */
export function rateRecordFromJson(value: unknown): RateRecord {
  if (typeof value !== 'object' || value === null || Array.isArray(value))
    throw new Error('not a rate object');
  const source = value as Record<string, unknown>;
  const unknown = Object.keys(source).filter((k) => !Object.hasOwn(RATE_JSON_FIELDS, k));
  if (unknown.length > 0)
    throw new Error(`unknown field${unknown.length > 1 ? 's' : ''} ${unknown.join(', ')}`);
  const record: RateRecord = {};
  for (const [field, column] of Object.entries(RATE_JSON_FIELDS)) {
    const v = source[field];
    if (v === undefined || v === null) continue;
    if (typeof v !== 'string' && typeof v !== 'number')
      throw new Error(`${field}: must be a string or a number`);
    record[column] = v;
  }
  return record;
}

/** Checks one rate. Throws an Error whose message is the reason, naming the field. */
export function parseRate(record: RateRecord): ValidRate {
  const rawPrefix = text(record.prefix).replace(/^\+/, '');
  if (!/^\d+$/.test(rawPrefix) || rawPrefix.length > RATE_LIMITS.maxPrefixDigits) {
    throw new Error(`prefix: "${text(record.prefix)}" must be 1 to ${RATE_LIMITS.maxPrefixDigits} digits`);
  }
  const destination = text(record.destination);
  if (destination === '' || destination.length > 200)
    throw new Error('destination: must be 1 to 200 characters');
  if (text(record.rate_per_minute) === '') throw new Error('rate_per_minute: is required');
  const band = (text(record.band).toLowerCase() || 'all') as RateBandColumn;
  if (!BANDS.includes(band))
    throw new Error(`band: "${text(record.band)}" must be one of ${BANDS.join(', ')}`);
  const maxRate = formatDecimal(fromMicros(RATE_LIMITS.maxRatePerMinuteMicros));
  const maxFee = formatDecimal(fromMicros(RATE_LIMITS.maxFeeMicros));
  return {
    prefix: rawPrefix,
    destination,
    band,
    ratePerMinute: amount('rate_per_minute', record.rate_per_minute, maxRate, null)!,
    connectionFee: amount('connection_fee', record.connection_fee, maxFee, '0')!,
    minimumCharge: amount('minimum_charge', record.minimum_charge, maxFee, '0')!,
    initialIncrementS: increment('initial_increment_s', record.initial_increment_s),
    subsequentIncrementS: increment('subsequent_increment_s', record.subsequent_increment_s),
    costPerMinute: amount('cost_per_minute', record.cost_per_minute, maxRate, null),
  };
}
