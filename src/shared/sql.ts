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

const PLAIN_ELEMENT = /^-?\d+(\.\d+)?$|^\d{4}-\d{2}-\d{2}$/;

/**
 * A PostgreSQL array literal (`{1,2.50,NULL}`) for numbers, decimal strings and dates, to bind as one text
 * parameter and cast (`${plainArray(values)}::numeric[]`). Such elements need no quoting, so this skips the
 * driver's per-element escaping: a billing batch binds a few dozen arrays of a thousand values.
 */
export function plainArray(values: readonly (string | number | bigint | null)[]): string {
  let out = '{';
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    if (i > 0) out += ',';
    if (v === null || v === undefined) {
      out += 'NULL';
      continue;
    }
    const text = String(v);
    if (!PLAIN_ELEMENT.test(text)) throw new Error(`plainArray(): ${JSON.stringify(text)} is not a number or a date`);
    out += text;
  }
  return `${out}}`;
}
