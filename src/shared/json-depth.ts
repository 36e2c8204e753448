// The nesting depth of JSON text, found without recursion. A body of 20,000 nested arrays fits in 40 KB, and
// any recursive walk over it once parsed (a NUL check, JSON.stringify, a schema validator, a CDR format's
// reader) overflows the stack. Text is checked before it is parsed, wherever user input is parsed; every
// walk over a parsed value is then bounded by MAX_JSON_DEPTH.

/** The deepest nesting of arrays and objects JSON input may have (the top-level value is depth 1). */
export const MAX_JSON_DEPTH = 64;

const OPEN_BRACE = 0x7b; // {
const OPEN_BRACKET = 0x5b; // [
const CLOSE_BRACE = 0x7d; // }
const CLOSE_BRACKET = 0x5d; // ]
const QUOTE = 0x22; // "
const BACKSLASH = 0x5c; // \

/**
 * Whether JSON text nests arrays and objects deeper than `maxDepth`, by one pass over its characters
 * (brackets inside strings do not count). Text that is not valid JSON is left to JSON.parse to refuse; the
 * scan only has to be right about valid text and to end on any text (it is one bounded loop).
 */
export function jsonNestsDeeperThan(text: string, maxDepth: number): boolean {
  let depth = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === BACKSLASH)
        i++; // the escaped character cannot end the string
      else if (c === QUOTE) inString = false;
    } else if (c === QUOTE) {
      inString = true;
    } else if (c === OPEN_BRACE || c === OPEN_BRACKET) {
      depth++;
      if (depth > maxDepth) return true;
    } else if (c === CLOSE_BRACE || c === CLOSE_BRACKET) {
      depth--;
    }
  }
  return false;
}
