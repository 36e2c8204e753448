// PostgreSQL text cannot hold the NUL character (U+0000): a string carrying one fails the statement that
// writes it. Input is checked for it where it arrives (a 400, or a refused row of a file), and the raw
// text of a refused row is stored with it replaced, so that it can still be shown.

export function hasNul(value: string): boolean {
  return value.indexOf('\u0000') !== -1;
}

/** The text with each NUL shown as U+FFFD (the replacement character). */
export function withoutNul(value: string): string {
  return hasNul(value) ? value.replaceAll('\u0000', '\uFFFD') : value;
}

/** The path of the first string (or key) holding a NUL in a parsed JSON value or query, if any. */
export function findNul(value: unknown, path = ''): string | undefined {
  if (typeof value === 'string') return hasNul(value) ? path || 'value' : undefined;
  // Bytes (an uploaded file) are not text: nothing to check.
  if (value === null || typeof value !== 'object' || ArrayBuffer.isView(value)) return undefined;
  for (const [key, item] of Object.entries(value)) {
    const at = path ? `${path}.${key}` : key;
    if (hasNul(key)) return at;
    const found = findNul(item, at);
    if (found !== undefined) return found;
  }
  return undefined;
}

export const NUL_REASON = 'contains the NUL character, which cannot be stored';
