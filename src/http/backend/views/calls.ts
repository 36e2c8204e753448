// Rates and calls as the backend API shows them, and the rejections of an import.
import { z } from 'zod';
import type { CallRow } from '../../../calls/repo.ts';
import type { RateRow } from '../../../rate-cards/repo.ts';
import type { RejectedRow } from '../../../rejections/repo.ts';
import { formatCompleteCallId } from '../../../feed/columns.ts';
import { formatDecimal } from '../../../money/money.ts';
import { decimalOrNull, idOrNull } from '../../kit/views/format.ts';
import { amount, idString } from '../schemas.ts';

export const rateView = z
  .object({
    id: idString,
    rateCardID: idString,
    prefix: z.string(),
    destination: z.string(),
    band: z.enum(['all', 'peak', 'offpeak', 'weekend']),
    ratePerMinute: amount,
    connectionFee: amount,
    minimumCharge: amount,
    initialIncrementS: z.number().int(),
    subsequentIncrementS: z.number().int(),
    costPerMinute: amount.nullable(),
    effectiveFrom: z
      .string()
      .nullable()
      .meta({ description: "null: from the start of time (a card's first rates, loaded without a date)" }),
    effectiveTo: z.string().nullable().meta({ description: 'Exclusive; null while in force' }),
  })
  .meta({ id: 'Rate' });

export function toRateView(r: RateRow): z.infer<typeof rateView> {
  return {
    id: String(r.id),
    rateCardID: String(r.rate_card_id),
    prefix: r.prefix,
    destination: r.destination,
    band: r.band,
    ratePerMinute: formatDecimal(r.rate_per_minute),
    connectionFee: formatDecimal(r.connection_fee),
    minimumCharge: formatDecimal(r.minimum_charge),
    initialIncrementS: r.initial_increment_s,
    subsequentIncrementS: r.subsequent_increment_s,
    costPerMinute: decimalOrNull(r.cost_per_minute),
    effectiveFrom: r.effective_from,
    effectiveTo: r.effective_to,
  };
}

export const callView = z
  .object({
    id: idString,
    callID: z.string().meta({ description: 'The call id of the source (call_id at ingestion)' }),
    completeCallID: z.string().meta({
      description:
        'The call record id that links its rows in the call transactions feed (32 characters, 0-9A-F)',
    }),
    from: z.string(),
    to: z.string(),
    startTime: z.string(),
    durationS: z.number().int(),
    status: z.enum(['completed', 'missed', 'busy', 'failed']),
    direction: z.enum(['inbound', 'outbound']),
    carrier: z.string().nullable(),
    customerID: idString.nullable(),
    featureID: idString.nullable(),
    ratingStatus: z.enum(['rated', 'free', 'unrated', 'unallocated', 'internal']),
    ratingError: z.string().nullable(),
    rateID: idString.nullable(),
    destination: z.string().nullable(),
    band: z.string().nullable(),
    billableS: z.number().int().nullable(),
    charge: amount.nullable().meta({ description: 'To the micro-unit (6 decimals)' }),
    cost: amount.nullable(),
    billedCharge: amount.nullable(),
    invoiceID: idString.nullable(),
    recordingURL: z.string().nullable(),
    transcriptionURL: z.string().nullable(),
    confidenceScore: z.string().nullable(),
    voiceAgentID: z.string().nullable(),
    created: z.string(),
  })
  .meta({ id: 'Call' });

export function toCallView(c: CallRow): z.infer<typeof callView> {
  return {
    id: String(c.id),
    callID: c.source_call_id,
    completeCallID: formatCompleteCallId(c.complete_call_id),
    from: c.from_number,
    to: c.to_number,
    startTime: c.start_time.toISOString(),
    durationS: c.duration_s,
    status: c.status,
    direction: c.direction,
    carrier: c.carrier,
    customerID: idOrNull(c.customer_id),
    featureID: idOrNull(c.feature_id),
    ratingStatus: c.rating_status,
    ratingError: c.rating_error,
    rateID: idOrNull(c.rate_id),
    destination: c.destination,
    band: c.band,
    billableS: c.billable_s,
    charge: c.charge,
    cost: c.cost,
    billedCharge: c.billed_charge,
    invoiceID: idOrNull(c.invoice_id),
    recordingURL: c.recording_url,
    transcriptionURL: c.transcription_url,
    confidenceScore: c.confidence_score === null ? null : formatDecimal(c.confidence_score),
    voiceAgentID: c.voice_agent_id,
    created: c.created_at.toISOString(),
  };
}

export const rejectionView = z
  .object({
    id: idString,
    source: z.string(),
    line: z.number().int().nullable(),
    raw: z.string(),
    reason: z.string(),
    created: z.string(),
  })
  .meta({ id: 'RejectedRow' });

export function toRejectionView(r: RejectedRow): z.infer<typeof rejectionView> {
  return {
    id: String(r.id),
    source: r.source,
    line: r.line,
    raw: r.raw,
    reason: r.reason,
    created: r.created_at.toISOString(),
  };
}
