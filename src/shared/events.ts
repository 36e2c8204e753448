// Domain events: how a module makes another react without importing it. Customers, features and rate
// cards sit below billing in the module graph (billing reads them); when one of them changes what prices a
// customer's calls, it publishes "the rating basis of these calls changed" and billing's handler re-rates
// them (src/invoices/rerate.ts), instead of the lower module importing the higher one.
//
// Handlers are wired once, where the process is composed (src/reactions.ts, given to createCtx by the
// server, the CLI and the test harness). publish() awaits the one handler of the event at the point of the
// call, exactly as the direct call it replaces did, so behaviour and transactions are unchanged. An event
// nobody handles is a wiring mistake and fails loudly.
//
// Some events ask billing about its own tables inside the publisher's transaction (`db`): an account's
// currency is fixed once it has invoices or charges; a customer with invoices cannot be deleted (and one
// without loses its unbilled charges with it); a postpaid ledger opens from what the customer owes on its
// invoices. Billing owns invoices and billing_transactions (CONTRIBUTING.md rule 2) and sits above accounts,
// customers and balances, so they publish and billing's handler answers (its reply is publish()'s value).
//
// The same way, every owner answers for its own table (CONTRIBUTING.md rule 2: one module names a table):
// rate cards and discount plans ask customers, features and calls whether they are in use before going;
// customers have balances open a ledger when credit terms are set ('customer-terms-changed'); calls, once
// stored or corrected, have balances debit and settle them and the feed write its rows ('calls-stored',
// 'calls-corrected'), in the storing transaction and in that order (the feed's lock last). Where several
// modules answer one event, its one entry in src/reactions.ts calls them in order.
import type { Ctx, Executor } from '../context.ts';
import { assert } from './errors.ts';

/** Which calls may now be priced differently. */
export interface RatingBasisScope {
  /** Only calls still waiting to be priced (unallocated or unrated). */
  onlyWaiting: true;
  /** Only this customer's calls. */
  customerId?: number;
  /** Only calls whose own number (the feature's side) is this one. */
  number?: string;
}

export type DomainEvent =
  | { type: 'rating-basis-changed'; accountId: number; scope: RatingBasisScope }
  /** The account's currency is about to change: which records priced in it (billing's, then features') fix it, if any. */
  | { type: 'currency-changing'; db: Executor; accountId: number }
  /** The customer is about to be deleted: refused if it has invoices, else its unbilled charges and its features go. */
  | { type: 'customer-deleting'; db: Executor; accountId: number; customerId: number }
  /** A customer was created or its terms changed: under credit control, its ledger opens (once). */
  | {
      type: 'customer-terms-changed';
      db: Executor;
      accountId: number;
      customer: {
        id: number;
        billing_mode: 'postpaid' | 'prepaid';
        credit_limit: string | null;
        overdraft: string;
      };
      now: Date;
    }
  /** Calls stored by this transaction above `highWater` (calls' callIdHighWater): the feed writes their rows. */
  | { type: 'calls-stored'; db: Executor; accountId: number; highWater: number; now: Date }
  /** These calls' feed-visible fields may have changed (the caller holds their row locks): the feed corrects them. */
  | { type: 'calls-corrected'; db: Executor; accountId: number; callIds: readonly number[]; now: Date }
  /** A rate card is about to be deleted: which customer, feature or rated call still uses it, if any. */
  | { type: 'rate-card-deleting'; db: Executor; accountId: number; rateCardId: number }
  /** A discount plan is about to be deleted: whether a customer still has it. */
  | { type: 'discount-plan-deleting'; db: Executor; accountId: number; discountPlanId: number }
  /** A postpaid ledger opens: what the customer owes on raised invoices, and its unsent invoices. */
  | { type: 'ledger-opening'; db: Executor; accountId: number; customerId: number };

/** What each event's handler answers. */
export interface EventReplies {
  'rating-basis-changed': void;
  'currency-changing': 'invoices' | 'charges' | 'recurring charges' | undefined;
  'customer-deleting': void;
  /** Why the card is in use ("customer 3 uses it"), or undefined when nothing uses it. */
  'customer-terms-changed': void;
  'calls-stored': void;
  'calls-corrected': void;
  'rate-card-deleting': string | undefined;
  'discount-plan-deleting': boolean;
  /** unpaid: the raised invoices' outstanding total (a decimal string); unsentInvoiceIds: calls on these are not billed yet. */
  'ledger-opening': { unpaid: string; unsentInvoiceIds: number[] };
}

/** One handler per event type. */
export type EventHandlers = {
  [T in DomainEvent['type']]: (
    ctx: Ctx,
    event: Extract<DomainEvent, { type: T }>,
  ) => Promise<EventReplies[T]>;
};

export async function publish<E extends DomainEvent>(ctx: Ctx, event: E): Promise<EventReplies[E['type']]> {
  const handlers = ctx.services.reactions;
  assert(
    handlers !== undefined,
    `${event.type} published but no reactions are wired (createCtx services.reactions)`,
  );
  // The handler of E's type takes E and answers EventReplies[E['type']] (EventHandlers says so); TypeScript
  // cannot narrow the indexed handler by a generic key, so the call goes through the union's common shape.
  const handler = handlers[event.type] as (ctx: Ctx, event: DomainEvent) => Promise<unknown>;
  return (await handler(ctx, event)) as EventReplies[E['type']];
}
