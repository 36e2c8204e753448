// Names for the collections tables (migration 0007), derived from the generated types (see schema.ts).
import type { Selectable } from 'kysely';
import type * as G from './schema.generated.ts';

export type PaymentRequestsTable = G.PaymentRequests;
export type PaymentAttemptsTable = G.PaymentAttempts;
export type PaymentsTable = G.Payments;
export type RefundsTable = G.Refunds;
export type InstalmentPlansTable = G.InstalmentPlans;
export type InstalmentsTable = G.Instalments;
export type SmsMessagesTable = G.SmsMessages;
export type ReceiptsTable = G.Receipts;

/** pending: recorded before the gateway is asked; not_charged: settled by recovery, the gateway took nothing. */
export type AttemptOutcome = Selectable<G.PaymentAttempts>['outcome'];
export type AttemptPurpose = Selectable<G.PaymentAttempts>['purpose'];
export type PaymentMethod = Selectable<G.Payments>['method'];
export type RefundStatus = Selectable<G.Refunds>['status'];
