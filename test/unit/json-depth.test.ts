// The nesting depth of JSON text, found in one pass without recursion, and the NUL check over deep values.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { jsonNestsDeeperThan, MAX_JSON_DEPTH } from '../../src/shared/json-depth.ts';
import { findNul } from '../../src/shared/nul.ts';

/** The depth of a parsed value, recursively (test values are shallow enough). */
function depthOf(value: unknown): number {
  if (value === null || typeof value !== 'object') return 0;
  const children = Object.values(value);
  return 1 + Math.max(0, ...children.map(depthOf));
}

describe('jsonNestsDeeperThan', () => {
  it('counts brackets outside strings only, escaped quotes included', () => {
    expect(jsonNestsDeeperThan('{"a": "[[[[{{{{"}', 1)).toBe(false);
    expect(jsonNestsDeeperThan('{"a": "\\"[[[["}', 1)).toBe(false);
    expect(jsonNestsDeeperThan('{"a": "\\\\", "b": [[1]]}', 2)).toBe(true);
    expect(jsonNestsDeeperThan('[[1],[2],[3]]', 2)).toBe(false);
    expect(jsonNestsDeeperThan('1', 0)).toBe(false);
    expect(jsonNestsDeeperThan('[]', 0)).toBe(true);
  });

  it('agrees with the depth of the parsed value on any JSON', () => {
    fc.assert(
      fc.property(fc.jsonValue({ maxDepth: 8 }), fc.integer({ min: 0, max: 10 }), (value, max) => {
        const text = JSON.stringify(value);
        expect(jsonNestsDeeperThan(text, max)).toBe(depthOf(JSON.parse(text)) > max);
      }),
      { seed: 11, numRuns: 500 },
    );
  });

  it('answers at once on 20,000 levels in 40 KB', () => {
    const text = `${'['.repeat(20_000)}1${']'.repeat(20_000)}`;
    expect(jsonNestsDeeperThan(text, MAX_JSON_DEPTH)).toBe(true);
    expect(jsonNestsDeeperThan(`${'['.repeat(64)}${']'.repeat(64)}`, MAX_JSON_DEPTH)).toBe(false);
  });
});

describe('findNul', () => {
  it('walks any depth without overflowing the stack (iterative)', () => {
    const deep = JSON.parse(`${'['.repeat(20_000)}"a\\u0000"${']'.repeat(20_000)}`);
    expect(findNul(deep)).toBe(`${Array(20_000).fill('0').join('.')}`);
    expect(findNul(JSON.parse(`${'['.repeat(20_000)}"a"${']'.repeat(20_000)}`))).toBeUndefined();
  });

  it('names the first field in document order, keys included', () => {
    expect(findNul({ a: 'x', b: { c: ['y', 'z\u0000'] } })).toBe('b.c.1');
    expect(findNul({ 'k\u0000': 1 })).toBe('k\u0000');
    expect(findNul({ a: { b: 'x\u0000' }, c: 'y\u0000' })).toBe('a.b');
    expect(findNul(new Uint8Array([0]))).toBeUndefined();
  });
});
