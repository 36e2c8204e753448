import type {
  FastifyBaseLogger,
  FastifyInstance,
  RawReplyDefaultExpression,
  RawRequestDefaultExpression,
  RawServerDefault,
} from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { currentAccount } from '../../accounts/current-account.ts';
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

/**
 * The caller's account (for its currency and timezone when shaping responses): usually from the key cache,
 * without a round trip (api-keys/authenticate.ts). Read-only: the row is shared.
 */
export async function loadAccount(ctx: Ctx, accountId: number): Promise<AccountRow> {
  const account = await currentAccount(ctx, accountId);
  if (!account) throw notFound('Account', accountId);
  return account;
}
