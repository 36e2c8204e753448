// Webhook subscriptions, events and deliveries as the backend API shows them (camelCase, ids as strings,
// `ID` suffixes like the rest of the surface).
import { z } from 'zod';
import type { WebhookAttemptRow, WebhookEventRow, WebhookSubscriptionRow } from '../../webhooks/repo.ts';
import type { DeliveryListRow } from '../../webhooks/repo.ts';
import { idString } from './schemas.ts';

const iso = (d: Date | null) => (d ? d.toISOString() : null);

export const webhookView = z
  .object({
    id: idString,
    url: z.string(),
    description: z.string().nullable(),
    eventTypes: z.array(z.string()).meta({ description: 'The event types sent to this URL; ["*"] for all' }),
    enabled: z.boolean(),
    previousSecretExpires: z.string().nullable().meta({
      description: 'After a rotation: until when deliveries also carry a signature made with the old secret',
    }),
    created: z.string(),
    updated: z.string(),
  })
  .meta({ id: 'Webhook' });

export const webhookWithSecretView = webhookView
  .extend({
    secret: z.string().meta({
      description:
        'The signing secret (whsec_…). Shown when the webhook is made and when its secret is rotated, never again.',
    }),
  })
  .meta({ id: 'WebhookWithSecret' });

export function toWebhookView(s: WebhookSubscriptionRow, now: Date): z.infer<typeof webhookView> {
  const graceLeft = s.previous_secret_expires_at && s.previous_secret_expires_at > now;
  return {
    id: String(s.id),
    url: s.url,
    description: s.description,
    eventTypes: s.event_types,
    enabled: s.enabled,
    previousSecretExpires: graceLeft ? s.previous_secret_expires_at!.toISOString() : null,
    created: s.created_at.toISOString(),
    updated: s.updated_at.toISOString(),
  };
}

export const webhookEventView = z
  .object({
    id: z.string().meta({
      description:
        'The event id (evt_…): the same in every delivery of the event, retries and replays included',
    }),
    type: z.string(),
    created: z.string(),
    data: z.unknown().meta({
      description:
        'The call (as the transactions feed shows its row) or the invoice (as GET /invoices/{id} shows it)',
    }),
  })
  .meta({ id: 'WebhookEvent' });

export function toWebhookEventView(e: WebhookEventRow): z.infer<typeof webhookEventView> {
  return { id: e.public_id, type: e.type, created: e.created_at.toISOString(), data: e.payload };
}

export const webhookDeliveryView = z
  .object({
    id: idString,
    webhookID: idString,
    eventID: z.string(),
    eventType: z.string(),
    replay: z.boolean().meta({ description: 'Made by a replay rather than by the event itself' }),
    status: z.enum(['pending', 'succeeded', 'failed', 'cancelled']).meta({
      description:
        'pending: not yet delivered, will be tried (again) at nextAttempt; succeeded: the receiver answered 2xx; failed: every attempt failed; cancelled: the webhook was disabled before it was sent',
    }),
    attempts: z.number().int(),
    lastAttempt: z.string().nullable(),
    lastResponseCode: z.number().int().nullable().meta({
      description: 'HTTP status of the last answer; null when there was none (timeout, connection refused)',
    }),
    lastResponseBody: z.string().nullable().meta({
      description:
        'The first 1 KB of the last answer when it is text (control characters shown as U+FFFD); for another media type, "(image/png body, not shown)"; null when there was no answer',
    }),
    lastError: z.string().nullable().meta({
      description:
        'Why the last attempt failed: the status, a timeout, a refused connection, or "not sent: …" for an address the operator does not allow',
    }),
    nextAttempt: z.string().nullable(),
    created: z.string(),
  })
  .meta({ id: 'WebhookDelivery' });

export function toWebhookDeliveryView(d: DeliveryListRow): z.infer<typeof webhookDeliveryView> {
  return {
    id: String(d.id),
    webhookID: String(d.subscription_id),
    eventID: d.event_public_id,
    eventType: d.event_type,
    replay: d.replay,
    status: d.status,
    attempts: d.attempts,
    lastAttempt: iso(d.last_attempt_at),
    lastResponseCode: d.last_response_status,
    lastResponseBody: d.last_response_body,
    lastError: d.last_error,
    nextAttempt: d.status === 'pending' ? iso(d.next_attempt_at) : null,
    created: d.created_at.toISOString(),
  };
}

export const webhookAttemptView = z
  .object({
    attempt: z.number().int(),
    attempted: z.string(),
    responseCode: z.number().int().nullable(),
    responseBody: z.string().nullable(),
    error: z.string().nullable(),
    durationMs: z.number().int(),
  })
  .meta({ id: 'WebhookAttempt' });

export const webhookDeliveryDetailView = webhookDeliveryView
  .extend({ attemptLog: z.array(webhookAttemptView) })
  .meta({ id: 'WebhookDeliveryDetail' });

export function toWebhookAttemptView(a: WebhookAttemptRow): z.infer<typeof webhookAttemptView> {
  return {
    attempt: a.attempt,
    attempted: a.attempted_at.toISOString(),
    responseCode: a.response_status,
    responseBody: a.response_body,
    error: a.error,
    durationMs: a.duration_ms,
  };
}
