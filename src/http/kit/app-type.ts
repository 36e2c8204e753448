import type {
  FastifyBaseLogger,
  FastifyInstance,
  RawReplyDefaultExpression,
  RawRequestDefaultExpression,
  RawServerDefault,
} from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { findAccount } from '../../accounts/repo.ts';
import type { Ctx } from '../../context.ts';
import type { AccountRow } from '../../accounts/repo.ts';
import { notFound } from '../../shared/errors.ts';

export type ZodApp = FastifyInstance<
  RawServerDefault,
  RawRequestDefaultExpression,
  RawReplyDefaultExpression,
  FastifyBaseLogger,
  ZodTypeProvider
>;

/** The caller's account (for its currency and timezone when shaping responses). */
export async function loadAccount(ctx: Ctx, accountId: number): Promise<AccountRow> {
  const account = await findAccount(ctx.db, accountId);
  if (!account) throw notFound('Account', accountId);
  return account;
}
