// Rating: a call and a rate card give a charge, a carrier cost and the rate used, or a named reason it
// cannot be priced. Pure code; money in integer micro-units (see micros.ts).
//
// - The destination is the longest prefix of the dialled number (the `to` number of an outbound call, the
//   `from` number of an inbound one) among the card's rates in effect on the call's local date.
// - A destination may have one rate for all times (band "all") or rates per band (peak, offpeak, weekend);
//   a band rate wins over the all-times rate. A destination with no rate for the call's band is an error,
//   never a cheaper shorter prefix.
// - Billable seconds: the initial increment, then whole subsequent increments (60/60 bills started
//   minutes, 30/6 a 30-second minimum then 6-second steps, 1/1 per second).
// - Charge = connection fee + price per minute x billable seconds / 60, rounded half-up to the micro-unit,
//   and never below the minimum charge. Carrier cost = cost per minute x actual seconds / 60.
// - Calls that did not complete (missed, busy, failed) are free: there is nothing to charge.
import type { IsoDate } from '../shared/dates.ts';
import { bandAt, type Band, type BandConfig, LocalClock } from './bands.ts';
import { divideRoundHalfUp } from './micros.ts';

export type RateBand = Band | 'all';

export interface Rate {
  id: number;
  prefix: string;
  destination: string;
  band: RateBand;
  ratePerMinuteMicros: number;
  connectionFeeMicros: number;
  minimumChargeMicros: number;
  initialIncrementS: number;
  subsequentIncrementS: number;
  costPerMinuteMicros: number | null;
  effectiveFrom: IsoDate;
  /** Exclusive; null: open-ended. */
  effectiveTo: IsoDate | null;
}

/** Bounds that keep every intermediate integer exact (checked when a rate card is loaded). */
export const RATE_LIMITS = {
  maxRatePerMinuteMicros: 1_000 * 1_000_000,
  maxFeeMicros: 1_000_000 * 1_000_000,
  maxDurationS: 7 * 24 * 3600,
  maxIncrementS: 3600,
  maxPrefixDigits: 20,
} as const;

export type RatingError = 'no_rate_card' | 'no_rate' | 'no_rate_for_band' | 'invalid_number';

export const RATING_ERROR_TEXT: Record<RatingError, string> = {
  no_rate_card: 'no rate card applies: give the feature, the customer or the account a rate card',
  no_rate: 'no rate on the rate card matches the number',
  no_rate_for_band: "the destination has no rate for the call's time band",
  invalid_number: 'the number has no digits to rate',
};

export type Rating =
  | {
      status: 'rated';
      rateId: number;
      destination: string;
      band: Band;
      billableS: number;
      chargeMicros: number;
      costMicros: number | null;
    }
  | { status: 'free' }
  | { status: 'unrated'; error: RatingError };

export interface CallToRate {
  fromNumber: string;
  toNumber: string;
  direction: 'inbound' | 'outbound';
  status: 'completed' | 'missed' | 'busy' | 'failed';
  startMs: number;
  durationS: number;
}

/** A node of the prefix tree: the rates of the prefix spelled by the path to it, and its digits' children. */
interface PrefixNode {
  rates: Rate[] | undefined;
  next: (PrefixNode | undefined)[];
}

const newNode = (): PrefixNode => ({ rates: undefined, next: new Array<PrefixNode | undefined>(10) });

/**
 * A rate card compiled for lookups: rates by prefix, each list sorted by effective date, and a tree of the
 * prefixes' digits, so that a number's prefixes are found in one walk along its digits (no substrings).
 */
export class RateTable {
  private readonly byPrefix = new Map<string, Rate[]>();
  private readonly maxPrefixLength: number;
  /** Undefined if a prefix is not all digits: lookups then go by substrings. */
  private readonly root: PrefixNode | undefined;
  /** The rate lists along a number's digits, longest last (reused: lookups are synchronous). */
  private readonly path: Rate[][] = [];

  constructor(rates: readonly Rate[]) {
    let max = 0;
    for (const rate of rates) {
      const list = this.byPrefix.get(rate.prefix);
      if (list) list.push(rate);
      else this.byPrefix.set(rate.prefix, [rate]);
      if (rate.prefix.length > max) max = rate.prefix.length;
    }
    for (const list of this.byPrefix.values()) list.sort((a, b) => (a.effectiveFrom < b.effectiveFrom ? -1 : 1));
    this.maxPrefixLength = max;
    let root: PrefixNode | undefined = newNode();
    for (const [prefix, list] of this.byPrefix) {
      if (!/^\d+$/.test(prefix)) {
        root = undefined;
        break;
      }
      let node = root;
      for (let i = 0; i < prefix.length; i++) {
        const digit = prefix.charCodeAt(i) - 48;
        node = node.next[digit] ??= newNode();
      }
      node.rates = list;
    }
    this.root = root;
  }

  get size(): number {
    return this.byPrefix.size;
  }

  /** The rate for a number (digits only), a local date and a band. */
  find(digits: string, date: IsoDate, band: Band): Rate | RatingError {
    if (this.root === undefined) return this.findBySubstrings(digits, date, band);
    const path = this.path;
    let found = 0;
    let node: PrefixNode | undefined = this.root;
    for (let i = 0; i < digits.length; i++) {
      const digit = digits.charCodeAt(i) - 48;
      if (digit < 0 || digit > 9) break;
      node = node.next[digit];
      if (node === undefined) break;
      if (node.rates !== undefined) path[found++] = node.rates;
    }
    for (let k = found - 1; k >= 0; k--) {
      const rate = RateTable.inEffect(path[k]!, date, band);
      if (rate !== undefined) return rate;
    }
    return 'no_rate';
  }

  /** Of one prefix's rates, the one for the date and band; undefined if none is in effect on the date. */
  private static inEffect(list: Rate[], date: IsoDate, band: Band): Rate | 'no_rate_for_band' | undefined {
    let bandRate: Rate | undefined;
    let allRate: Rate | undefined;
    let inEffect = false;
    for (const rate of list) {
      if (rate.effectiveFrom > date || (rate.effectiveTo !== null && date >= rate.effectiveTo)) continue;
      inEffect = true;
      if (rate.band === band) bandRate = rate;
      else if (rate.band === 'all') allRate = rate;
    }
    if (!inEffect) return undefined; // this prefix has no rate on that date: a shorter one may
    return bandRate ?? allRate ?? 'no_rate_for_band';
  }

  private findBySubstrings(digits: string, date: IsoDate, band: Band): Rate | RatingError {
    for (let length = Math.min(this.maxPrefixLength, digits.length); length > 0; length--) {
      const list = this.byPrefix.get(digits.slice(0, length));
      const rate = list && RateTable.inEffect(list, date, band);
      if (rate !== undefined) return rate;
    }
    return 'no_rate';
  }
}

/** Seconds billed for a call of this length under an initial and a subsequent increment. */
export function billableSeconds(durationS: number, initialS: number, subsequentS: number): number {
  if (durationS <= 0) return 0;
  if (durationS <= initialS) return initialS;
  return initialS + Math.ceil((durationS - initialS) / subsequentS) * subsequentS;
}

const DIGITS = /^\d+$/;

/** Digits of a stored phone number (which may start with "+"). */
export function numberDigits(number: string): string {
  return number.startsWith('+') ? number.slice(1) : number;
}

export interface RatingContext {
  clock: LocalClock;
  bands: BandConfig;
}

export function createRatingContext(bands: BandConfig): RatingContext {
  return { clock: new LocalClock(bands.timeZone), bands };
}

/**
 * The rate that prices a call (the lookup of rateCall, shared with call authorisation so that a call is
 * authorised against exactly the rate that will price it).
 */
export function lookupRate(
  call: Pick<CallToRate, 'fromNumber' | 'toNumber' | 'direction' | 'startMs'>,
  table: RateTable | undefined,
  context: RatingContext,
): { rate: Rate; band: Band } | { error: RatingError } {
  if (!table) return { error: 'no_rate_card' };
  const digits = numberDigits(call.direction === 'outbound' ? call.toNumber : call.fromNumber);
  // A withheld caller is stored as "anonymous": there are no digits to look up.
  if (!DIGITS.test(digits)) return { error: 'invalid_number' };
  const band = bandAt(context.clock, call.startMs, context.bands);
  const found = table.find(digits, context.clock.localDate(call.startMs), band);
  if (typeof found === 'string') return { error: found };
  return { rate: found, band };
}

/** The charge of a completed call of this length at this rate, in micro-units (rateCall's formula). */
export function chargeMicrosFor(rate: Rate, durationS: number): { billableS: number; chargeMicros: number } {
  const billableS = billableSeconds(durationS, rate.initialIncrementS, rate.subsequentIncrementS);
  const usage = divideRoundHalfUp(rate.ratePerMinuteMicros * billableS, 60);
  return { billableS, chargeMicros: Math.max(rate.connectionFeeMicros + usage, rate.minimumChargeMicros) };
}

export function rateCall(call: CallToRate, table: RateTable | undefined, context: RatingContext): Rating {
  if (call.status !== 'completed') return { status: 'free' };
  const found = lookupRate(call, table, context);
  if ('error' in found) return { status: 'unrated', error: found.error };
  const { rate, band } = found;
  const { billableS, chargeMicros } = chargeMicrosFor(rate, call.durationS);
  const costMicros = rate.costPerMinuteMicros === null ? null : divideRoundHalfUp(rate.costPerMinuteMicros * Math.max(call.durationS, 0), 60);
  return { status: 'rated', rateId: rate.id, destination: rate.destination, band, billableS, chargeMicros, costMicros };
}
