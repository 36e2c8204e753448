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
import { availableOf, type CreditTerms, type LedgerTotals } from '../balances/ledger.ts';
import { hashApiKey, routedPartOfKey } from '../api-keys/token.ts';
import { findByToken } from '../tokens/find-by-token.ts';
import { postToOne } from '../balances/post.ts';
import { findBalance, lockBalances } from '../balances/repo.ts';
import type { ReservationRow } from '../balances/reservations-repo.ts';
import { createRatingContext, lookupRate, type Rate, type RatingError } from '../rating/rate-call.ts';
import { minutesOfDay } from '../rating/bands.ts';
import { fromMicros, toMicros } from '../money/micros.ts';
import { phoneMatchKey } from '../shared/contact.ts';
import { DomainError, invalid, notFound } from '../shared/errors.ts';
import { formatDecimal, money } from '../money/money.ts';
import { grossCostMicros, maxAffordableDuration, type VatTerms } from './max-duration.ts';
import { cachedRateTable } from './rate-cache.ts';
import {
  accountAndLines,
  accountRating,
  authorizationFacts,
  linesWithNumber,
  type AccountRating,
  type LineCandidate,
  type LineWithBalance,
} from './repo.ts';
import {
  findReservation,
  findReservationByCallId,
  insertReservation,
  reserveInOneStatement,
  type NewReservation,
} from '../balances/reservations-repo.ts';
import { customerRowsSql } from '../customers/reports-repo.ts';

/** Reservations expire this long after they are made or extended unless the server is told otherwise. */
export const DEFAULT_RESERVATION_TTL_S = 4 * 3600;
/** The longest call one authorisation (or one extension) grants unless the server is told otherwise. */
export const DEFAULT_MAX_DURATION_S = 3600;

export interface AuthorizationSettings {
  reservationTtlS: number;
  maxDurationS: number;
}

export const DEFAULT_AUTHORIZATION_SETTINGS: AuthorizationSettings = {
  reservationTtlS: DEFAULT_RESERVATION_TTL_S,
  maxDurationS: DEFAULT_MAX_DURATION_S,
};

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
  if (!NUMBER.test(n))
    throw invalid(field, `"${value}" is not a phone number (3 to 20 digits, an optional leading +)`);
  return n;
}

/** The line making the call on its local date, as allocation chooses it (FeatureIndex.find). */
export function lineOn<T extends LineCandidate>(candidates: readonly T[], localDate: string): T | undefined {
  return candidates.find(
    (f) =>
      (f.start_date === null || f.start_date <= localDate) &&
      (f.end_date === null || localDate <= f.end_date),
  );
}

interface CheckedInput {
  from: string;
  to: string;
  callId: string | undefined;
  cap: number;
  now: Date;
  start: Date;
}

function checkInput(ctx: Ctx, input: AuthorizeInput, settings: AuthorizationSettings): CheckedInput {
  const from = checkNumber(input.from, 'from');
  const to = checkNumber(input.to, 'to');
  const callId = input.callId?.trim();
  if (callId !== undefined && (callId === '' || callId.length > 200))
    throw invalid('callId', 'must be 1 to 200 characters');
  const cap = input.maxDurationS ?? settings.maxDurationS;
  if (!Number.isInteger(cap) || cap < 1 || cap > settings.maxDurationS)
    throw invalid('maxDurationS', `must be a whole number of seconds from 1 to ${settings.maxDurationS}`);
  const now = ctx.now();
  return { from, to, callId, cap, now, start: input.startTime ?? now };
}

/** Authorises a call for an account whose key was checked already (the route's key hook). */
export async function authorizeCall(
  ctx: Ctx,
  accountId: number,
  input: AuthorizeInput,
  settings: AuthorizationSettings = DEFAULT_AUTHORIZATION_SETTINGS,
): Promise<Authorization> {
  const checked = checkInput(ctx, input, settings);
  const { account, lines } = await accountAndLines(ctx.db, accountId, checked.from);
  if (!account) throw notFound('Account', accountId);
  // The same call asked again (a switch retrying): the same answer, nothing held twice.
  const earlier =
    checked.callId === undefined
      ? undefined
      : await findReservationByCallId(ctx.db, accountId, checked.callId);
  if (earlier) return replay(ctx, accountId, account, earlier);
  return decide(ctx, account, lines, checked, settings);
}

const MAX_KEY_LENGTH = 200;

/**
 * Authorises a call with the API key that asks (the hot path, POST /calls/authorize): the key, the account,
 * the line and its balance are read in one query, and the reservation with its ledger entry written in one
 * statement when nothing else needs the balance row's lock held longer (no alert applies; see decide).
 */
export async function authorizeCallWithKey(
  ctx: Ctx,
  key: string,
  requiredLevel: number,
  input: AuthorizeInput,
  settings: AuthorizationSettings = DEFAULT_AUTHORIZATION_SETTINGS,
): Promise<Authorization & { accountId: number }> {
  if (key.length === 0 || key.length > MAX_KEY_LENGTH)
    throw new DomainError('unauthenticated', 'the API key is not valid or has been revoked');
  const checked = checkInput(ctx, input, settings);
  const keyHash = hashApiKey(key);
  const facts = await findByToken(ctx.db, 'api_key', routedPartOfKey(key), keyHash, (keyAccountId) =>
    authorizationFacts(
      ctx.db,
      keyAccountId,
      keyHash,
      checked.from,
      checked.callId ?? null,
      ctx.database.pool,
    ),
  );
  if (!facts) throw new DomainError('unauthenticated', 'the API key is not valid or has been revoked');
  if (facts.key.level < requiredLevel)
    throw new DomainError(
      'forbidden',
      `this needs an API key of level ${requiredLevel} or more; this key is level ${facts.key.level}`,
    );
  const accountId = facts.account.id;
  if (facts.earlierReservationId !== null) {
    const earlier = await findReservation(ctx.db, accountId, facts.earlierReservationId);
    if (earlier) return { ...(await replay(ctx, accountId, facts.account, earlier)), accountId };
  }
  return { ...(await decide(ctx, facts.account, facts.lines, checked, settings)), accountId };
}

/** Rating contexts by account settings: a LocalClock (Intl formatters) costs more than an authorisation. */
const ratingContexts = new Map<string, ReturnType<typeof createRatingContext>>();

export function ratingContextOf(account: AccountRating) {
  const key = `${account.timezone}|${account.peak_start}|${account.peak_end}`;
  let context = ratingContexts.get(key);
  if (!context) {
    context = createRatingContext({
      timeZone: account.timezone,
      peakStartMinutes: minutesOfDay(account.peak_start),
      peakEndMinutes: minutesOfDay(account.peak_end),
    });
    if (ratingContexts.size >= 1000) ratingContexts.clear();
    ratingContexts.set(key, context);
  }
  return context;
}

/** Most times the one-statement reservation is tried again after what is available moved under it. */
const ONE_STATEMENT_TRIES = 2;

async function decide(
  ctx: Ctx,
  account: AccountRating,
  lines: readonly (LineCandidate | LineWithBalance)[],
  c: CheckedInput,
  settings: AuthorizationSettings,
): Promise<Authorization> {
  const accountId = account.id;
  const { from, to, callId, cap, now, start } = c;
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

  const rating = ratingContextOf(account);
  const localDate = rating.clock.localDate(start.getTime());
  const line = lineOn(lines, localDate);
  if (!line) return refuse('unknown_number');
  const cardId = line.rate_card_id ?? account.default_rate_card_id;
  const table = cardId === null ? undefined : await cachedRateTable(ctx.db, accountId, cardId);
  const found = lookupRate(
    { fromNumber: from, toNumber: to, direction: 'outbound', startMs: start.getTime() },
    table,
    rating,
  );
  if ('error' in found) return refuse(found.error);
  const vat: VatTerms = {
    rate: line.feature_vat_rate ?? account.default_vat_rate,
    reverseCharge: line.reverse_charge,
  };
  const rate: RateUsed = { rate: found.rate, vat };
  const reservationOf = (durationS: number, costMicros: number): NewReservation => ({
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
  const description = (durationS: number) => `call to ${to}: ${durationS} s at ${found.rate.destination}`;
  const decideOn = (terms: CreditTerms, totals: LedgerTotals) => {
    const left = availableOf(totals, terms);
    if (left === null) return { left, durationS: cap, costMicros: 0 };
    // Sub-micro amounts cannot occur (every amount has at most 6 decimals); cap what is considered so
    // integer arithmetic stays exact.
    const leftMicros = left.isNegative()
      ? 0
      : toMicros(left.greaterThan('999999999999') ? '999999999999' : formatDecimal(left));
    return { left, ...maxAffordableDuration(found.rate, leftMicros, vat, cap) };
  };
  const refusalOf = (mode: CreditTerms['mode']) =>
    refuse(mode === 'prepaid' ? 'insufficient_balance' : 'credit_limit_reached', rate);

  // The one-statement path: the line's balance as read (no lock), the decision on it, then one statement
  // that locks the row and writes only if what is available under the lock gives the same decision. With
  // alerts to check the locking transaction below is taken (they read and write more in it).
  if ('has_alerts' in line && !line.has_alerts) {
    if (!line.has_balance) {
      const reservation = await insertReservation(ctx.db, reservationOf(cap, 0));
      return {
        authorized: true,
        maxDurationS: cap,
        reservation,
        rate,
        reason: null,
        currency: account.currency,
        available: null,
        replayed: false,
      };
    }
    const terms: CreditTerms = {
      mode: line.billing_mode,
      creditLimit: line.credit_limit,
      overdraft: line.overdraft,
    };
    let totals: LedgerTotals = { balance: money(line.balance!), reserved: money(line.reserved!) };
    for (let i = 0; i < ONE_STATEMENT_TRIES; i++) {
      const { left, durationS, costMicros } = decideOn(terms, totals);
      if (left === null) break; // no limit: the locking path (which makes no entry) answers
      if (durationS === 0) return refusalOf(terms.mode);
      const availableBelow =
        durationS < cap ? fromMicros(grossCostMicros(found.rate, durationS + 1, vat)) : null;
      const made = await reserveInOneStatement(
        ctx.db,
        { ...reservationOf(durationS, costMicros), description: description(durationS), availableBelow },
        customerRowsSql(),
        ctx.database.pool,
      );
      if (made) {
        return {
          authorized: true,
          maxDurationS: durationS,
          reservation: made.reservation,
          rate,
          reason: null,
          currency: account.currency,
          available: money(made.availableBefore).minus(fromMicros(costMicros)).toFixed(),
          replayed: false,
        };
      }
      // What is available moved between the read and the lock: read it again (bounded), else lock and decide.
      const fresh = await findBalance(ctx.db, accountId, line.customer_id);
      if (!fresh) break;
      totals = { balance: money(fresh.balance), reserved: money(fresh.reserved) };
    }
  }

  return ctx.db.transaction().execute(async (trx) => {
    const [locked] = await lockBalances(trx, accountId, [line.customer_id]);
    let available: string | null = null;
    let durationS = cap;
    let costMicros = 0;
    if (locked) {
      const terms: CreditTerms = {
        mode: locked.billing_mode,
        creditLimit: locked.credit_limit,
        overdraft: locked.overdraft,
      };
      const decided = decideOn(terms, { balance: money(locked.balance), reserved: money(locked.reserved) });
      if (decided.left !== null) {
        ({ durationS, costMicros } = decided);
        if (durationS === 0) return refusalOf(terms.mode);
        available = decided.left.minus(fromMicros(costMicros)).toFixed();
      }
    }
    const reservation = await insertReservation(trx, reservationOf(durationS, costMicros));
    if (locked && costMicros > 0) {
      await postToOne(
        trx,
        accountId,
        locked,
        [
          {
            kind: 'reservation',
            amount: money(fromMicros(costMicros)).negated(),
            reservationId: reservation.id,
            description: description(durationS),
          },
        ],
        now,
      );
    }
    return {
      authorized: true,
      maxDurationS: durationS,
      reservation,
      rate,
      reason: null,
      currency: account.currency,
      available,
      replayed: false,
    };
  });
}

async function replay(
  ctx: Ctx,
  accountId: number,
  account: AccountRating,
  reservation: ReservationRow,
): Promise<Authorization> {
  if (reservation.status !== 'active') {
    throw new DomainError(
      'conflict',
      `call ${reservation.call_id} was authorised already (reservation ${reservation.id}, now ${reservation.status})`,
    );
  }
  const table =
    reservation.rate_id === null ? undefined : await rateOfReservation(ctx, accountId, reservation);
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
export async function rateOfReservation(
  ctx: Ctx,
  accountId: number,
  reservation: ReservationRow,
): Promise<RateUsed | undefined> {
  const account = await accountRating(ctx.db, accountId);
  if (!account) return undefined;
  const lines = await linesWithNumber(ctx.db, accountId, reservation.from_number);
  const line = lines.find((l) => l.feature_id === reservation.feature_id);
  const cardId = line?.rate_card_id ?? account.default_rate_card_id;
  if (cardId === null) return undefined;
  const table = await cachedRateTable(ctx.db, accountId, cardId);
  const found = lookupRate(
    {
      fromNumber: reservation.from_number,
      toNumber: reservation.to_number,
      direction: 'outbound',
      startMs: reservation.start_time.getTime(),
    },
    table,
    ratingContextOf(account),
  );
  if ('error' in found) return undefined;
  return {
    rate: found.rate,
    vat: {
      rate: line?.feature_vat_rate ?? account.default_vat_rate,
      reverseCharge: line?.reverse_charge ?? false,
    },
  };
}
