// Tokens that carry their account (src/tokens/routed-token.ts): the account reads back, the token keeps the
// base64url alphabet and its length, the random part keeps at least 120 bits, and anything not written by
// newRoutedToken (a garbled or an older token) reads as no account or as some account, never as a crash.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { accountOfRoutedToken, newRoutedToken } from '../../src/tokens/routed-token.ts';

describe('routed tokens', () => {
  it('name their account and keep the alphabet and the length', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: Number.MAX_SAFE_INTEGER }),
        fc.constantFrom(32, 43),
        (accountId, length) => {
          const token = newRoutedToken(accountId, length);
          expect(token).toMatch(/^[A-Za-z0-9_-]+$/);
          expect(token).toHaveLength(length);
          expect(accountOfRoutedToken(token)).toBe(accountId);
        },
      ),
    );
  });

  it('are written as one digit count, the id in base64url digits, then random characters', () => {
    // 1 is "B" (one digit), 64 is "BA" (two digits: 1, 0), 4095 is "__".
    expect(newRoutedToken(1, 32).slice(0, 2)).toBe('BB');
    expect(newRoutedToken(64, 32).slice(0, 3)).toBe('CBA');
    expect(newRoutedToken(4095, 32).slice(0, 3)).toBe('C__');
    const tokens = new Set(Array.from({ length: 1000 }, () => newRoutedToken(7, 32)));
    expect(tokens.size).toBe(1000);
  });

  it('refuse a length that leaves fewer than 120 random bits, and ids that are not positive safe integers', () => {
    expect(() => newRoutedToken(Number.MAX_SAFE_INTEGER, 29)).toThrow(/too few random bits/);
    expect(newRoutedToken(Number.MAX_SAFE_INTEGER, 30)).toHaveLength(30); // 1 + 9 digits + 20 random (120 bits)
    expect(() => newRoutedToken(0, 43)).toThrow(/positive safe integer/);
    expect(() => newRoutedToken(1.5, 43)).toThrow(/positive safe integer/);
  });

  it('read anything else as no account, or as some account the lookup then checks', () => {
    expect(accountOfRoutedToken('')).toBeUndefined();
    expect(accountOfRoutedToken('A'.repeat(32))).toBeUndefined(); // zero digits
    expect(accountOfRoutedToken('K' + 'B'.repeat(31))).toBeUndefined(); // ten digits: more than any id has
    expect(accountOfRoutedToken('CAB' + 'x'.repeat(29))).toBeUndefined(); // a leading zero digit
    expect(accountOfRoutedToken('CB')).toBeUndefined(); // nothing after the id
    expect(accountOfRoutedToken('B.xyz')).toBeUndefined(); // not the alphabet
    fc.assert(
      fc.property(fc.string({ maxLength: 60 }), (text) => {
        const id = accountOfRoutedToken(text);
        expect(id === undefined || (Number.isSafeInteger(id) && id > 0)).toBe(true);
      }),
    );
  });
});
