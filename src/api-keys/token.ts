import { newRoutedToken } from '../tokens/routed-token.ts';
import { tokenHash } from '../tokens/find-by-token.ts';

export const KEY_PREFIX = 'rb_';
const KEY_CHARS = 32;

/**
 * A new API key of the account: "rb_" and 32 base64url characters that name the account and are otherwise
 * random (at least 132 bits; see tokens/routed-token.ts). Only its SHA-256 is stored.
 */
export function generateApiKey(accountId: number): { key: string; hash: Buffer; displayPrefix: string } {
  const key = KEY_PREFIX + newRoutedToken(accountId, KEY_CHARS);
  return { key, hash: hashApiKey(key), displayPrefix: key.slice(0, KEY_PREFIX.length + 6) };
}

// A plain hash is enough: keys are long random strings, so there is nothing to brute-force (Unkey does the same).
export function hashApiKey(key: string): Buffer {
  return tokenHash(key);
}

/** The routed part of a key (what follows "rb_"): what names its account. */
export function routedPartOfKey(key: string): string {
  return key.startsWith(KEY_PREFIX) ? key.slice(KEY_PREFIX.length) : '';
}
