import type { Ctx } from '../context.ts';
import { createTestGateway, type PaymentGateway } from './gateway.ts';

const testGateway = createTestGateway();

/** The gateway in use: the one the context was given, else the built-in test gateway. */
export function gatewayOf(ctx: Ctx): PaymentGateway {
  return ctx.services.gateway ?? testGateway;
}
