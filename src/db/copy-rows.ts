// Reading a query's rows through COPY (…) TO STDOUT on PostgreSQL, a row at a time, with the values the
// driver would have given. node-postgres makes a string per field with a native call each (a feed page is
// 4,000 rows of 21 fields: 84,000 calls), then runs its parser per field; COPY's text format comes as a few
// 64 KB chunks, each decoded once and cut with indexOf and slice, which costs a third of the CPU a row
// (bench/feed.ts, README). The rows and their values are the driver's: the same SQL, each column's text as
// the same output function writes it, and the parsers below are the driver's parsers for those types
// (src/db/connection.ts); test/integration/feed-page.test.ts holds the two to each other on odd values.
import type { CompiledQuery } from 'kysely';
import type pg from 'pg';
import { to as copyTo } from 'pg-copy-streams';
import { assert } from '../shared/errors.ts';

// Identifiers and counts are int8; they stay far below 2^53, so they come back as numbers.
export function parseInt8(value: string): number {
  const n = Number(value);
  if (!Number.isSafeInteger(n)) throw new Error(`int8 value ${value} exceeds the safe integer range`);
  return n;
}

/**
 * The type of a column read through COPY, for its parser: 'text' keeps PostgreSQL's text (text, numeric,
 * uuid: as the driver gives them), 'int8' as parseInt8, 'int4' as a number, 'bool' as a boolean, 'jsonb' parsed.
 */
export type CopyColumnType = 'text' | 'int8' | 'int4' | 'bool' | 'jsonb';

/** COPY's text format: NULL is \N; see fieldValue() for what comes escaped. */
const NULL_FIELD = '\\N';
const ESCAPED = /\\(.)/gs;
const UNESCAPED: Record<string, string> = { b: '\b', f: '\f', n: '\n', r: '\r', t: '\t', v: '\v' };
/** The byte ending a row: a line feed inside a value is always written as \n, and no UTF-8 sequence holds 0x0A. */
const LINE_FEED = 0x0a;

function unescape(field: string): string {
  return field.includes('\\') ? field.replace(ESCAPED, (_, c: string) => UNESCAPED[c] ?? c) : field;
}

/** Each type's parser, as a number (read in one switch: no call through a table of functions). */
const TYPE_CODES: Record<CopyColumnType, number> = { text: 0, int8: 1, int4: 2, bool: 3, jsonb: 4 };

/**
 * A field's value as node-postgres parses its type (pg-types: parseInteger, parseBool, JSON.parse; int8 is
 * ours). COPY writes NULL as \N, a backslash before a backslash and the delimiter, and \b \f \n \r \t
 * \v for those characters; nothing else is escaped, so a lone \N is always NULL.
 */
function fieldValue(field: string, code: number): unknown {
  if (field === NULL_FIELD) return null;
  switch (code) {
    case 0:
      return unescape(field);
    case 1:
      return parseInt8(field);
    case 2:
      return parseInt(field, 10);
    case 3:
      return (
        field === 'TRUE' ||
        field === 't' ||
        field === 'true' ||
        field === 'y' ||
        field === 'yes' ||
        field === 'on' ||
        field === '1'
      );
    default:
      return JSON.parse(unescape(field)) as unknown;
  }
}

/**
 * The query with its parameters written in as literals (COPY takes no parameters): each as a quoted
 * literal of unknown type, which PostgreSQL types from where it stands exactly as it types the driver's
 * untyped parameters. Strings go in an E'' literal with backslashes and quotes doubled, safe whatever
 * standard_conforming_strings says; numbers must be safe integers, Dates are written as ISO instants.
 */
export function inlineParameters(query: CompiledQuery): string {
  const literal = (index: number): string => {
    if (index < 1 || index > query.parameters.length)
      throw new Error(`query parameter $${index} has no value`);
    const value: unknown = query.parameters[index - 1];
    if (value === null) return 'null';
    if (typeof value === 'number') {
      if (!Number.isSafeInteger(value)) throw new Error(`parameter $${index} is not a safe integer`);
      return `'${value}'`;
    }
    if (typeof value === 'boolean') return value ? `'true'` : `'false'`;
    if (value instanceof Date) return `'${value.toISOString()}'`;
    if (typeof value === 'string') {
      // PostgreSQL text holds no NUL, and the protocol ends a query's text at the first one.
      if (value.includes('\0')) throw new Error(`parameter $${index} holds a NUL character`);
      return `E'${value.replace(/\\/g, '\\\\').replace(/'/g, "''")}'`;
    }
    throw new Error(`parameter $${index}: a ${typeof value} cannot be written into a COPY`);
  };
  const text = query.sql;
  let out = '';
  let i = 0;
  while (i < text.length) {
    const c = text[i]!;
    if (c === "'" || c === '"') {
      // A quoted literal or identifier: copied as it is (a doubled quote inside is two quotes in a row).
      const end = text.indexOf(c, i + 1);
      if (end === -1) throw new Error('unterminated quote in a query');
      out += text.slice(i, end + 1);
      i = end + 1;
      continue;
    }
    if (c === '$') {
      const digits = /^\d+/.exec(text.slice(i + 1));
      if (!digits) throw new Error('dollar quoting in a query read through COPY');
      out += literal(Number(digits[0]));
      i += 1 + digits[0].length;
      continue;
    }
    out += c;
    i++;
  }
  return out;
}

/** What a row handler threw, kept until the COPY ends (the connection itself is fine). */
export class RowHandlerError extends Error {
  constructor(readonly thrown: unknown) {
    super('a row handler failed');
  }
}

/**
 * Runs `query` as COPY (query) TO STDOUT on `client` and hands each row to `onRow` as an array of its
 * values, parsed by `types` (one a column). Resolves with the count once the COPY has ended. A throw in
 * `onRow` is kept, the later rows are read and dropped, and it is thrown (as RowHandlerError) at the end,
 * so the connection is left ready for its next query.
 */
export function copyRows(
  client: pg.PoolClient,
  query: CompiledQuery,
  types: readonly CopyColumnType[],
  onRow: (row: unknown[]) => void,
): Promise<number> {
  const codes = types.map((type) => TYPE_CODES[type]);
  const n = codes.length;
  assert(n > 0, 'a COPY of no columns');
  return new Promise<number>((resolve, reject) => {
    let count = 0;
    let thrown: RowHandlerError | undefined;
    // The bytes of a row cut by the end of a chunk, until the rest comes.
    let carry: Buffer | undefined;
    // Whole rows, each ending in a line feed: fields found with indexOf and cut with slice (no array of
    // lines or of fields is made, which costs more than the cutting).
    const rows = (text: string) => {
      let at = 0;
      while (at < text.length) {
        const row = new Array<unknown>(n);
        for (let i = 0; i < n; i++) {
          const end = text.indexOf(i === n - 1 ? '\n' : '\t', at);
          if (end === -1) throw new Error(`a COPY row with fewer than ${n} fields`);
          row[i] = fieldValue(text.slice(at, end), codes[i]!);
          at = end + 1;
        }
        if (text.charCodeAt(at - 1) !== LINE_FEED) throw new Error(`a COPY row with more than ${n} fields`);
        count++;
        onRow(row);
      }
    };
    const stream = client.query(copyTo(`copy (${inlineParameters(query)}) to stdout`));
    stream.on('data', (chunk: Buffer) => {
      if (thrown !== undefined) return;
      const last = chunk.lastIndexOf(LINE_FEED);
      if (last === -1) {
        carry = carry === undefined ? chunk : Buffer.concat([carry, chunk]);
        return;
      }
      const whole =
        carry === undefined
          ? chunk.subarray(0, last + 1)
          : Buffer.concat([carry, chunk.subarray(0, last + 1)]);
      carry = last + 1 < chunk.length ? chunk.subarray(last + 1) : undefined;
      try {
        rows(whole.toString('utf8'));
      } catch (error) {
        thrown = new RowHandlerError(error);
      }
    });
    stream.on('error', reject);
    stream.on('end', () => {
      if (thrown === undefined && carry !== undefined)
        thrown = new RowHandlerError(new Error('COPY ended inside a row'));
      if (thrown === undefined) resolve(count);
      else reject(thrown);
    });
  });
}
