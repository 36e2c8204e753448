// What reacts to each domain event (src/shared/events.ts), wired where the process is composed, like the
// outbox's job handlers in src/jobs.ts.
import { billingRecordsPricedIn, owedOnInvoices, releaseDeletedCustomer } from './invoices/answers.ts';
import { rerateCalls } from './invoices/rerate.ts';
import type { EventHandlers } from './shared/events.ts';

export const REACTIONS: EventHandlers = {
  'rating-basis-changed': async (ctx, event) => {
    await rerateCalls(ctx, event.accountId, event.scope);
  },
  'currency-changing': (_ctx, event) => billingRecordsPricedIn(event.db, event.accountId),
  'customer-deleting': (_ctx, event) => releaseDeletedCustomer(event.db, event.accountId, event.customerId),
  'ledger-opening': (_ctx, event) => owedOnInvoices(event.db, event.accountId, event.customerId),
};
