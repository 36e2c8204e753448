// legacy_tokens (migration 0023): the account of every token issued before tokens carried their account, so a
// link already emailed to a customer, or a key already in a switch's configuration, still works. Frozen: the
// migration filled it and nothing writes it since. A global table (a reference table on Citus).
import type { Executor } from '../context.ts';

export type TokenKind =
  'api_key' | 'download' | 'pay' | 'portal_link' | 'portal_session' | 'console_link' | 'console_session';

/** The account of a token issued before migration 0023, by the SHA-256 of the token's text. */
export async function legacyTokenAccount(
  db: Executor,
  kind: TokenKind,
  tokenHash: Uint8Array,
): Promise<number | undefined> {
  const row = await db
    .selectFrom('legacy_tokens')
    .select('account_id')
    .where('kind', '=', kind)
    .where('token_hash', '=', tokenHash)
    .executeTakeFirst();
  return row?.account_id;
}
