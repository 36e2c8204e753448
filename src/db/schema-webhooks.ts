// Names for the webhooks tables (migration 0006), derived from the generated types (see schema.ts).
import type { Selectable } from 'kysely';
import type * as G from './schema.generated.ts';

export type WebhookDeliveryStatus = Selectable<G.WebhookDeliveries>['status'];
export type WebhookSubscriptionRow = Selectable<G.WebhookSubscriptions>;
export type WebhookEventRow = Selectable<G.WebhookEvents>;
export type WebhookDeliveryRow = Selectable<G.WebhookDeliveries>;
export type WebhookAttemptRow = Selectable<G.WebhookAttempts>;
