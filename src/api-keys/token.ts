import { createHash, randomBytes } from 'node:crypto';

const KEY_PREFIX = 'rb_';

/** A new API key: 24 random bytes (192 bits), base64url. Only its SHA-256 is stored. */
export function generateApiKey(): { key: string; hash: Buffer; displayPrefix: string } {
  const key = KEY_PREFIX + randomBytes(24).toString('base64url');
  return { key, hash: hashApiKey(key), displayPrefix: key.slice(0, KEY_PREFIX.length + 6) };
}

// A plain hash is enough: keys are long random strings, so there is nothing to brute-force (Unkey does the same).
export function hashApiKey(key: string): Buffer {
  return createHash('sha256').update(key, 'utf8').digest();
}
