// Tokens that carry their account (issue 12: ready to distribute by account). A public token (an API key, a
// download link, a pay link, a portal or console link or session) is looked up before anything else names
// the account; so the account travels in the token itself, and the lookup is `account_id = ? and token = ?`:
// on a schema distributed by account (Citus), a query routed to one shard.
//
// Form: one character giving n, the number of digits of the account id (1-9); the id in n base64url digits
// (most significant first, no leading zero digit); then random base64url characters up to the token's
// length. The whole token stays in the base64url alphabet and keeps its length, so links and keys look as
// they always did. The id is not a secret (the feed's URLs carry it too); the random part is, and it keeps
// at least 120 bits (a 32-character token of an account id below 2^53: 22 random characters, 132 bits).
//
// Tokens issued before this (migration 0023) are plain random strings: one may happen to parse as a routed
// token, so a lookup tries the account the token names first, then the frozen table of those older tokens
// (find-by-token.ts).
import { randomBytes } from 'node:crypto';
import { assert } from '../shared/errors.ts';

const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
const MAX_ID_DIGITS = 9; // 64^9 = 2^54: every safe integer id fits
const MIN_RANDOM_BITS = 120;

function digitsOf(accountId: number): string {
  assert(
    Number.isSafeInteger(accountId) && accountId > 0,
    `an account id is a positive safe integer, not ${accountId}`,
  );
  let digits = '';
  for (let n = accountId; n > 0; n = Math.floor(n / 64)) digits = ALPHABET[n % 64]! + digits;
  return digits;
}

/** A new token of `length` base64url characters that names `accountId`. */
export function newRoutedToken(accountId: number, length: number): string {
  const digits = digitsOf(accountId);
  const randomChars = length - 1 - digits.length;
  assert(
    randomChars * 6 >= MIN_RANDOM_BITS,
    `a ${length}-character token leaves too few random bits for account ${accountId}`,
  );
  // 3 random bytes make 4 base64url characters, each of the 64 equally likely.
  const random = randomBytes(Math.ceil(randomChars / 4) * 3)
    .toString('base64url')
    .slice(0, randomChars);
  return ALPHABET[digits.length]! + digits + random;
}

/** The account a token names, or undefined when it is not of that form (a garbled or an older token). */
export function accountOfRoutedToken(token: string): number | undefined {
  const n = ALPHABET.indexOf(token[0] ?? '');
  if (n < 1 || n > MAX_ID_DIGITS || token.length <= 1 + n) return undefined;
  if (token[1] === ALPHABET[0]) return undefined; // a leading zero digit: never written
  let id = 0;
  for (let i = 1; i <= n; i++) {
    const digit = ALPHABET.indexOf(token[i]!);
    if (digit < 0) return undefined;
    id = id * 64 + digit;
  }
  return Number.isSafeInteger(id) ? id : undefined;
}
