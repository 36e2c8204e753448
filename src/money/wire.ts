// Amounts enter only as decimal strings. The one exception is a JSON number on the few wire fields whose
// clients already send numbers (kept so their wire format does not break, listed in CONTRIBUTING.md): such a
// number is turned into its decimal text here, at the edge, and only when that text is certainly the one
// the client wrote; the use cases never see a number.
//
// Why 15 significant digits: every decimal of at most 15 significant digits survives the trip to a double
// and back (IEEE 754 binary64 keeps 15.95 decimal digits), so String(JSON.parse("10.50")) is "10.5", the
// same amount. With more digits, or in exponent form, the number may not be what was sent: refused.
const PLAIN = /^-?\d+(?:\.\d+)?$/;
export const MAX_EXACT_JSON_DIGITS = 15;

/** The decimal text of a JSON number sent for an amount, or undefined when it cannot be read exactly. */
export function amountTextOfJsonNumber(value: number): string | undefined {
  if (!Number.isFinite(value)) return undefined;
  const text = Object.is(value, -0) ? '0' : String(value);
  if (!PLAIN.test(text)) return undefined;
  let significant = 0;
  let leading = true;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c < 48 || c > 57) continue; // "-" and "."
    if (leading && c === 48) continue;
    leading = false;
    significant++;
  }
  return significant <= MAX_EXACT_JSON_DIGITS ? text : undefined;
}

/** What a surface says when an amount arrives as a JSON number it does not take. */
export const AMOUNT_AS_STRING = 'must be a decimal string such as "12.50" (amounts are sent as strings, not JSON numbers)';
/** What a surface says when a JSON number it takes cannot be read exactly. */
export const AMOUNT_NOT_EXACT = 'is a JSON number that cannot be read exactly: send it as a decimal string such as "12.50"';
