// The small readers of a call's date and time text that Ringbill's CSV (call-input.ts) and the switch
// formats (formats/switch-time.ts) share: fixed-width digits read without a regular expression, and the
// dates a call may have (a real calendar date, years 1900 to 2999).

/** Value of `length` decimal digits at `at`, or -1 if any is not a digit. */
export function digitsAt(value: string, at: number, length: number): number {
  let n = 0;
  for (let i = at; i < at + length; i++) {
    const c = value.charCodeAt(i) - 48;
    if (c < 0 || c > 9) return -1;
    n = n * 10 + c;
  }
  return n;
}

const DAYS_IN_MONTH = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];

/** A date that exists, in the years a call may have (1900 to 2999); month 1 to 12. */
export function isCallDate(y: number, mo: number, d: number): boolean {
  if (y < 1900 || y > 2999 || mo < 1 || mo > 12 || d < 1) return false;
  const leap = y % 4 === 0 && (y % 100 !== 0 || y % 400 === 0);
  return d <= (mo === 2 && leap ? 29 : DAYS_IN_MONTH[mo - 1]!);
}
