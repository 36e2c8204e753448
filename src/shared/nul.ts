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

/**
 * The path of the first string (or key) holding a NUL in a parsed JSON value or query, if any. Iterative
 * (an explicit stack, depth first), so no nesting depth can overflow the call stack; the loop runs once per
 * value, so it is bounded by the size of the body or query it was parsed from.
 */
export function findNul(value: unknown, path = ''): string | undefined {
  const stack: { value: unknown; path: string }[] = [{ value, path }];
  while (stack.length > 0) {
    const item = stack.pop()!;
    if (typeof item.value === 'string') {
      if (hasNul(item.value)) return item.path || 'value';
      continue;
    }
    // Bytes (an uploaded file) are not text: nothing to check.
    if (item.value === null || typeof item.value !== 'object' || ArrayBuffer.isView(item.value)) continue;
    const entries: [string, unknown][] = Object.entries(item.value);
    // Keys are checked as they are met; children are pushed in reverse so the first is looked at first.
    for (const [key] of entries) {
      if (hasNul(key)) return item.path ? `${item.path}.${key}` : key;
    }
    for (let i = entries.length - 1; i >= 0; i--) {
      const [key, child] = entries[i]!;
      stack.push({ value: child, path: item.path ? `${item.path}.${key}` : key });
    }
  }
  return undefined;
}

export const NUL_REASON = 'contains the NUL character, which cannot be stored';
