// POST /calls/authorize: may this call connect, and for how long? The line is found as allocation finds it
// (the feature whose number makes the call, on the call's local date), the rate as rating finds it
// (lookupRate: the feature's card, else the customer's, else the account's default; the longest prefix in
// effect; the time band), and the longest affordable duration by the inverse of the rating function
// (max-duration.ts) against what is available. The money for that duration is held by a reservation (a
// ledger entry) until the call's CDR settles it, the switch releases it, or it expires.
//
// Concurrency: the customer's balance row is locked (FOR UPDATE) for the decision and the reservation, so
// simultaneous authorisations queue on it and together never hold more than is available.
import type { Ctx } from '../context.ts';
import { availableOf } from '../balances/ledger.ts';
import { postToOne } from '../balances/post.ts';
import { lockBalances } from '../balances/repo.ts';
import type { ReservationRow } from '../db/schema-prepaid.ts';
import { createRatingContext, lookupRate, type Rate, type RatingError } from '../rating/rate-call.ts';
import { minutesOfDay } from '../rating/bands.ts';
import { fromMicros, toMicros } from '../rating/micros.ts';
import { phoneMatchKey } from '../shared/contact.ts';
import { DomainError, invalid, notFound } from '../shared/errors.ts';
import { money } from '../shared/money.ts';
import { maxAffordableDuration, type VatTerms } from './max-duration.ts';
import { cachedRateTable } from './rate-cache.ts';
import { accountAndLines, accountRating, findReservationByCallId, insertReservation, linesWithNumber, type AccountRating, type LineCandidate } from './repo.ts';

/** Reservations expire this long after they are made or extended unless the server is told otherwise. */
export const DEFAULT_RESERVATION_TTL_S = 4 * 3600;
/** The longest call one authorisation (or one extension) grants unless the server is told otherwise. */
export const DEFAULT_MAX_DURATION_S = 3600;

export interface AuthorizationSettings {
  reservationTtlS: number;
  maxDurationS: number;
}

export const DEFAULT_AUTHORIZATION_SETTINGS: AuthorizationSettings = { reservationTtlS: DEFAULT_RESERVATION_TTL_S, maxDurationS: DEFAULT_MAX_DURATION_S };

export type RefusalReason = 'insufficient_balance' | 'credit_limit_reached' | 'unknown_number' | RatingError;

export interface AuthorizeInput {
  from: string;
  to: string;
  callId?: string | undefined;
  startTime?: Date | undefined;
  /** The most the switch wants (default, and at most, the server's maximum). */
  maxDurationS?: number | undefined;
}

export interface RateUsed {
  rate: Rate;
  vat: VatTerms;
}

export interface Authorization {
  authorized: boolean;
  maxDurationS: number;
  reservation: ReservationRow | null;
  rate: RateUsed | null;
  reason: RefusalReason | null;
  currency: string;
  /** Available after this authorisation (null: nothing limits it). */
  available: string | null;
  /** An earlier authorisation of the same callId, answered again. */
  replayed: boolean;
}

const NUMBER = /^\+?\d{3,20}$/;

export function checkNumber(value: string, field: string): string {
  const n = value.trim().replace(/[\s().-]/g, '');
  if (!NUMBER.test(n)) throw invalid(field, `"${value}" is not a phone number (3 to 20 digits, an optional leading +)`);
  return n;
}

export function ratingContextOf(account: AccountRating) {
  return createRatingContext({ timeZone: account.timezone, peakStartMinutes: minutesOfDay(account.peak_start), peakEndMinutes: minutesOfDay(account.peak_end) });
}

/** The line making the call on its local date, as allocation chooses it (FeatureIndex.find). */
export function lineOn(candidates: readonly LineCandidate[], localDate: string): LineCandidate | undefined {
  return candidates.find((f) => (f.start_date === null || f.start_date <= localDate) && (f.end_date === null || localDate <= f.end_date));
}

export async function authorizeCall(ctx: Ctx, accountId: number, input: AuthorizeInput, settings: AuthorizationSettings = DEFAULT_AUTHORIZATION_SETTINGS): Promise<Authorization> {
  const from = checkNumber(input.from, 'from');
  const to = checkNumber(input.to, 'to');
  const callId = input.callId?.trim();
  if (callId !== undefined && (callId === '' || callId.length > 200)) throw invalid('callId', 'must be 1 to 200 characters');
  const cap = input.maxDurationS ?? settings.maxDurationS;
  if (!Number.isInteger(cap) || cap < 1 || cap > settings.maxDurationS) throw invalid('maxDurationS', `must be a whole number of seconds from 1 to ${settings.maxDurationS}`);
  const now = ctx.now();
  const start = input.startTime ?? now;

  const { account, lines } = await accountAndLines(ctx.db, accountId, from);
  if (!account) throw notFound('Account', accountId);
  const refuse = (reason: RefusalReason, rate: RateUsed | null = null): Authorization => ({
    authorized: false,
    maxDurationS: 0,
    reservation: null,
    rate,
    reason,
    currency: account.currency,
    available: null,
    replayed: false,
  });

  // The same call asked again (a switch retrying): the same answer, nothing held twice.
  if (callId !== undefined) {
    const earlier = await findReservationByCallId(ctx.db, accountId, callId);
    if (earlier) return replay(ctx, accountId, account, earlier);
  }

  const rating = ratingContextOf(account);
  const localDate = rating.clock.localDate(start.getTime());
  const line = lineOn(lines, localDate);
  if (!line) return refuse('unknown_number');
  const cardId = line.rate_card_id ?? account.default_rate_card_id;
  const table = cardId === null ? undefined : await cachedRateTable(ctx.db, accountId, cardId);
  const found = lookupRate({ fromNumber: from, toNumber: to, direction: 'outbound', startMs: start.getTime() }, table, rating);
  if ('error' in found) return refuse(found.error);

  return ctx.db.transaction().execute(async (trx) => {
    const [locked] = await lockBalances(trx, accountId, [line.customer_id]);
    const vat: VatTerms = { rate: line.feature_vat_rate ?? account.default_vat_rate, reverseCharge: line.reverse_charge };
    const rate: RateUsed = { rate: found.rate, vat };
    let available: string | null = null;
    let durationS = cap;
    let costMicros = 0;
    if (locked) {
      const terms = { mode: locked.billing_mode, creditLimit: locked.credit_limit, overdraft: locked.overdraft };
      const left = availableOf({ balance: money(locked.balance), reserved: money(locked.reserved) }, terms);
      if (left !== null) {
        // Sub-micro amounts cannot occur (every amount has at most 6 decimals); cap what is considered so
        // integer arithmetic stays exact.
        const leftMicros = left.isNegative() ? 0 : toMicros(left.greaterThan('999999999999') ? '999999999999' : left.toFixed(6));
        ({ durationS, costMicros } = maxAffordableDuration(found.rate, leftMicros, vat, cap));
        if (durationS === 0) return refuse(locked.billing_mode === 'prepaid' ? 'insufficient_balance' : 'credit_limit_reached', rate);
        available = left.minus(fromMicros(costMicros)).toFixed();
      }
    }
    const reservation = await insertReservation(trx, {
      account_id: accountId,
      customer_id: line.customer_id,
      feature_id: line.feature_id,
      call_id: callId ?? null,
      from_number: phoneMatchKey(from),
      to_number: phoneMatchKey(to),
      start_time: start,
      rate_id: found.rate.id,
      destination: found.rate.destination,
      amount: fromMicros(costMicros),
      max_duration_s: durationS,
      status: 'active',
      expires_at: new Date(now.getTime() + settings.reservationTtlS * 1000),
      created_at: now,
      updated_at: now,
    });
    if (locked && costMicros > 0) {
      await postToOne(trx, accountId, locked, [
        { kind: 'reservation', amount: money(fromMicros(costMicros)).negated(), reservationId: reservation.id, description: `call to ${to}: ${durationS} s at ${found.rate.destination}` },
      ], now);
    }
    return { authorized: true, maxDurationS: durationS, reservation, rate, reason: null, currency: account.currency, available, replayed: false };
  });
}

async function replay(ctx: Ctx, accountId: number, account: AccountRating, reservation: ReservationRow): Promise<Authorization> {
  if (reservation.status !== 'active') {
    throw new DomainError('conflict', `call ${reservation.call_id} was authorised already (reservation ${reservation.id}, now ${reservation.status})`);
  }
  const table = reservation.rate_id === null ? undefined : await rateOfReservation(ctx, accountId, reservation);
  return {
    authorized: true,
    maxDurationS: reservation.max_duration_s,
    reservation,
    rate: table ?? null,
    reason: null,
    currency: account.currency,
    available: null,
    replayed: true,
  };
}

/** The rate a reservation was priced at, with its VAT terms (for extensions and replays). */
export async function rateOfReservation(ctx: Ctx, accountId: number, reservation: ReservationRow): Promise<RateUsed | undefined> {
  const account = await accountRating(ctx.db, accountId);
  if (!account) return undefined;
  const lines = await linesWithNumber(ctx.db, accountId, reservation.from_number);
  const line = lines.find((l) => l.feature_id === reservation.feature_id);
  const cardId = line?.rate_card_id ?? account.default_rate_card_id;
  if (cardId === null) return undefined;
  const table = await cachedRateTable(ctx.db, accountId, cardId);
  const found = lookupRate({ fromNumber: reservation.from_number, toNumber: reservation.to_number, direction: 'outbound', startMs: reservation.start_time.getTime() }, table, ratingContextOf(account));
  if ('error' in found) return undefined;
  return { rate: found.rate, vat: { rate: line?.feature_vat_rate ?? account.default_vat_rate, reverseCharge: line?.reverse_charge ?? false } };
}
