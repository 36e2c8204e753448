// What reacts to each domain event (src/shared/events.ts), wired where the process is composed, like the
// outbox's job handlers in src/jobs.ts.
import { rerateCalls } from './invoices/rerate.ts';
import type { EventHandlers } from './shared/events.ts';

export const REACTIONS: EventHandlers = {
  'rating-basis-changed': async (ctx, event) => {
    await rerateCalls(ctx, event.accountId, event.scope);
  },
};
