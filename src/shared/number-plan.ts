// How a switch writes numbers, and reading them as Ringbill stores them. A switch writes what was dialled:
// national numbers of its own country (01134960000), international ones behind the country's international
// prefix (00441134960000, 011…), routing ("tech") prefixes in front, and, where no phone number is involved,
// extensions (1000), Asterisk's special extensions (s, t, h…), SIP user names (alice) and feature codes (*97).
//
// readNumber() turns a number into E.164 (+441134960000) when it can: a leading "+" as written, an
// international prefix replaced by "+", a national number of the plan's country through libphonenumber-js
// (Google's libphonenumber metadata: trunk prefixes such as 0 in GB or 8 in RU, the country's own
// international prefix, the lengths numbers have). A number it cannot place (a local number without its
// area code, a national number with no country given) is kept as the switch wrote it, digits only, so the
// call is still stored and the rate card decides. Anything that is not a phone number at all comes back as
// a NotANumber with the reason a person reads.
//
// libphonenumber-js takes tens of microseconds per number, so its answers are cached (bounded): a switch's
// CDRs repeat the same numbers over and over.
import { isSupportedCountry, parsePhoneNumberFromString, type CountryCode } from 'libphonenumber-js';
import { invalid } from './errors.ts';

export interface NumberPlan {
  /** ISO 3166 alpha-2 country whose national numbers the switch writes; null: numbers taken as written. */
  country: string | null;
  /** Prefixes that mean "an international number follows" (replaced by "+"). */
  internationalPrefixes: readonly string[];
  /** Routing prefixes the switch puts in front of numbers, stripped (the longest that matches). */
  techPrefixes: readonly string[];
  /** A digits-only number this short (or shorter) is an internal extension, not a phone number. */
  extensionMaxDigits: number;
}

/** Without a country, "00" is the only prefix that can only mean an international number. */
export const DEFAULT_INTERNATIONAL_PREFIXES: readonly string[] = ['00'];
export const DEFAULT_EXTENSION_MAX_DIGITS = 4;
export const MAX_EXTENSION_DIGITS = 8;
const MAX_PREFIXES = 20;
const MAX_PREFIX_LENGTH = 10;

/** What is not a phone number, and why (the text is as the switch wrote it). */
export class NotANumber {
  constructor(
    readonly text: string,
    readonly reason: string,
    /** The caller withheld their number (stored as "anonymous"). */
    readonly withheld = false,
  ) {}
}

export const WITHHELD_CALLER = 'anonymous';
const WITHHELD = new Set(['anonymous', 'withheld', 'private', 'unknown', 'restricted', 'unavailable']);

/** Asterisk's special extensions (doc: "Special Dialplan Extensions"): a one-letter name is not a number. */
const ASTERISK_SPECIAL: Record<string, string> = {
  s: "Asterisk's start extension (no number was dialled)",
  t: "Asterisk's timeout extension (the caller dialled nothing in time)",
  T: "Asterisk's absolute timeout extension",
  i: "Asterisk's invalid-number extension",
  h: "Asterisk's hangup extension",
  o: "Asterisk's operator extension",
  a: "Asterisk's voicemail star extension",
  e: "Asterisk's exception extension",
};

/** Checks a plan's parts (account settings, or overrides on an import); throws invalid_input naming the field. */
export function checkCountry(value: string, field: string): string {
  const country = value.trim().toUpperCase();
  if (!/^[A-Z]{2}$/.test(country) || !isSupportedCountry(country))
    throw invalid(field, `"${value}" is not a country code such as GB or US (ISO 3166 alpha-2)`);
  return country;
}

export function checkPrefixes(
  value: readonly string[] | string,
  field: string,
  pattern: RegExp,
  what: string,
): string[] {
  const list = (typeof value === 'string' ? value.split(',') : [...value])
    .map((p) => p.trim())
    .filter((p) => p !== '');
  if (list.length > MAX_PREFIXES) throw invalid(field, `at most ${MAX_PREFIXES} prefixes`);
  for (const p of list) {
    if (p.length > MAX_PREFIX_LENGTH || !pattern.test(p)) throw invalid(field, `"${p}" is not ${what}`);
  }
  return [...new Set(list)];
}

export function checkInternationalPrefixes(value: readonly string[] | string, field: string): string[] {
  return checkPrefixes(value, field, /^\d+$/, 'an international prefix (digits, such as 00 or 011)');
}

export function checkTechPrefixes(value: readonly string[] | string, field: string): string[] {
  return checkPrefixes(value, field, /^[\d*#+]+$/, 'a tech prefix (digits, * and #, such as 9 or 1234#)');
}

export function checkExtensionMaxDigits(value: number | string, field: string): number {
  const n =
    typeof value === 'number' ? value : /^\d+$/.test(value.trim()) ? Number(value.trim()) : Number.NaN;
  if (!Number.isInteger(n) || n < 0 || n > MAX_EXTENSION_DIGITS)
    throw invalid(field, `must be a whole number of digits from 0 to ${MAX_EXTENSION_DIGITS}`);
  return n;
}

const MAX_CACHED = 100_000;
const SEPARATORS = /[\s().\-/]/g;

/** Reads numbers under one plan; keeps libphonenumber's answers (not thread-safe: one per import). */
export class NumberReader {
  private readonly techPrefixes: string[];
  private readonly internationalPrefixes: string[];
  private readonly country: CountryCode | undefined;
  private readonly cache = new Map<string, string>();

  constructor(readonly plan: NumberPlan) {
    // Longest first: "1234#" before "1".
    this.techPrefixes = [...plan.techPrefixes].sort((a, b) => b.length - a.length);
    this.internationalPrefixes = [...plan.internationalPrefixes].sort((a, b) => b.length - a.length);
    this.country = plan.country !== null && isSupportedCountry(plan.country) ? plan.country : undefined;
  }

  /** A number as stored (E.164 "+…" or digits), or why it is not one. `text` is trimmed by the caller. */
  read(text: string): string | NotANumber {
    if (text.length === 0) return new NotANumber(text, 'is empty', true);
    let value = text;
    // A SIP or tel URI (sip:+441134960000@host;user=phone): the user part is the number.
    const c0 = value.charCodeAt(0);
    if (c0 === 115 /* s */ || c0 === 116 /* t */ || c0 === 60 /* < */) value = uriUser(value);
    if (value.length > 64) return new NotANumber(text, 'is not a phone number (too long)');
    // Digits only: the common case, no regular expression.
    let plain = true;
    for (let i = 0; i < value.length; i++) {
      const c = value.charCodeAt(i);
      if (c < 48 || c > 57) {
        plain = i === 0 && c === 43 /* + */ && value.length > 1;
        if (!plain) break;
      }
    }
    if (!plain) {
      if (WITHHELD.has(value.toLowerCase())) return new NotANumber(text, 'was withheld', true);
      const special = ASTERISK_SPECIAL[value];
      if (special !== undefined) return new NotANumber(text, `"${text}" is ${special}`);
      const cleaned = value.replace(SEPARATORS, '');
      if (/[A-Za-z]/.test(cleaned))
        return new NotANumber(text, `"${text}" is a SIP user name, not a phone number`);
      value = cleaned;
    }
    value = this.stripTechPrefix(value);
    // A plain value (digits, maybe after a "+") stays plain when a prefix is stripped: no need to look again.
    if (!plain) {
      if (value.indexOf('*') !== -1 || value.indexOf('#') !== -1)
        return new NotANumber(text, `"${text}" is a feature code, not a phone number`);
      if (!/^\+?\d+$/.test(value)) return new NotANumber(text, `"${text}" is not a phone number`);
    }
    if (value.charCodeAt(0) === 43) return e164OrWhy(text, value);
    if (value.length <= this.plan.extensionMaxDigits) {
      return new NotANumber(
        text,
        `"${text}" is an internal extension (${this.plan.extensionMaxDigits} digits or fewer), not a phone number`,
      );
    }
    for (const prefix of this.internationalPrefixes) {
      if (value.length > prefix.length && value.startsWith(prefix))
        return e164OrWhy(text, `+${value.slice(prefix.length)}`);
    }
    if (value.length > 17)
      return new NotANumber(text, `"${text}" is not a phone number (more than 17 digits)`);
    if (this.country === undefined) return value;
    return this.national(value);
  }

  private stripTechPrefix(value: string): string {
    for (const prefix of this.techPrefixes) {
      if (value.length > prefix.length && value.startsWith(prefix)) return value.slice(prefix.length);
    }
    return value;
  }

  /** A national number of the plan's country as E.164, or the digits as written when it cannot be placed. */
  private national(digits: string): string {
    const cached = this.cache.get(digits);
    if (cached !== undefined) return cached;
    const parsed = parsePhoneNumberFromString(digits, this.country);
    const number = parsed !== undefined && parsed.isPossible() ? parsed.number : digits;
    if (this.cache.size >= MAX_CACHED) this.cache.clear();
    this.cache.set(digits, number);
    return number;
  }
}

function e164OrWhy(text: string, value: string): string | NotANumber {
  const digits = value.length - 1;
  if (digits < 3 || digits > 17)
    return new NotANumber(text, `"${text}" is not a phone number (3 to 17 digits)`);
  return value;
}

/** The user part of sip:user@host, sips:…, tel:…, <sip:…>; the text itself when it is none of these. */
function uriUser(text: string): string {
  const m = /^<?(?:sips?|tel):([^@;>]*)/i.exec(text);
  return m ? decodeSafely(m[1]!) : text;
}

function decodeSafely(text: string): string {
  if (text.indexOf('%') === -1) return text;
  try {
    return decodeURIComponent(text);
  } catch {
    return text;
  }
}
