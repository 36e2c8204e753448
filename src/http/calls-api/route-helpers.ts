import type { FastifyRequest } from 'fastify';
import type { Ctx } from '../../context.ts';
import { DomainError } from '../../shared/errors.ts';
import { CALL_ID, INVOICE_ID } from './schemas.ts';
import { isoSeconds } from './views.ts';

/** The call id of a path ("call_123" or "123"). Anything that cannot be one is simply not found. */
export function callIdFromPath(value: string): number {
  if (!CALL_ID.test(value)) throw new DomainError('not_found', 'Call not found');
  return Number(value.replace(/^call_/, ''));
}

/**
 * The invoice id of ?invoice_id= ("inv_123" or "123"). Document 002 keeps 400 for a missing parameter; a
 * value that cannot be an invoice id names no invoice, so it is "Invoice not found", as an unknown id is.
 */
export function invoiceIdFromQuery(value: string): number {
  if (!INVOICE_ID.test(value)) throw new DomainError('not_found', 'Invoice not found');
  return Number(value.replace(/^inv_/, ''));
}

/** The meta every response carries. */
export function envelopeMeta(ctx: Ctx, request: FastifyRequest): { timestamp: string; request_id: string } {
  return { timestamp: isoSeconds(ctx.now()), request_id: request.id };
}
