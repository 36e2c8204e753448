// Calendar dates and timezones: validation, calendar arithmetic, the date of an instant in a zone and the
// instant a date begins in a zone (across DST changes).
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  addDays,
  addMonths,
  canonicalTimeZone,
  dateInZone,
  daysBetween,
  daysInMonth,
  firstOfMonth,
  fromDayNumber,
  isIsoDate,
  isValidTimeZone,
  maxDate,
  minDate,
  startOfDayInZone,
  toDayNumber,
} from '../../src/shared/dates.ts';

/** Day numbers from 1900-01-01 to 2999-12-31. */
const DAY_1900 = toDayNumber('1900-01-01');
const DAY_2999 = toDayNumber('2999-12-31');
const anyDate = fc.integer({ min: DAY_1900, max: DAY_2999 }).map(fromDayNumber);
/** Dates where timezone rules are settled enough to reason about. */
const modernDate = fc
  .integer({ min: toDayNumber('2000-01-01'), max: toDayNumber('2037-12-31') })
  .map(fromDayNumber);

function isLeap(year: number): boolean {
  return (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0;
}

describe('isIsoDate', () => {
  it.each([
    '2026-01-01',
    '2026-12-31',
    '2024-02-29',
    '2000-02-29',
    '2026-02-28',
    '1900-01-01',
    '2999-12-31',
    '2026-04-30',
  ])('accepts %s', (value) => {
    expect(isIsoDate(value)).toBe(true);
  });

  it.each([
    '1900-02-29', // divisible by 100, not by 400
    '2100-02-29',
    '2026-02-29',
    '2023-02-29',
    '2026-02-30',
    '2026-04-31',
    '2026-06-31',
    '2026-09-31',
    '2026-11-31',
    '2026-01-32',
    '2026-13-01',
    '2026-00-10',
    '2026-01-00',
    '2026-1-01',
    '2026-01-1',
    '26-01-01',
    '20260101',
    '2026/01/01',
    ' 2026-01-01',
    '2026-01-01 ',
    '2026-01-01T00:00:00Z',
    '1899-12-31',
    '3000-01-01',
    '',
    'today',
  ])('rejects %j', (value) => {
    expect(isIsoDate(value)).toBe(false);
  });

  it('accepts the 29th of February exactly in leap years', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1900, max: 2999 }), (year) => {
        expect(isIsoDate(`${year}-02-29`)).toBe(isLeap(year));
        expect(daysInMonth(year, 2)).toBe(isLeap(year) ? 29 : 28);
      }),
    );
  });

  it('accepts a day exactly when it is within its month', () => {
    const lengths = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];
    fc.assert(
      fc.property(
        fc.integer({ min: 1900, max: 2999 }),
        fc.integer({ min: 1, max: 12 }),
        fc.integer({ min: 0, max: 32 }),
        (year, month, day) => {
          const length = month === 2 && isLeap(year) ? 29 : lengths[month - 1]!;
          const text = `${year}-${String(month).padStart(2, '0')}-${String(day).padStart(2, '0')}`;
          expect(isIsoDate(text)).toBe(day >= 1 && day <= length);
        },
      ),
    );
  });
});

describe('day numbers', () => {
  it('counts days from 1970-01-01', () => {
    expect(toDayNumber('1970-01-01')).toBe(0);
    expect(toDayNumber('1970-01-02')).toBe(1);
    expect(toDayNumber('1969-12-31')).toBe(-1);
    expect(toDayNumber('2026-01-01')).toBe(20454);
    expect(fromDayNumber(20454)).toBe('2026-01-01');
    expect(() => toDayNumber('2026-1-1')).toThrow(/not an ISO date/);
  });

  it('round-trips every date, and every generated date is valid', () => {
    fc.assert(
      fc.property(fc.integer({ min: DAY_1900, max: DAY_2999 }), (n) => {
        const date = fromDayNumber(n);
        expect(isIsoDate(date)).toBe(true);
        expect(toDayNumber(date)).toBe(n);
      }),
    );
  });
});

describe('addDays and daysBetween', () => {
  it.each([
    ['2026-01-31', 1, '2026-02-01'],
    ['2026-02-28', 1, '2026-03-01'],
    ['2024-02-28', 1, '2024-02-29'],
    ['2024-02-29', 1, '2024-03-01'],
    ['2026-12-31', 1, '2027-01-01'],
    ['2026-03-01', -1, '2026-02-28'],
    ['2026-03-29', 1, '2026-03-30'], // London DST day: still one calendar day
    ['2026-10-25', 1, '2026-10-26'],
    ['2026-01-01', 365, '2027-01-01'],
    ['2024-01-01', 366, '2025-01-01'],
    ['2026-05-10', 0, '2026-05-10'],
  ] as const)('%s + %i days is %s', (date, days, expected) => {
    expect(addDays(date, days)).toBe(expected);
    expect(daysBetween(date, expected)).toBe(days);
  });

  it.each([
    ['2026-01-01', '2027-01-01', 365],
    ['2024-01-01', '2025-01-01', 366],
    ['2026-10-01', '2026-11-01', 31],
    ['2026-02-01', '2026-03-01', 28],
    ['2024-02-01', '2024-03-01', 29],
    ['2026-01-01', '2026-04-01', 90],
    ['2026-04-01', '2026-07-01', 91],
    ['2026-03-28', '2026-03-30', 2], // across the London spring change
    ['2026-10-24', '2026-10-26', 2], // across the London autumn change
    ['2026-11-01', '2026-10-01', -31],
    ['1900-01-01', '2000-01-01', 36524],
  ] as const)('from %s to %s is %i days', (from, to, days) => {
    expect(daysBetween(from, to)).toBe(days);
  });

  it('daysBetween inverts addDays and is antisymmetric', () => {
    fc.assert(
      fc.property(anyDate, fc.integer({ min: -5000, max: 5000 }), (date, n) => {
        const later = addDays(date, n);
        expect(daysBetween(date, later)).toBe(n);
        expect(daysBetween(later, date) + n).toBe(0);
        expect(addDays(later, -n)).toBe(date);
      }),
    );
  });

  it('string order is date order', () => {
    fc.assert(
      fc.property(anyDate, anyDate, (a, b) => {
        expect(Math.sign(daysBetween(a, b))).toBe(a < b ? 1 : a > b ? -1 : 0);
        expect(minDate(a, b)).toBe(a <= b ? a : b);
        expect(maxDate(a, b)).toBe(a >= b ? a : b);
      }),
    );
  });
});

describe('addMonths', () => {
  it.each([
    ['2026-01-15', 1, '2026-02-15'],
    ['2026-01-31', 1, '2026-02-28'],
    ['2024-01-31', 1, '2024-02-29'],
    ['2026-03-31', 1, '2026-04-30'],
    ['2026-03-31', -1, '2026-02-28'],
    ['2024-03-31', -1, '2024-02-29'],
    ['2026-05-31', 4, '2026-09-30'],
    ['2026-12-15', 1, '2027-01-15'],
    ['2026-01-15', -1, '2025-12-15'],
    ['2026-11-30', 3, '2027-02-28'],
    ['2024-02-29', 12, '2025-02-28'],
    ['2024-02-29', 48, '2028-02-29'],
    ['2026-10-01', 3, '2027-01-01'],
    ['2026-06-30', -18, '2024-12-30'],
    ['2026-06-30', 0, '2026-06-30'],
    ['2000-01-31', 1, '2000-02-29'],
    ['1900-01-31', 1, '1900-02-28'],
  ] as const)('%s + %i months is %s', (date, months, expected) => {
    expect(addMonths(date, months)).toBe(expected);
  });

  it('moves the month exactly and clamps the day only when the month is too short', () => {
    fc.assert(
      fc.property(
        // 600 months either side stays within the years isIsoDate accepts (1900-2999).
        fc.integer({ min: toDayNumber('1950-01-01'), max: toDayNumber('2949-12-31') }).map(fromDayNumber),
        fc.integer({ min: -600, max: 600 }),
        (date, months) => {
          const result = addMonths(date, months);
          expect(isIsoDate(result)).toBe(true);
          const [y, m, d] = date.split('-').map(Number) as [number, number, number];
          const [ry, rm, rd] = result.split('-').map(Number) as [number, number, number];
          expect(ry * 12 + rm - (y * 12 + m)).toBe(months);
          expect(rd).toBe(Math.min(d, daysInMonth(ry, rm)));
        },
      ),
    );
  });

  it('from the first of a month, steps compose', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1950, max: 2900 }),
        fc.integer({ min: 1, max: 12 }),
        fc.integer({ min: -300, max: 300 }),
        fc.integer({ min: -300, max: 300 }),
        (year, month, a, b) => {
          const first = `${year}-${String(month).padStart(2, '0')}-01`;
          expect(addMonths(addMonths(first, a), b)).toBe(addMonths(first, a + b));
          expect(firstOfMonth(addMonths(first, a))).toBe(addMonths(first, a));
        },
      ),
    );
  });
});

describe('firstOfMonth', () => {
  it('is the first of the same month', () => {
    expect(firstOfMonth('2026-10-15')).toBe('2026-10-01');
    expect(firstOfMonth('2024-02-29')).toBe('2024-02-01');
    expect(firstOfMonth('2026-01-01')).toBe('2026-01-01');
  });
});

describe('timezones', () => {
  it('validates and canonicalises IANA names', () => {
    expect(isValidTimeZone('Europe/London')).toBe(true);
    expect(isValidTimeZone('America/New_York')).toBe(true);
    expect(isValidTimeZone('UTC')).toBe(true);
    expect(isValidTimeZone('Europe/Londn')).toBe(false);
    expect(isValidTimeZone('')).toBe(false);
    expect(isValidTimeZone('x'.repeat(65))).toBe(false);
    expect(isValidTimeZone('GMT+25')).toBe(false);
    expect(canonicalTimeZone('europe/london')).toBe('Europe/London');
    expect(canonicalTimeZone('america/new_york')).toBe('America/New_York');
  });
});

describe('dateInZone', () => {
  it.each([
    ['2026-01-15T23:59:59.999Z', 'UTC', '2026-01-15'],
    ['2026-01-16T00:00:00.000Z', 'UTC', '2026-01-16'],
    // London: GMT in winter, BST (UTC+1) in summer.
    ['2026-01-15T23:30:00Z', 'Europe/London', '2026-01-15'],
    ['2026-07-01T22:59:59Z', 'Europe/London', '2026-07-01'],
    ['2026-07-01T23:00:00Z', 'Europe/London', '2026-07-02'],
    ['2026-03-29T00:30:00Z', 'Europe/London', '2026-03-29'],
    ['2026-03-29T23:00:00Z', 'Europe/London', '2026-03-30'],
    ['2026-10-24T22:59:59Z', 'Europe/London', '2026-10-24'],
    ['2026-10-24T23:00:00Z', 'Europe/London', '2026-10-25'],
    ['2026-10-25T23:59:59Z', 'Europe/London', '2026-10-25'],
    // New York: UTC-5 in winter, UTC-4 in summer.
    ['2026-01-01T04:59:59Z', 'America/New_York', '2025-12-31'],
    ['2026-01-01T05:00:00Z', 'America/New_York', '2026-01-01'],
    ['2026-07-04T03:59:59Z', 'America/New_York', '2026-07-03'],
    ['2026-07-04T04:00:00Z', 'America/New_York', '2026-07-04'],
    // East of Greenwich the local date runs ahead.
    ['2026-01-01T14:59:59Z', 'Asia/Tokyo', '2026-01-01'],
    ['2026-01-01T15:00:00Z', 'Asia/Tokyo', '2026-01-02'],
    ['2026-05-31T18:29:59Z', 'Asia/Kolkata', '2026-05-31'],
    ['2026-05-31T18:30:00Z', 'Asia/Kolkata', '2026-06-01'],
    ['2026-12-31T10:00:00Z', 'Pacific/Kiritimati', '2027-01-01'],
    ['2026-12-31T10:59:59Z', 'Pacific/Pago_Pago', '2026-12-30'],
    ['2026-12-31T11:00:00Z', 'Pacific/Pago_Pago', '2026-12-31'],
    ['2026-06-30T12:00:00Z', 'Pacific/Auckland', '2026-07-01'],
  ] as const)('%s in %s is %s', (instant, zone, expected) => {
    expect(dateInZone(new Date(instant), zone)).toBe(expected);
  });

  it('is the UTC date in UTC', () => {
    fc.assert(
      fc.property(fc.integer({ min: Date.UTC(1900, 0, 1), max: Date.UTC(2999, 11, 31) }), (ms) => {
        const instant = new Date(ms);
        expect(dateInZone(instant, 'UTC')).toBe(instant.toISOString().slice(0, 10));
      }),
    );
  });
});

describe('startOfDayInZone', () => {
  it.each([
    ['2026-06-01', 'UTC', '2026-06-01T00:00:00.000Z'],
    // Europe/London: clocks go forward at 01:00 GMT on 2026-03-29 and back at 01:00 GMT on 2026-10-25.
    ['2026-01-15', 'Europe/London', '2026-01-15T00:00:00.000Z'],
    ['2026-03-28', 'Europe/London', '2026-03-28T00:00:00.000Z'],
    ['2026-03-29', 'Europe/London', '2026-03-29T00:00:00.000Z'],
    ['2026-03-30', 'Europe/London', '2026-03-29T23:00:00.000Z'],
    ['2026-07-01', 'Europe/London', '2026-06-30T23:00:00.000Z'],
    ['2026-10-25', 'Europe/London', '2026-10-24T23:00:00.000Z'],
    ['2026-10-26', 'Europe/London', '2026-10-26T00:00:00.000Z'],
    // America/New_York: forward at 02:00 EST on 2026-03-08, back at 02:00 EDT on 2026-11-01.
    ['2026-03-07', 'America/New_York', '2026-03-07T05:00:00.000Z'],
    ['2026-03-08', 'America/New_York', '2026-03-08T05:00:00.000Z'],
    ['2026-03-09', 'America/New_York', '2026-03-09T04:00:00.000Z'],
    ['2026-11-01', 'America/New_York', '2026-11-01T04:00:00.000Z'],
    ['2026-11-02', 'America/New_York', '2026-11-02T05:00:00.000Z'],
    // Southern hemisphere: Sydney goes back on 2026-04-05 and forward on 2026-10-04.
    ['2026-04-05', 'Australia/Sydney', '2026-04-04T13:00:00.000Z'],
    ['2026-04-06', 'Australia/Sydney', '2026-04-05T14:00:00.000Z'],
    ['2026-10-04', 'Australia/Sydney', '2026-10-03T14:00:00.000Z'],
    ['2026-10-05', 'Australia/Sydney', '2026-10-04T13:00:00.000Z'],
    ['2026-06-01', 'Asia/Kolkata', '2026-05-31T18:30:00.000Z'],
    ['2026-06-01', 'Pacific/Kiritimati', '2026-05-31T10:00:00.000Z'],
    ['2026-06-01', 'Pacific/Pago_Pago', '2026-06-01T11:00:00.000Z'],
    // Zones whose clocks jump forward at midnight: 00:00 does not exist and the day begins at 01:00.
    ['2026-03-08', 'America/Havana', '2026-03-08T05:00:00.000Z'], // 00:00 CST -> 01:00 CDT
    ['2026-09-06', 'America/Santiago', '2026-09-06T04:00:00.000Z'], // 00:00 -04 -> 01:00 -03
    ['2026-03-29', 'Asia/Beirut', '2026-03-28T22:00:00.000Z'], // 00:00 EET -> 01:00 EEST
    // Havana goes back at 01:00 CDT on 2026-11-01: midnight happens once, in CDT.
    ['2026-11-01', 'America/Havana', '2026-11-01T04:00:00.000Z'],
  ] as const)('%s in %s begins at %s', (date, zone, expected) => {
    const start = startOfDayInZone(date, zone);
    expect(start.toISOString()).toBe(expected);
    expect(dateInZone(start, zone)).toBe(date);
    expect(dateInZone(new Date(start.getTime() - 1), zone)).toBe(addDays(date, -1));
  });

  const zones = [
    'UTC',
    'Europe/London',
    'Europe/Paris',
    'America/New_York',
    'America/Los_Angeles',
    'America/Sao_Paulo',
    'America/Santiago',
    'America/Havana',
    'America/Asuncion',
    'Asia/Beirut',
    'Asia/Kolkata',
    'Asia/Kathmandu',
    'Australia/Sydney',
    'Australia/Lord_Howe',
    'Pacific/Auckland',
    'Pacific/Chatham',
    'Pacific/Kiritimati',
    'Pacific/Pago_Pago',
  ];

  it('is the first instant whose local date is that date, in any zone', () => {
    fc.assert(
      fc.property(fc.constantFrom(...zones), modernDate, (zone, date) => {
        const start = startOfDayInZone(date, zone);
        expect(dateInZone(start, zone)).toBe(date);
        expect(dateInZone(new Date(start.getTime() - 1), zone)).toBe(addDays(date, -1));
      }),
      { numRuns: 500 },
    );
  });

  it('finds the first instant on every day of 2026, DST changes included, in those zones', () => {
    for (const zone of zones) {
      for (let day = toDayNumber('2026-01-01'); day <= toDayNumber('2026-12-31'); day++) {
        const date = fromDayNumber(day);
        const start = startOfDayInZone(date, zone);
        expect(dateInZone(start, zone), `${zone} ${date}`).toBe(date);
        expect(dateInZone(new Date(start.getTime() - 1), zone), `${zone} ${date}`).toBe(addDays(date, -1));
      }
    }
  });
});
