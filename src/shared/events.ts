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
  /** The account's currency is about to change: which billing records already fix it, if any. */
  | { type: 'currency-changing'; db: Executor; accountId: number }
  /** The customer is about to be deleted: refused if it has invoices, else its unbilled charges go. */
  | { type: 'customer-deleting'; db: Executor; accountId: number; customerId: number }
  /** A postpaid ledger opens: what the customer owes on raised invoices, and its unsent invoices. */
  | { type: 'ledger-opening'; db: Executor; accountId: number; customerId: number };

/** What each event's handler answers. */
export interface EventReplies {
  'rating-basis-changed': void;
  'currency-changing': 'invoices' | 'charges' | undefined;
  'customer-deleting': void;
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
