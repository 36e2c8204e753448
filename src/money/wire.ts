// Amounts enter only as decimal strings. The one exception is a JSON number on the few wire fields whose
// clients already send numbers (kept so their wire format does not break, listed in CONTRIBUTING.md): such a
// number is turned into its decimal text here, at the edge, and only when that text is certainly the one
// the client wrote; the use cases never see a number.
//
// Why 15 significant digits: every decimal of at most 15 significant digits survives the trip to a double
// and back (IEEE 754 binary64 keeps 15.95 decimal digits), so String(JSON.parse("10.50")) is "10.5", the
// same amount. A number whose text has more digits may not be what was sent: if it could pass as an amount
// (plain, at most 6 decimals) it is refused here; otherwise (exponent form, 0.30000000000000004) its text goes
// on to the field's own check, which refuses it naming the rule it breaks (decimal places, format).
const PLAIN = /^-?\d+(?:\.\d+)?$/;
export const MAX_EXACT_JSON_DIGITS = 15;
const MAX_AMOUNT_DECIMALS = 6;

/**
 * The decimal text of a JSON number sent for an amount, for the field's own validation; undefined when the
 * number could pass as an amount but may not be the one the client wrote (or is not finite).
 */
export function amountTextOfJsonNumber(value: number): string | undefined {
  if (!Number.isFinite(value)) return undefined;
  const text = Object.is(value, -0) ? '0' : String(value);
  if (!PLAIN.test(text)) return text; // exponent form: not a decimal the field takes
  const dot = text.indexOf('.');
  if (dot !== -1 && text.length - dot - 1 > MAX_AMOUNT_DECIMALS) return text; // finer than any amount
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
export const AMOUNT_AS_STRING =
  'must be a decimal string such as "12.50" (amounts are sent as strings, not JSON numbers)';
/** What a surface says when a JSON number it takes cannot be read exactly. */
export const AMOUNT_NOT_EXACT =
  'is a JSON number that cannot be read exactly: send it as a decimal string such as "12.50"';
