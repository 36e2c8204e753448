// Domain events: how a module makes another react without importing it. Customers, features and rate
// cards sit below billing in the module graph (billing reads them); when one of them changes what prices a
// customer's calls, it publishes "the rating basis of these calls changed" and billing's handler re-rates
// them (src/invoices/rerate.ts), instead of the lower module importing the higher one.
//
// Handlers are wired once, where the process is composed (src/reactions.ts, given to createCtx by the
// server, the CLI and the test harness). publish() awaits the one handler of the event at the point of the
// call, exactly as the direct call it replaces did, so behaviour and transactions are unchanged. An event
// nobody handles is a wiring mistake and fails loudly.
import type { Ctx } from '../context.ts';
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

export type DomainEvent = { type: 'rating-basis-changed'; accountId: number; scope: RatingBasisScope };

/** One handler per event type. */
export type EventHandlers = {
  [T in DomainEvent['type']]: (ctx: Ctx, event: Extract<DomainEvent, { type: T }>) => Promise<void>;
};

export async function publish(ctx: Ctx, event: DomainEvent): Promise<void> {
  const handlers = ctx.services.reactions;
  assert(
    handlers !== undefined,
    `${event.type} published but no reactions are wired (createCtx services.reactions)`,
  );
  await handlers[event.type](ctx, event);
}
