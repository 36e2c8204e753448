// Rating: a call and a rate card give a charge, a carrier cost and the rate used, or a named reason it
// cannot be priced. Pure code; money in integer micro-units (src/money/micros.ts), rounded by src/money/rounding.ts.
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
import { addDays, type IsoDate } from '../shared/dates.ts';
import { bandAt, type Band, type BandConfig, LocalClock } from './bands.ts';
import { perMinuteMicros } from '../money/rounding.ts';

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
  /** Null: from the start of time (a card's first import without a date). */
  effectiveFrom: IsoDate | null;
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

/** The general text of each error; an unrated Rating's `reason` names the number, the date and the card. */
export const RATING_ERROR_TEXT: Record<RatingError, string> = {
  no_rate_card:
    'no rate card applies: the account has no default rate card, and neither the feature nor the customer names one',
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
  /** `reason`: what a person reads (the number, the call's date, the card, and what is missing). */
  | { status: 'unrated'; error: RatingError; reason: string };

export interface CallToRate {
  fromNumber: string;
  toNumber: string;
  direction: 'inbound' | 'outbound';
  status: 'completed' | 'missed' | 'busy' | 'failed';
  startMs: number;
  durationS: number;
}

/**
 * The prefix tree in flat arrays: node n's child for digit d is children[n * 10 + d] (0: none, the root
 * being node 0), and its rates are lists[n] (undefined: none). A walk along a number's digits then reads
 * one small array slot per digit: a tree of objects (a node, its array of children, the next node) cost
 * three scattered reads per digit, which with tens of thousands of prefixes miss the CPU's caches and made
 * the lookup the largest cost of rating a call.
 */
class PrefixTree {
  private children = new Int32Array(10 * 1024);
  readonly lists: (Rate[] | undefined)[] = [undefined];
  private size = 1;

  /** The node for a prefix of digits, made if missing. */
  add(prefix: string, rates: Rate[]): void {
    let node = 0;
    for (let i = 0; i < prefix.length; i++) {
      const slot = node * 10 + prefix.charCodeAt(i) - 48;
      let child = this.children[slot]!;
      if (child === 0) {
        child = this.size++;
        this.lists.push(undefined);
        if (this.size * 10 > this.children.length) {
          const bigger = new Int32Array(this.children.length * 2);
          bigger.set(this.children);
          this.children = bigger;
        }
        this.children[slot] = child;
      }
      node = child;
    }
    this.lists[node] = rates;
  }

  /** The child of a node for a digit (0 to 9); 0 when there is none. */
  child(node: number, digit: number): number {
    return this.children[node * 10 + digit]!;
  }
}

/**
 * A rate card compiled for lookups: rates by prefix, each list sorted by effective date, and a tree of the
 * prefixes' digits, so that a number's prefixes are found in one walk along its digits (no substrings).
 */
export class RateTable {
  private readonly byPrefix = new Map<string, Rate[]>();
  private readonly maxPrefixLength: number;
  /** Undefined if a prefix is not all digits: lookups then go by substrings. */
  private readonly tree: PrefixTree | undefined;
  /** The rate lists along a number's digits, longest last (reused: lookups are synchronous). */
  private readonly path: Rate[][] = [];

  /** The earliest date any rate of the card applies from (null: the start of time; undefined: no rates). */
  private readonly firstEffectiveFrom: IsoDate | null | undefined;

  /** `name`: the rate card's name, for the reasons a call cannot be priced. */
  constructor(
    rates: readonly Rate[],
    readonly name?: string,
  ) {
    let max = 0;
    let first: IsoDate | null | undefined;
    for (const rate of rates) {
      if (
        applies(rate) &&
        first !== null &&
        (rate.effectiveFrom === null || first === undefined || rate.effectiveFrom < first)
      )
        first = rate.effectiveFrom;
      const list = this.byPrefix.get(rate.prefix);
      if (list) list.push(rate);
      else this.byPrefix.set(rate.prefix, [rate]);
      if (rate.prefix.length > max) max = rate.prefix.length;
    }
    this.firstEffectiveFrom = first;
    // By start date, rates from the start of time first.
    for (const list of this.byPrefix.values())
      list.sort((a, b) =>
        a.effectiveFrom === null
          ? -1
          : b.effectiveFrom === null
            ? 1
            : a.effectiveFrom < b.effectiveFrom
              ? -1
              : 1,
      );
    this.maxPrefixLength = max;
    let tree: PrefixTree | undefined = new PrefixTree();
    for (const [prefix, list] of this.byPrefix) {
      if (!/^\d+$/.test(prefix)) {
        tree = undefined;
        break;
      }
      tree.add(prefix, list);
    }
    this.tree = tree;
  }

  get size(): number {
    return this.byPrefix.size;
  }

  /** The rate for a number (digits only), a local date and a band. */
  find(digits: string, date: IsoDate, band: Band): Rate | RatingError {
    const tree = this.tree;
    if (tree === undefined) return this.findBySubstrings(digits, date, band);
    const path = this.path;
    const lists = tree.lists;
    let found = 0;
    let node = 0;
    for (let i = 0; i < digits.length; i++) {
      const digit = digits.charCodeAt(i) - 48;
      if (digit < 0 || digit > 9) break;
      node = tree.child(node, digit);
      if (node === 0) break;
      const rates = lists[node];
      if (rates !== undefined) path[found++] = rates;
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
      if (
        (rate.effectiveFrom !== null && rate.effectiveFrom > date) ||
        (rate.effectiveTo !== null && date >= rate.effectiveTo)
      )
        continue;
      inEffect = true;
      if (rate.band === band) bandRate = rate;
      else if (rate.band === 'all') allRate = rate;
    }
    if (!inEffect) return undefined; // this prefix has no rate on that date: a shorter one may
    return bandRate ?? allRate ?? 'no_rate_for_band';
  }

  /**
   * Why a number has no rate on a date (the error find() gave), for a person: no prefix of the number is
   * on the card at all, or the card's (or the destination's) rates start after the date or ended before
   * it, or the destination has no rate for the band. `number` is shown as given.
   */
  explain(
    error: 'no_rate' | 'no_rate_for_band',
    number: string,
    digits: string,
    date: IsoDate,
    band: Band,
  ): string {
    const card = this.name === undefined ? 'the rate card' : `card ${this.name}`;
    // The number's prefixes on the card, longest first, each with its rates that ever apply.
    const lists: Rate[][] = [];
    for (let length = Math.min(this.maxPrefixLength, digits.length); length > 0; length--) {
      const list = this.byPrefix.get(digits.slice(0, length))?.filter(applies);
      if (list !== undefined && list.length > 0) lists.push(list);
    }
    if (this.byPrefix.size === 0) return `no rate for ${number}: ${card} has no rates`;
    if (lists.length === 0) return `no rate for ${number}: no prefix of the number is on ${card}`;
    if (error === 'no_rate_for_band') {
      const list = lists.find((l) => l.some((r) => inEffectOn(r, date))) ?? lists[0]!;
      const { prefix, destination } = list[0]!;
      const bands = [...new Set(list.filter((r) => inEffectOn(r, date)).map((r) => r.band))].join(', ');
      return `no rate for ${number} in the ${band} band on ${date}: ${card} has rates for ${prefix} (${destination}) in ${bands || 'no band'} only`;
    }
    const head = `no rate for ${number} effective on ${date}`;
    const first = this.firstEffectiveFrom;
    if (first !== undefined && first !== null && first > date)
      return `${head}: ${card}'s rates start ${first}`;
    // The longest prefix with a rate starting after the date; else the rate that ended last before it.
    let ended: Rate | undefined;
    for (const list of lists) {
      let later: Rate | undefined;
      for (const rate of list) {
        if (rate.effectiveFrom !== null && rate.effectiveFrom > date) {
          if (later === undefined || rate.effectiveFrom < later.effectiveFrom!) later = rate;
        } else if (
          rate.effectiveTo !== null &&
          rate.effectiveTo <= date &&
          (ended === undefined || rate.effectiveTo > ended.effectiveTo!)
        ) {
          ended = rate;
        }
      }
      if (later !== undefined)
        return `${head}: ${card}'s rates for ${later.prefix} (${later.destination}) start ${later.effectiveFrom}`;
    }
    if (ended !== undefined)
      return `${head}: ${card}'s rates for ${ended.prefix} (${ended.destination}) ended, the last day being ${addDays(ended.effectiveTo!, -1)}`;
    const { prefix, destination } = lists[0]![0]!;
    return `${head}: no rate of ${card} for ${prefix} (${destination}) is in effect then`;
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

/** Whether a rate applies on some date (one replaced before it started never does). */
function applies(rate: Rate): boolean {
  return rate.effectiveTo === null || rate.effectiveFrom === null || rate.effectiveFrom < rate.effectiveTo;
}

function inEffectOn(rate: Rate, date: IsoDate): boolean {
  return (
    (rate.effectiveFrom === null || rate.effectiveFrom <= date) &&
    (rate.effectiveTo === null || date < rate.effectiveTo)
  );
}

/** Seconds billed for a call of this length under an initial and a subsequent increment. */
export function billableSeconds(durationS: number, initialS: number, subsequentS: number): number {
  if (durationS <= 0) return 0;
  if (durationS <= initialS) return initialS;
  return initialS + Math.ceil((durationS - initialS) / subsequentS) * subsequentS;
}

/**
 * Billed seconds as whole minutes, rounded half up (90 s is 2 minutes, 89 s is 1): the "minutes" of call
 * charges on invoices and bills, always of the seconds billed, never of the calls' durations.
 */
export function billedMinutes(billableS: number): number {
  if (!Number.isSafeInteger(billableS) || billableS < 0)
    throw new Error(`billable seconds ${billableS} must be a whole number, not negative`);
  return Math.floor((billableS * 2 + 60) / 120);
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
  const usage = perMinuteMicros(rate.ratePerMinuteMicros, billableS);
  return { billableS, chargeMicros: Math.max(rate.connectionFeeMicros + usage, rate.minimumChargeMicros) };
}

/** What a person reads when a call cannot be priced: the general text, or the table's explanation. */
export function unratedReason(
  error: RatingError,
  call: Pick<CallToRate, 'fromNumber' | 'toNumber' | 'direction' | 'startMs'>,
  table: RateTable | undefined,
  context: RatingContext,
): string {
  if (table === undefined || (error !== 'no_rate' && error !== 'no_rate_for_band'))
    return RATING_ERROR_TEXT[error];
  const number = call.direction === 'outbound' ? call.toNumber : call.fromNumber;
  const band = bandAt(context.clock, call.startMs, context.bands);
  return table.explain(error, number, numberDigits(number), context.clock.localDate(call.startMs), band);
}

export function rateCall(call: CallToRate, table: RateTable | undefined, context: RatingContext): Rating {
  if (call.status !== 'completed') return { status: 'free' };
  const found = lookupRate(call, table, context);
  if ('error' in found)
    return {
      status: 'unrated',
      error: found.error,
      reason: unratedReason(found.error, call, table, context),
    };
  const { rate, band } = found;
  const { billableS, chargeMicros } = chargeMicrosFor(rate, call.durationS);
  const costMicros =
    rate.costPerMinuteMicros === null
      ? null
      : perMinuteMicros(rate.costPerMinuteMicros, Math.max(call.durationS, 0));
  return {
    status: 'rated',
    rateId: rate.id,
    destination: rate.destination,
    band,
    billableS,
    chargeMicros,
    costMicros,
  };
}
