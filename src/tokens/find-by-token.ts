// Finding what a public token opens, routed by the account the token carries (see routed-token.ts).
import { createHash } from 'node:crypto';
import type { Executor } from '../context.ts';
import { accountOfRoutedToken } from './routed-token.ts';
import { legacyTokenAccount, type TokenKind } from './repo.ts';

export type { TokenKind } from './repo.ts';

/** SHA-256 of the token's text: what is stored instead of the token (and what legacy_tokens is keyed by). */
export function tokenHash(token: string): Buffer {
  return createHash('sha256').update(token, 'utf8').digest();
}

/**
 * `find(accountId)` for the account the token names; when that finds nothing, for the account of the token in
 * legacy_tokens (a token issued before tokens carried their account, which may by chance read as naming
 * another). `token` is what follows any fixed prefix (an API key's "rb_"); `hash` is the hash looked up in
 * legacy_tokens (of the whole token). Each `find` filters by account first.
 */
export async function findByToken<T>(
  db: Executor,
  kind: TokenKind,
  token: string,
  hash: Uint8Array,
  find: (accountId: number) => Promise<T | undefined>,
): Promise<T | undefined> {
  const named = accountOfRoutedToken(token);
  if (named !== undefined) {
    const found = await find(named);
    if (found !== undefined) return found;
  }
  const legacy = await legacyTokenAccount(db, kind, hash);
  if (legacy === undefined || legacy === named) return undefined;
  return find(legacy);
}
