import type { Ctx, Executor } from '../context.ts';
import { findAccount } from '../accounts/repo.ts';
import { DomainError, invalid, notFound } from '../shared/errors.ts';
import { isKeyLevel } from './levels.ts';
import { insertApiKey } from './repo.ts';
import { generateApiKey } from './token.ts';
import type { ApiKeyRow } from './repo.ts';

export interface CreatedApiKey {
  row: ApiKeyRow;
  /** The key itself: returned once, never stored. */
  key: string;
}

export interface CreateKeyInput {
  level: number;
  name?: string | null;
}

/** Creates an API key. It records the account's timezone now; a later timezone change does not alter it. */
export async function createApiKey(
  ctx: Ctx,
  accountId: number,
  input: CreateKeyInput,
): Promise<CreatedApiKey> {
  return ctx.db.transaction().execute((trx) => createApiKeyIn(trx, accountId, input));
}

export async function createApiKeyIn(
  db: Executor,
  accountId: number,
  input: CreateKeyInput,
): Promise<CreatedApiKey> {
  if (!isKeyLevel(input.level)) throw invalid('level', 'must be an integer from 1 to 5');
  const account = await findAccount(db, accountId);
  if (!account) throw notFound('Account', accountId);
  const generated = generateApiKey(accountId);
  const row = await insertApiKey(db, {
    accountId,
    name: input.name ?? null,
    level: input.level,
    hash: generated.hash,
    displayPrefix: generated.displayPrefix,
    timezone: account.timezone,
  });
  if (!row) throw new DomainError('conflict', 'API key could not be stored');
  return { row, key: generated.key };
}
