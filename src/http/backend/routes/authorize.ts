// Real-time call authorisation: POST /calls/authorize before a call connects; the reservation it makes can
// be read, extended mid-call and released. The call's CDR settles it when it is stored (POST /calls or a
// CDR file), or it expires.
import { z } from 'zod';
import { KeyLevel } from '../../../api-keys/levels.ts';
import {
  authorizeCall,
  authorizeCallWithKey,
  DEFAULT_AUTHORIZATION_SETTINGS,
  type Authorization,
  type AuthorizationSettings,
} from '../../../authorization/authorize.ts';
import { extendReservation } from '../../../authorization/extend.ts';
import { findReservation } from '../../../balances/reservations-repo.ts';
import { releaseReservation } from '../../../authorization/release.ts';
import type { Ctx } from '../../../context.ts';
import type { ReservationRow } from '../../../balances/reservations-repo.ts';
import { fromMicros } from '../../../money/micros.ts';
import { invalid, notFound } from '../../../shared/errors.ts';
import { currencyMinorDigits, formatAmountAtLeast, formatDecimal, money } from '../../../money/money.ts';
import { bearerKey, principalOf } from '../../auth.ts';
import type { ZodApp } from '../../kit/app-type.ts';
import { pathId } from '../../kit/route-helpers.ts';
import { amount, errorBody, idParams, idString } from '../schemas.ts';

const tags = ['Call authorisation'];

const rateView = z
  .object({
    destination: z.string(),
    prefix: z.string(),
    band: z.enum(['all', 'peak', 'offpeak', 'weekend']),
    ratePerMinute: amount,
    connectionFee: amount,
    minimumCharge: amount,
    initialIncrementS: z.number().int(),
    subsequentIncrementS: z.number().int(),
    vatRate: z
      .string()
      .meta({ description: 'VAT added to what the balance is debited (percent; 0 for reverse charge)' }),
  })
  .meta({ id: 'AuthorizedRate' });

const REASONS = [
  'insufficient_balance',
  'credit_limit_reached',
  'unknown_number',
  'no_rate_card',
  'no_rate',
  'no_rate_for_band',
  'invalid_number',
] as const;

const authorizationView = z
  .object({
    authorized: z.boolean(),
    maxDurationS: z.number().int().meta({
      description:
        'The longest the call may last, in seconds, from its start (0 when refused): set it as the call time limit',
    }),
    reservationId: idString.nullable(),
    rate: rateView.nullable(),
    reason: z
      .enum(REASONS)
      .nullable()
      .meta({ description: `Why it was refused: ${REASONS.join(', ')}` }),
    reserved: amount.meta({ description: 'Held for this call (its cost at maxDurationS, VAT included)' }),
    available: amount
      .nullable()
      .meta({ description: 'Available to the customer after this hold; null when nothing limits it' }),
    currency: z.string(),
    expiresAt: z.string().nullable(),
    replayed: z.boolean().meta({
      description: 'The same callId was authorised before: this is that answer again, nothing more is held',
    }),
  })
  .meta({ id: 'Authorization' });

const reservationView = z
  .object({
    id: idString,
    status: z.enum(['active', 'settled', 'released', 'expired']),
    callId: z.string().nullable(),
    customerID: idString,
    featureID: idString,
    from: z.string(),
    to: z.string(),
    startTime: z.string(),
    destination: z.string().nullable(),
    maxDurationS: z.number().int(),
    reserved: amount,
    expiresAt: z.string(),
    settledCallID: idString.nullable(),
    ended: z.string().nullable(),
    created: z.string(),
  })
  .meta({ id: 'Reservation' });

function toRateView(a: Authorization, digits: number): z.infer<typeof rateView> | null {
  if (!a.rate) return null;
  const r = a.rate.rate;
  const m = (micros: number) => formatAmountAtLeast(fromMicros(micros), digits);
  return {
    destination: r.destination,
    prefix: r.prefix,
    band: r.band,
    ratePerMinute: m(r.ratePerMinuteMicros),
    connectionFee: m(r.connectionFeeMicros),
    minimumCharge: m(r.minimumChargeMicros),
    initialIncrementS: r.initialIncrementS,
    subsequentIncrementS: r.subsequentIncrementS,
    vatRate: a.rate.vat.reverseCharge ? '0' : formatDecimal(a.rate.vat.rate),
  };
}

function toAuthorizationView(a: Authorization): z.infer<typeof authorizationView> {
  const digits = currencyMinorDigits(a.currency);
  return {
    authorized: a.authorized,
    maxDurationS: a.maxDurationS,
    reservationId: a.reservation ? String(a.reservation.id) : null,
    rate: toRateView(a, digits),
    reason: a.reason,
    reserved: formatAmountAtLeast(money(a.reservation?.amount ?? '0').toFixed(), digits),
    available: a.available === null ? null : formatAmountAtLeast(a.available, digits),
    currency: a.currency,
    expiresAt: a.reservation ? a.reservation.expires_at.toISOString() : null,
    replayed: a.replayed,
  };
}

function toReservationView(r: ReservationRow): z.infer<typeof reservationView> {
  return {
    id: String(r.id),
    status: r.status,
    callId: r.call_id,
    customerID: String(r.customer_id),
    featureID: String(r.feature_id),
    from: r.from_number,
    to: r.to_number,
    startTime: r.start_time.toISOString(),
    destination: r.destination,
    maxDurationS: r.max_duration_s,
    reserved: formatAmountAtLeast(r.amount, 2),
    expiresAt: r.expires_at.toISOString(),
    settledCallID: r.settled_call_id === null ? null : String(r.settled_call_id),
    ended: r.ended_at ? r.ended_at.toISOString() : null,
    created: r.created_at.toISOString(),
  };
}

const ISO_INSTANT = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:?\d{2})$/;

export function authorizeRoutes(
  app: ZodApp,
  ctx: Ctx,
  settings: AuthorizationSettings = DEFAULT_AUTHORIZATION_SETTINGS,
): void {
  app.post(
    '/calls/authorize',
    {
      config: { level: KeyLevel.charges, keyCheckedByHandler: true },
      // The hot path: the answer is built by toAuthorizationView, typed by the schema (z.infer), so it is
      // written out as it is instead of being checked against the schema again on every request. The schema
      // still validates the body and documents the answer.
      serializerCompiler: () => (data) => JSON.stringify(data),
      schema: {
        tags,
        operationId: 'authorizeCall',
        summary: 'Authorise a call before it connects',
        description: `Finds the line (the feature with the \`from\` number on the call's date) and the rate (as rating does), and answers the longest duration the customer's available balance (prepaid) or remaining credit (postpaid with a creditLimit) pays for, VAT included, after the connection fee, minimum charge and increments; at most \`maxDurationS\` (default and most ${settings.maxDurationS} s; extend for longer calls). The money is held by a reservation until the call's CDR (matched by \`callId\`, else by from, to and a start within 5 minutes) settles it, it is released, or it expires (${settings.reservationTtlS / 3600} hours after it was made or last extended). A refusal is a 200 with \`authorized: false\` and a \`reason\`. The same \`callId\` authorised again answers the first authorisation.`,
        body: z
          .object({
            from: z.string().max(40),
            to: z.string().max(40),
            callId: z
              .string()
              .max(200)
              .optional()
              .meta({ description: "The switch's id of the call (its CDR's call_id)" }),
            startTime: z.string().max(40).optional().meta({
              description:
                'When the call starts (ISO 8601); default now. Picks the rate period and time band',
            }),
            maxDurationS: z.number().int().optional().meta({ description: 'The most to grant (seconds)' }),
          })
          .strict(),
        response: { 200: authorizationView, 400: errorBody, 409: errorBody },
      },
    },
    async (request) => {
      const b = request.body;
      if (
        b.startTime !== undefined &&
        (!ISO_INSTANT.test(b.startTime) || Number.isNaN(Date.parse(b.startTime)))
      ) {
        throw invalid('startTime', 'must be an ISO 8601 time with an offset (2026-10-20T09:00:00Z)');
      }
      const input = {
        from: b.from,
        to: b.to,
        callId: b.callId,
        startTime: b.startTime === undefined ? undefined : new Date(b.startTime),
        maxDurationS: b.maxDurationS,
      };
      // The key hook left the key to this handler (keyCheckedByHandler) unless it had to check it already.
      const result = request.principal
        ? await authorizeCall(ctx, request.principal.accountId, input, settings)
        : await authorizeCallWithKey(ctx, bearerKey(request) ?? '', KeyLevel.charges, input, settings);
      return toAuthorizationView(result);
    },
  );

  app.get(
    '/calls/authorize/:id',
    {
      schema: {
        tags,
        operationId: 'getReservation',
        summary: 'A reservation',
        params: idParams,
        response: { 200: reservationView, 404: errorBody },
      },
    },
    async (request) => {
      const id = pathId(request.params.id, 'Reservation');
      const r = await findReservation(ctx.db, principalOf(request).accountId, id);
      if (!r) throw notFound('Reservation', id);
      return toReservationView(r);
    },
  );

  app.post(
    '/calls/authorize/:id/extend',
    {
      config: { level: KeyLevel.charges },
      schema: {
        tags,
        operationId: 'extendReservation',
        summary: 'More time for a call in progress',
        description: `Grants up to \`seconds\` more (default and most ${settings.maxDurationS}) on top of the call's maxDurationS, as far as the balance pays for the whole call, and moves the expiry forward. \`authorized: false\` (reason) when nothing more can be granted; maxDurationS is then what was granted before.`,
        params: idParams,
        body: z.object({ seconds: z.number().int().optional() }).strict().nullish(),
        response: {
          200: authorizationView.extend({ extendedByS: z.number().int() }),
          400: errorBody,
          404: errorBody,
          409: errorBody,
        },
      },
    },
    async (request) => {
      const result = await extendReservation(
        ctx,
        principalOf(request).accountId,
        pathId(request.params.id, 'Reservation'),
        { seconds: request.body?.seconds },
        settings,
      );
      return { ...toAuthorizationView(result), extendedByS: result.extendedByS };
    },
  );

  app.post(
    '/calls/authorize/:id/release',
    {
      config: { level: KeyLevel.charges },
      schema: {
        tags,
        operationId: 'releaseReservation',
        summary: 'Release a reservation',
        description:
          'Gives the held money back (the call ended or never connected). Its CDR, if one comes, is still debited. A reservation already settled, released or expired is answered as it is.',
        params: idParams,
        response: { 200: reservationView, 404: errorBody },
      },
    },
    async (request) =>
      toReservationView(
        await releaseReservation(
          ctx,
          principalOf(request).accountId,
          pathId(request.params.id, 'Reservation'),
        ),
      ),
  );
}
