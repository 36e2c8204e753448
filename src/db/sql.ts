// Small SQL fragments shared by the repositories.
import { type RawBuilder, sql } from 'kysely';

/**
 * `= any($1::bigint[])` for a list of ids: one parameter however long the list, so a batch of 1,000 ids
 * costs one array instead of 1,000 placeholders to send, parse and plan. Use as
 * `.where('id', '=', anyId(ids))`.
 */
export function anyId(ids: readonly number[]): RawBuilder<number> {
  return sql<number>`any(${idArray(ids)}::bigint[])`;
}

/**
 * `column = any($ids) and column between $lowest and $highest`: a batch's ids as a condition the planner
 * can also scan as a range. A billing batch holds a thousand neighbouring customers (or their invoices and
 * features); with `= any` alone PostgreSQL estimates a tenth of a small account's rows and scans the whole
 * table, testing each row against the thousand ids (8 ms against 2 ms to lock 1,000 of 10,000 customers).
 * The range adds no rows: every id is inside it. `ids` must not be empty.
 */
export function idsWithin(column: string, ids: readonly number[]): RawBuilder<boolean> {
  if (ids.length === 0) throw new Error('idsWithin(): no ids');
  let lowest = ids[0]!;
  let highest = ids[0]!;
  for (const id of ids) {
    if (id < lowest) lowest = id;
    if (id > highest) highest = id;
  }
  const ref = sql.ref(column);
  return sql<boolean>`(${ref} = any(${idArray(ids)}::bigint[]) and ${ref} between ${lowest} and ${highest})`;
}

/**
 * A PostgreSQL array literal of ids (`{1,2,3}`), to bind as one text parameter and cast
 * (`${idArray(ids)}::bigint[]`): the driver would quote and escape each element of a JS array.
 */
export function idArray(ids: readonly number[]): string {
  for (let i = 0; i < ids.length; i++) {
    if (!Number.isSafeInteger(ids[i]))
      throw new Error(`idArray(): ${JSON.stringify(ids[i])} is not an integer id`);
  }
  // One join: building the literal with += makes a string object per element (a batch binds thousands).
  return `{${ids.join(',')}}`;
}

const PLAIN_ELEMENT = /^-?\d+(\.\d+)?$|^\d{4}-\d{2}-\d{2}$/;

/**
 * A PostgreSQL array literal (`{1,2.50,NULL}`) for numbers, decimal strings and dates, to bind as one text
 * parameter and cast (`${plainArray(values)}::numeric[]`). Such elements need no quoting, so this skips the
 * driver's per-element escaping: a billing batch binds a few dozen arrays of a thousand values.
 */
export function plainArray(values: readonly (string | number | bigint | null)[]): string {
  let nulls = false;
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    if (v === null || v === undefined) nulls = true;
    else if (
      typeof v === 'number'
        ? !Number.isSafeInteger(v) && !PLAIN_ELEMENT.test(String(v))
        : typeof v === 'string' && !PLAIN_ELEMENT.test(v)
    ) {
      throw new Error(`plainArray(): ${JSON.stringify(String(v))} is not a number or a date`);
    }
  }
  // One join (see idArray); join writes null as an empty element, so those are written as NULL first.
  return `{${(nulls ? values.map((v) => v ?? 'NULL') : values).join(',')}}`;
}

/**
 * A PostgreSQL array literal of text (`{"a","b \\"c\\"",NULL}`), to bind as one parameter and cast
 * (`${textArray(values)}::text[]`). What the driver does for a JS array, without a regular expression
 * per element for the (many) elements that need no escaping.
 */
export function textArray(values: readonly (string | null)[]): string {
  const parts = new Array<string>(values.length);
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    if (v === null || v === undefined) parts[i] = 'NULL';
    else {
      const text = String(v);
      parts[i] =
        text.includes('\\') || text.includes('"') ? `"${text.replace(/[\\"]/g, '\\$&')}"` : `"${text}"`;
    }
  }
  return `{${parts.join(',')}}`;
}

/**
 * The columns of a row as one JSON text, `json_build_array(...)::text`, for hot reads of thousands of rows
 * (a billing batch): a row of one text field is parsed once with JSON.parse, where PGlite parses each field
 * of a result on its own at a cost per field (a thousand invoices' sixteen total columns: 49 ms against
 * 19 ms). Read it back with `fromJsonRow`. Values keep the driver's types for these columns when
 * `asText` names every numeric (JSON numbers would lose digits) and no column is a timestamp: ids, integers
 * and booleans come back as JSON has them, dates as 'YYYY-MM-DD', text as text, jsonb as parsed JSON.
 */
export function jsonRowSql(
  alias: string,
  columns: readonly string[],
  asText: ReadonlySet<string> = new Set(),
): RawBuilder<string> {
  return sql<string>`json_build_array(${sql.join(
    columns.map((c) => (asText.has(c) ? sql`${sql.ref(`${alias}.${c}`)}::text` : sql.ref(`${alias}.${c}`))),
  )})::text`;
}

/** A row read with jsonRowSql, as an object of the same columns. */
export function fromJsonRow<T>(text: string, columns: readonly string[]): T {
  const values = JSON.parse(text) as unknown[];
  const row: Record<string, unknown> = {};
  for (let i = 0; i < columns.length; i++) {
    const value = values[i];
    // A bigint past 2^53 would have lost digits in JSON.parse: refuse it, as parseInt8 does.
    if (typeof value === 'number' && Number.isInteger(value) && !Number.isSafeInteger(value))
      throw new Error(`fromJsonRow(): ${columns[i]} ${value} is past the integers a number holds exactly`);
    row[columns[i]!] = value;
  }
  return row as T;
}
