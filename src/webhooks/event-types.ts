// The kinds of event Ringbill sends to webhook subscriptions. A subscription names some of them, or '*'.

export const WEBHOOK_EVENT_TYPES = [
  'call.completed',
  'call.corrected',
  'invoice.approved',
  'invoice.paid',
  'balance.low',
  'spend.threshold',
  'credit.limit',
] as const;

export type WebhookEventType = (typeof WEBHOOK_EVENT_TYPES)[number];

/** Every event type, present and future. */
export const ALL_EVENT_TYPES = '*';

export const EVENT_TYPE_DESCRIPTIONS: Readonly<Record<WebhookEventType, string>> = {
  'call.completed': 'A call was taken in (the call, as the transactions feed shows its row)',
  'call.corrected':
    'A call was corrected: re-rated, payout changed, signals or notes added (the correction row, carrying the whole corrected record)',
  'invoice.approved':
    'An invoice was approved (raised): it has its number and dates (the invoice, as GET /invoices/{id} shows it)',
  'invoice.paid': 'An invoice became paid: its paid amount reached its total (the invoice)',
  'balance.low':
    "A customer's available balance fell below a low-balance alert's threshold (once per crossing)",
  'spend.threshold': "A customer's spend in a day or a month reached an alert's threshold (once per period)",
  'credit.limit':
    "A customer's credit used reached a share of its credit limit or overdraft, e.g. 80% or 100% (once per crossing)",
};

export function isWebhookEventType(value: string): value is WebhookEventType {
  return (WEBHOOK_EVENT_TYPES as readonly string[]).includes(value);
}

/** Whether a subscription to `subscribed` receives events of `type`. */
export function subscribesTo(subscribed: readonly string[], type: string): boolean {
  return subscribed.includes(ALL_EVENT_TYPES) || subscribed.includes(type);
}
