// COPY takes no parameters: src/db/copy-rows.ts writes them into the query as literals. Each is a quoted
// literal PostgreSQL types from its place, as it types the driver's untyped parameters; nothing a string
// holds can end its literal.
import type { CompiledQuery } from 'kysely';
import { describe, expect, it } from 'vitest';
import { inlineParameters } from '../../src/db/copy-rows.ts';

function compiled(sql: string, parameters: unknown[]): CompiledQuery {
  return { sql, parameters, query: { kind: 'RawNode' } } as unknown as CompiledQuery;
}

describe('COPY parameters written as literals', () => {
  it('writes numbers, dates, booleans, null and strings quoted, in place of $n', () => {
    const sql = inlineParameters(
      compiled(
        'select "a" from "t" where "x" = $1 and "y" > $2 and "z" in ($3, $4) and "w" = $5 and "v" is $6 limit $10',
        [42, new Date('2024-03-10T09:59:59.999Z'), 'call', 'post_call_event', true, null, 7, 8, 9, 4000],
      ),
    );
    expect(sql).toBe(
      `select "a" from "t" where "x" = '42' and "y" > '2024-03-10T09:59:59.999Z' and "z" in (E'call', E'post_call_event') and "w" = 'true' and "v" is null limit '4000'`,
    );
  });

  it('doubles quotes and backslashes in strings, so no text ends its literal', () => {
    expect(inlineParameters(compiled('select $1', ["it's \\' or 1=1 --"]))).toBe(
      "select E'it''s \\\\'' or 1=1 --'",
    );
  });

  it('leaves $ inside quoted literals and identifiers alone', () => {
    expect(inlineParameters(compiled(`select '$1', "a$1", $1`, [5]))).toBe(`select '$1', "a$1", '5'`);
    expect(inlineParameters(compiled(`select 'it''s $1', $1`, [5]))).toBe(`select 'it''s $1', '5'`);
  });

  it('refuses what it cannot write exactly', () => {
    expect(() => inlineParameters(compiled('select $1', [1.5]))).toThrow('not a safe integer');
    expect(() => inlineParameters(compiled('select $1', [2 ** 60]))).toThrow('not a safe integer');
    expect(() => inlineParameters(compiled('select $1', [[1, 2]]))).toThrow('cannot be written');
    expect(() => inlineParameters(compiled('select $2', [1]))).toThrow('has no value');
    expect(() => inlineParameters(compiled('select $$x$$', []))).toThrow('dollar quoting');
    expect(() => inlineParameters(compiled("select 'open", []))).toThrow('unterminated');
  });
});
