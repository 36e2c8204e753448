// What reacts to each domain event (src/shared/events.ts), wired where the process is composed, like the
// outbox's job handlers in src/jobs.ts. Where several owners answer one event, the entry asks them in order.
import { openLedgerIfControlled } from './balances/open-ledger.ts';
import { callRatedWithCard } from './calls/repo.ts';
import { customerUsingRateCard, discountPlanAssigned } from './customers/repo.ts';
import { recordCallCorrections, recordNewCalls } from './feed/record.ts';
import { deleteCustomerFeatures, featureUsingRateCard, recurringChargesPricedIn } from './features/repo.ts';
import { billingRecordsPricedIn, owedOnInvoices, releaseDeletedCustomer } from './invoices/answers.ts';
import { rerateCalls } from './invoices/rerate.ts';
import { onCallsStored } from './authorization/settle-calls.ts';
import type { EventHandlers } from './shared/events.ts';

export const REACTIONS: EventHandlers = {
  'rating-basis-changed': async (ctx, event) => {
    await rerateCalls(ctx, event.accountId, event.scope);
  },
  'currency-changing': async (_ctx, event) =>
    (await billingRecordsPricedIn(event.db, event.accountId)) ??
    (await recurringChargesPricedIn(event.db, event.accountId)),
  'customer-deleting': async (_ctx, event) => {
    await releaseDeletedCustomer(event.db, event.accountId, event.customerId);
    await deleteCustomerFeatures(event.db, event.accountId, event.customerId);
  },
  'ledger-opening': (_ctx, event) => owedOnInvoices(event.db, event.accountId, event.customerId),
  'customer-terms-changed': async (ctx, event) => {
    await openLedgerIfControlled(ctx, event.db, event.accountId, event.customer, event.now);
  },
  'calls-stored': async (_ctx, event) => {
    // Prepaid and credit-limited customers: debit the calls, settle their reservations; then the feed's
    // rows, last because they take the feed lock (the lock order of CONTRIBUTING rule 7).
    await onCallsStored(event.db, event.accountId, event.highWater, event.now);
    await recordNewCalls(event.db, event.accountId, event.highWater, event.now);
  },
  'calls-corrected': async (_ctx, event) => {
    await recordCallCorrections(event.db, event.accountId, event.callIds, event.now);
  },
  'rate-card-deleting': async (_ctx, { db, accountId, rateCardId }) => {
    const customer = await customerUsingRateCard(db, accountId, rateCardId);
    if (customer !== undefined) return `customer ${customer} uses it`;
    const feature = await featureUsingRateCard(db, accountId, rateCardId);
    if (feature !== undefined) return `feature ${feature} uses it`;
    const call = await callRatedWithCard(db, accountId, rateCardId);
    if (call !== undefined) return `call ${call} was rated with it`;
    return undefined;
  },
  'discount-plan-deleting': (_ctx, event) =>
    discountPlanAssigned(event.db, event.accountId, event.discountPlanId),
};
