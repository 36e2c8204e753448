// Small SQL fragments shared by the repositories.
import { type RawBuilder, sql } from 'kysely';

/**
 * `= any($1::bigint[])` for a list of ids: one parameter however long the list, so a batch of 1,000 ids
 * costs one array instead of 1,000 placeholders to send, parse and plan. Use as
 * `.where('id', '=', anyId(ids))`.
 */
export function anyId(ids: readonly number[]): RawBuilder<number> {
  return sql<number>`any(${ids}::bigint[])`;
}
