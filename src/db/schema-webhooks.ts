// Typed view of the webhooks tables (migration 0006) for Kysely. Only repositories import this.
import type { ColumnType, Generated, Selectable } from 'kysely';

type Timestamp = ColumnType<Date, Date | string | undefined, Date | string>;
type Id = Generated<number>;

export type WebhookDeliveryStatus = 'pending' | 'succeeded' | 'failed' | 'cancelled';

export interface WebhookSubscriptionsTable {
  account_id: number;
  id: Id;
  url: string;
  description: string | null;
  event_types: string[];
  secret: string;
  previous_secret: string | null;
  previous_secret_expires_at: Date | null;
  enabled: Generated<boolean>;
  created_at: Timestamp;
  updated_at: Timestamp;
}

export interface WebhookEventsTable {
  account_id: number;
  id: Id;
  public_id: string;
  type: string;
  /** json (not jsonb): its text, and so every delivery's body, keeps the order it was written in. */
  payload: ColumnType<unknown, string, string>;
  created_at: Timestamp;
}

export interface WebhookDeliveriesTable {
  account_id: number;
  id: number;
  subscription_id: number;
  event_id: number;
  replay: Generated<boolean>;
  status: Generated<WebhookDeliveryStatus>;
  attempts: Generated<number>;
  next_attempt_at: Date | null;
  last_attempt_at: Date | null;
  last_response_status: number | null;
  last_response_body: string | null;
  last_error: string | null;
  created_at: Timestamp;
}

export interface WebhookAttemptsTable {
  account_id: number;
  delivery_id: number;
  attempt: number;
  attempted_at: Timestamp;
  response_status: number | null;
  response_body: string | null;
  error: string | null;
  duration_ms: number;
}

export interface WebhooksTables {
  webhook_subscriptions: WebhookSubscriptionsTable;
  webhook_events: WebhookEventsTable;
  webhook_deliveries: WebhookDeliveriesTable;
  webhook_attempts: WebhookAttemptsTable;
}

export type WebhookSubscriptionRow = Selectable<WebhookSubscriptionsTable>;
export type WebhookEventRow = Selectable<WebhookEventsTable>;
export type WebhookDeliveryRow = Selectable<WebhookDeliveriesTable>;
export type WebhookAttemptRow = Selectable<WebhookAttemptsTable>;
