import { invalid } from './errors.ts';

// A pragmatic address check: one @, no spaces, a dot in the domain. SMTP decides the rest.
const EMAIL = /^[^\s@,;<>"]{1,64}@[^\s@,;<>"]+\.[^\s@,;<>"]{2,}$/;
const MAX_ADDRESSES = 20;

/** Splits "a@x.com, b@y.com; c@z.com" (or an array of such) into addresses, each checked. */
export function parseEmailList(value: string | string[], field: string): string[] {
  const parts = (Array.isArray(value) ? value : [value])
    .flatMap((v) => v.split(/[;,]/))
    .map((s) => s.trim())
    .filter((s) => s !== '');
  if (parts.length > MAX_ADDRESSES) throw invalid(field, `at most ${MAX_ADDRESSES} addresses`);
  for (const address of parts) {
    if (address.length > 254 || !EMAIL.test(address))
      throw invalid(field, `"${address}" is not a valid email address`);
  }
  return parts;
}

/** Stores an email list as one string, or null when empty. */
export function normaliseEmailField(
  value: string | string[] | null | undefined,
  field: string,
): string | null | undefined {
  if (value === undefined) return undefined;
  if (value === null) return null;
  const list = parseEmailList(value, field);
  return list.length === 0 ? null : list.join(', ');
}

/**
 * Phone numbers are stored as digits with an optional leading "+" (E.164 style), so that the number on a
 * call record and the number on a feature compare equal however they were typed ("+44 20 7946 0000").
 */
export function normalisePhoneNumber(value: string, field: string): string {
  const trimmed = value.trim();
  if (!/^\+?[\d\s().-]+$/.test(trimmed)) throw invalid(field, `"${value}" is not a phone number`);
  const digits = trimmed.replace(/[\s().-]/g, '');
  const bare = digits.startsWith('+') ? digits.slice(1) : digits;
  if (bare.length < 3 || bare.length > 17)
    throw invalid(field, `"${value}" is not a phone number (3 to 17 digits)`);
  return digits;
}

/**
 * A number as matched against another: "+441134960000" and "441134960000" are the same international
 * number (switches write it both ways), so the leading "+" is not part of the match.
 */
export function phoneMatchKey(number: string): string {
  return number.charCodeAt(0) === 43 /* + */ ? number.slice(1) : number;
}

/** Both spellings of a number, for finding it in stored rows (with and without the leading "+"). */
export function phoneSpellings(number: string): [string, string] {
  const bare = phoneMatchKey(number);
  return [bare, `+${bare}`];
}

export function normaliseOptionalPhone(
  value: string | null | undefined,
  field: string,
): string | null | undefined {
  if (value === undefined || value === null) return value;
  if (value.trim() === '') return null;
  return normalisePhoneNumber(value, field);
}
