// Recurring charges of a feature: calendar-aligned periods, pro rata part periods, advance and arrears
// billing, transaction cut-off dates, end dates and credits. Hand-computed examples first, then
// properties checked against an independent integer model.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  chargeThrough,
  nextPeriodStart,
  periodStartContaining,
  recurringChargesDue,
  recurringDueByTerms,
  type BillingMode,
  type Frequency,
  type RecurringCharge,
  type RecurringFeature,
} from '../../src/features/recurring.ts';
import { addDays, daysBetween, fromDayNumber, type IsoDate, toDayNumber } from '../../src/shared/dates.ts';

function feature(overrides: Partial<RecurringFeature> = {}): RecurringFeature {
  return {
    recurringValue: '25.00',
    frequency: 'monthly',
    billing: 'advance',
    startDate: '2026-10-15',
    endDate: null,
    billedUntil: null,
    ...overrides,
  };
}

/** The parts of a charge a bill shows: [first day, last day, value]. */
function lines(charges: RecurringCharge[]): [IsoDate, IsoDate, string][] {
  return charges.map((c) => [c.startDate, c.endDate, c.value]);
}

describe('periods', () => {
  it.each([
    ['2026-10-15', 'monthly', '2026-10-01', '2026-11-01'],
    ['2026-12-31', 'monthly', '2026-12-01', '2027-01-01'],
    ['2024-02-29', 'monthly', '2024-02-01', '2024-03-01'],
    ['2026-01-01', 'quarterly', '2026-01-01', '2026-04-01'],
    ['2026-03-31', 'quarterly', '2026-01-01', '2026-04-01'],
    ['2026-04-01', 'quarterly', '2026-04-01', '2026-07-01'],
    ['2026-06-30', 'quarterly', '2026-04-01', '2026-07-01'],
    ['2026-08-15', 'quarterly', '2026-07-01', '2026-10-01'],
    ['2026-11-15', 'quarterly', '2026-10-01', '2027-01-01'],
    ['2026-01-01', 'annually', '2026-01-01', '2027-01-01'],
    ['2026-12-31', 'annually', '2026-01-01', '2027-01-01'],
  ] as const)('%s is in the %s period %s to %s', (date, frequency, start, end) => {
    expect(periodStartContaining(date, frequency)).toBe(start);
    expect(nextPeriodStart(start, frequency)).toBe(end);
  });
});

describe('advance billing', () => {
  it('charges the part month pro rata and the coming month in full (the example from the docs)', () => {
    // 25.00 x 17/31 = 13.709... -> 13.71 for 15-31 October; November in full.
    const due = recurringChargesDue(feature(), { cutoffDate: '2026-11-01', minorDigits: 2 });
    expect(due.charges).toEqual([
      {
        startDate: '2026-10-15',
        endDate: '2026-10-31',
        value: '13.71',
        periodStart: '2026-10-01',
        periodEnd: '2026-11-01',
        prorated: true,
        credit: false,
      },
      {
        startDate: '2026-11-01',
        endDate: '2026-11-30',
        value: '25.00',
        periodStart: '2026-11-01',
        periodEnd: '2026-12-01',
        prorated: false,
        credit: false,
      },
    ]);
    expect(due.billedUntil).toBe('2026-12-01');
  });

  it('charges up to the end of the period containing the cut-off', () => {
    const due = recurringChargesDue(feature(), { cutoffDate: '2026-10-20', minorDigits: 2 });
    expect(lines(due.charges)).toEqual([['2026-10-15', '2026-10-31', '13.71']]);
    expect(due.billedUntil).toBe('2026-11-01');
  });

  it('charges from billedUntil on the next invoice and never twice', () => {
    const first = recurringChargesDue(feature(), { cutoffDate: '2026-11-01', minorDigits: 2 });
    const again = recurringChargesDue(feature({ billedUntil: first.billedUntil }), {
      cutoffDate: '2026-11-01',
      minorDigits: 2,
    });
    expect(again).toEqual({ charges: [], billedUntil: '2026-12-01' });
    const earlier = recurringChargesDue(feature({ billedUntil: '2026-12-01' }), {
      cutoffDate: '2026-11-15',
      minorDigits: 2,
    });
    expect(earlier).toEqual({ charges: [], billedUntil: '2026-12-01' });
    const next = recurringChargesDue(feature({ billedUntil: '2026-12-01' }), {
      cutoffDate: '2026-12-01',
      minorDigits: 2,
    });
    expect(lines(next.charges)).toEqual([['2026-12-01', '2026-12-31', '25.00']]);
    expect(next.billedUntil).toBe('2027-01-01');
  });

  it('charges several whole periods in one go when billing catches up', () => {
    const due = recurringChargesDue(feature({ startDate: '2026-01-01' }), {
      cutoffDate: '2026-06-15',
      minorDigits: 2,
    });
    expect(due.charges.map((c) => c.startDate)).toEqual([
      '2026-01-01',
      '2026-02-01',
      '2026-03-01',
      '2026-04-01',
      '2026-05-01',
      '2026-06-01',
    ]);
    expect(due.charges.map((c) => c.value)).toEqual(['25.00', '25.00', '25.00', '25.00', '25.00', '25.00']);
    expect(due.charges.every((c) => !c.prorated && !c.credit)).toBe(true);
    expect(due.billedUntil).toBe('2026-07-01');
  });

  it('charges nothing for a feature that starts after the period of the cut-off', () => {
    const due = recurringChargesDue(feature({ startDate: '2026-12-01' }), {
      cutoffDate: '2026-11-30',
      minorDigits: 2,
    });
    expect(due).toEqual({ charges: [], billedUntil: null });
  });

  it('prices quarters of different lengths pro rata by their own days', () => {
    // Q1 2026 has 90 days; 10 February to 31 March is 50 days: 100 x 50/90 = 55.555... -> 55.56.
    const q1 = recurringChargesDue(
      feature({ recurringValue: '100.00', frequency: 'quarterly', startDate: '2026-02-10' }),
      {
        cutoffDate: '2026-02-10',
        minorDigits: 2,
      },
    );
    expect(q1.charges).toEqual([
      {
        startDate: '2026-02-10',
        endDate: '2026-03-31',
        value: '55.56',
        periodStart: '2026-01-01',
        periodEnd: '2026-04-01',
        prorated: true,
        credit: false,
      },
    ]);
    expect(q1.billedUntil).toBe('2026-04-01');
    // Q2 has 91 days; May and June are 61: 100 x 61/91 = 67.0329... -> 67.03.
    const q2 = recurringChargesDue(
      feature({ recurringValue: '100.00', frequency: 'quarterly', startDate: '2026-05-01' }),
      {
        cutoffDate: '2026-05-01',
        minorDigits: 2,
      },
    );
    expect(lines(q2.charges)).toEqual([['2026-05-01', '2026-06-30', '67.03']]);
    // The next invoice, cut off in August, charges Q3 in full.
    const q3 = recurringChargesDue(
      feature({
        recurringValue: '100.00',
        frequency: 'quarterly',
        startDate: '2026-05-01',
        billedUntil: '2026-07-01',
      }),
      { cutoffDate: '2026-08-20', minorDigits: 2 },
    );
    expect(q3.charges).toEqual([
      {
        startDate: '2026-07-01',
        endDate: '2026-09-30',
        value: '100.00',
        periodStart: '2026-07-01',
        periodEnd: '2026-10-01',
        prorated: false,
        credit: false,
      },
    ]);
    expect(q3.billedUntil).toBe('2026-10-01');
  });

  it('prices a part year by the days of that year, 365 or 366', () => {
    // 1 July 2026 to 31 December: 184 of 365 days: 1200 x 184/365 = 604.93...
    const y2026 = recurringChargesDue(
      feature({ recurringValue: '1200.00', frequency: 'annually', startDate: '2026-07-01' }),
      {
        cutoffDate: '2026-07-01',
        minorDigits: 2,
      },
    );
    expect(y2026.charges).toEqual([
      {
        startDate: '2026-07-01',
        endDate: '2026-12-31',
        value: '604.93',
        periodStart: '2026-01-01',
        periodEnd: '2027-01-01',
        prorated: true,
        credit: false,
      },
    ]);
    expect(y2026.billedUntil).toBe('2027-01-01');
    // 1 March 2024 to 31 December: 306 of 366 days: 1200 x 306/366 = 1003.278... -> 1003.28.
    const y2024 = recurringChargesDue(
      feature({ recurringValue: '1200.00', frequency: 'annually', startDate: '2024-03-01' }),
      {
        cutoffDate: '2024-12-31',
        minorDigits: 2,
      },
    );
    expect(lines(y2024.charges)).toEqual([['2024-03-01', '2024-12-31', '1003.28']]);
  });

  it('prices February by its 28 or 29 days', () => {
    // 29 February 2024 alone: 10 x 1/29 = 0.3448 -> 0.34; from the 28th: 2/29 = 0.6896 -> 0.69.
    const leapDay = recurringChargesDue(feature({ recurringValue: '10.00', startDate: '2024-02-29' }), {
      cutoffDate: '2024-02-29',
      minorDigits: 2,
    });
    expect(lines(leapDay.charges)).toEqual([['2024-02-29', '2024-02-29', '0.34']]);
    expect(leapDay.billedUntil).toBe('2024-03-01');
    const twoDays = recurringChargesDue(feature({ recurringValue: '10.00', startDate: '2024-02-28' }), {
      cutoffDate: '2024-02-28',
      minorDigits: 2,
    });
    expect(lines(twoDays.charges)).toEqual([['2024-02-28', '2024-02-29', '0.69']]);
    // 15 February 2026: 14 of 28 days, exactly half.
    const half = recurringChargesDue(feature({ recurringValue: '10.00', startDate: '2026-02-15' }), {
      cutoffDate: '2026-02-15',
      minorDigits: 2,
    });
    expect(lines(half.charges)).toEqual([['2026-02-15', '2026-02-28', '5.00']]);
  });

  it('rounds a pro rata half to the minor unit away from zero', () => {
    // 0.05 x 15/30 = 0.025 -> 0.03 (banker's rounding would give 0.02).
    const due = recurringChargesDue(feature({ recurringValue: '0.05', startDate: '2026-04-16' }), {
      cutoffDate: '2026-04-16',
      minorDigits: 2,
    });
    expect(lines(due.charges)).toEqual([['2026-04-16', '2026-04-30', '0.03']]);
    // 0.01 x 15/30 = 0.005 -> 0.01.
    const cent = recurringChargesDue(feature({ recurringValue: '0.01', startDate: '2026-04-16' }), {
      cutoffDate: '2026-04-16',
      minorDigits: 2,
    });
    expect(lines(cent.charges)).toEqual([['2026-04-16', '2026-04-30', '0.01']]);
  });

  it('uses the currency minor unit: yen and dinars', () => {
    // JPY: 1001 x 15/30 = 500.5 -> 501.
    const yen = recurringChargesDue(feature({ recurringValue: '1001', startDate: '2026-04-16' }), {
      cutoffDate: '2026-04-30',
      minorDigits: 0,
    });
    expect(lines(yen.charges)).toEqual([['2026-04-16', '2026-04-30', '501']]);
    // BHD: 10 x 17/31 = 5.48387... -> 5.484, then 10.000 for November.
    const dinar = recurringChargesDue(feature({ recurringValue: '10.000' }), {
      cutoffDate: '2026-11-01',
      minorDigits: 3,
    });
    expect(lines(dinar.charges)).toEqual([
      ['2026-10-15', '2026-10-31', '5.484'],
      ['2026-11-01', '2026-11-30', '10.000'],
    ]);
  });

  it('stops at the end date, pro rata', () => {
    // Ends 10 November: 10/30 of 25.00 = 8.33.
    const due = recurringChargesDue(feature({ endDate: '2026-11-10' }), {
      cutoffDate: '2026-11-01',
      minorDigits: 2,
    });
    expect(lines(due.charges)).toEqual([
      ['2026-10-15', '2026-10-31', '13.71'],
      ['2026-11-01', '2026-11-10', '8.33'],
    ]);
    expect(due.billedUntil).toBe('2026-11-11');
    // Nothing more, ever.
    const later = recurringChargesDue(feature({ endDate: '2026-11-10', billedUntil: '2026-11-11' }), {
      cutoffDate: '2027-06-01',
      minorDigits: 2,
    });
    expect(later).toEqual({ charges: [], billedUntil: '2026-11-11' });
  });

  it('charges a one-day feature for one day', () => {
    // 31.00 for October (31 days): one day is 1.00.
    const due = recurringChargesDue(
      feature({ recurringValue: '31.00', startDate: '2026-10-15', endDate: '2026-10-15' }),
      { cutoffDate: '2026-10-01', minorDigits: 2 },
    );
    expect(lines(due.charges)).toEqual([['2026-10-15', '2026-10-15', '1.00']]);
    expect(due.billedUntil).toBe('2026-10-16');
  });

  it('charges a zero-value feature zero', () => {
    const due = recurringChargesDue(feature({ recurringValue: '0.00' }), {
      cutoffDate: '2026-11-01',
      minorDigits: 2,
    });
    expect(due.charges.map((c) => c.value)).toEqual(['0.00', '0.00']);
  });
});

describe('arrears billing', () => {
  const arrears = (overrides: Partial<RecurringFeature> = {}) =>
    feature({ billing: 'arrears', ...overrides });

  it('charges only periods that have ended before the period of the cut-off', () => {
    const due = recurringChargesDue(arrears(), { cutoffDate: '2026-11-01', minorDigits: 2 });
    expect(lines(due.charges)).toEqual([['2026-10-15', '2026-10-31', '13.71']]);
    expect(due.billedUntil).toBe('2026-11-01');
    const midMonth = recurringChargesDue(arrears(), { cutoffDate: '2026-11-20', minorDigits: 2 });
    expect(midMonth).toEqual(due);
  });

  it('charges nothing while the first period is still running', () => {
    expect(recurringChargesDue(arrears(), { cutoffDate: '2026-10-31', minorDigits: 2 })).toEqual({
      charges: [],
      billedUntil: null,
    });
    expect(recurringChargesDue(arrears(), { cutoffDate: '2026-10-15', minorDigits: 2 })).toEqual({
      charges: [],
      billedUntil: null,
    });
  });

  it('charges the month just ended on the next invoice', () => {
    const due = recurringChargesDue(arrears({ billedUntil: '2026-11-01' }), {
      cutoffDate: '2026-12-01',
      minorDigits: 2,
    });
    expect(due.charges).toEqual([
      {
        startDate: '2026-11-01',
        endDate: '2026-11-30',
        value: '25.00',
        periodStart: '2026-11-01',
        periodEnd: '2026-12-01',
        prorated: false,
        credit: false,
      },
    ]);
    expect(due.billedUntil).toBe('2026-12-01');
  });

  it('charges a feature that ended before the cut-off up to its end', () => {
    // Ended 10 November; cut-off 20 November: 1-10 November, 10/30 of 25.00.
    const due = recurringChargesDue(arrears({ endDate: '2026-11-10', billedUntil: '2026-11-01' }), {
      cutoffDate: '2026-11-20',
      minorDigits: 2,
    });
    expect(lines(due.charges)).toEqual([['2026-11-01', '2026-11-10', '8.33']]);
    expect(due.billedUntil).toBe('2026-11-11');
    // Ended the day before the cut-off: still billed to its end.
    const dayBefore = recurringChargesDue(arrears({ endDate: '2026-11-19', billedUntil: '2026-11-01' }), {
      cutoffDate: '2026-11-20',
      minorDigits: 2,
    });
    expect(lines(dayBefore.charges)).toEqual([['2026-11-01', '2026-11-19', '15.83']]); // 25 x 19/30 = 15.833
    expect(dayBefore.billedUntil).toBe('2026-11-20');
  });

  it('waits for the period to end when the feature ends on or after the cut-off', () => {
    const onCutoff = recurringChargesDue(arrears({ endDate: '2026-11-20', billedUntil: '2026-11-01' }), {
      cutoffDate: '2026-11-20',
      minorDigits: 2,
    });
    expect(onCutoff).toEqual({ charges: [], billedUntil: '2026-11-01' });
    const next = recurringChargesDue(arrears({ endDate: '2026-11-20', billedUntil: '2026-11-01' }), {
      cutoffDate: '2026-12-01',
      minorDigits: 2,
    });
    expect(lines(next.charges)).toEqual([['2026-11-01', '2026-11-20', '16.67']]); // 25 x 20/30 = 16.666
    expect(next.billedUntil).toBe('2026-11-21');
  });

  it('charges a whole quarter once it has ended', () => {
    const quarterly = arrears({ recurringValue: '300.00', frequency: 'quarterly', startDate: '2026-01-01' });
    expect(recurringChargesDue(quarterly, { cutoffDate: '2026-03-31', minorDigits: 2 }).charges).toEqual([]);
    const due = recurringChargesDue(quarterly, { cutoffDate: '2026-04-01', minorDigits: 2 });
    expect(lines(due.charges)).toEqual([['2026-01-01', '2026-03-31', '300.00']]);
    expect(due.billedUntil).toBe('2026-04-01');
  });
});

describe('transaction cut-off date', () => {
  it('charges every period that starts before it, in arrears too', () => {
    // Periods starting before 15 November: October (part) and November.
    const due = recurringChargesDue(feature({ billing: 'arrears' }), {
      cutoffDate: '2026-11-01',
      transactionCutoffDate: '2026-11-15',
      minorDigits: 2,
    });
    expect(lines(due.charges)).toEqual([
      ['2026-10-15', '2026-10-31', '13.71'],
      ['2026-11-01', '2026-11-30', '25.00'],
    ]);
    expect(due.billedUntil).toBe('2026-12-01');
  });

  it('replaces the advance rule: a period starting on the transaction cut-off is not charged', () => {
    const due = recurringChargesDue(feature(), {
      cutoffDate: '2026-11-01',
      transactionCutoffDate: '2026-11-01',
      minorDigits: 2,
    });
    expect(lines(due.charges)).toEqual([['2026-10-15', '2026-10-31', '13.71']]);
    expect(due.billedUntil).toBe('2026-11-01');
    const nextDay = recurringChargesDue(feature(), {
      cutoffDate: '2026-11-01',
      transactionCutoffDate: '2026-11-02',
      minorDigits: 2,
    });
    expect(nextDay.billedUntil).toBe('2026-12-01');
  });

  it('is ignored when null', () => {
    const due = recurringChargesDue(feature(), {
      cutoffDate: '2026-11-01',
      transactionCutoffDate: null,
      minorDigits: 2,
    });
    expect(due.billedUntil).toBe('2026-12-01');
  });

  it('still stops at the end date', () => {
    const due = recurringChargesDue(feature({ endDate: '2026-11-05' }), {
      cutoffDate: '2026-11-01',
      transactionCutoffDate: '2027-03-01',
      minorDigits: 2,
    });
    expect(lines(due.charges)).toEqual([
      ['2026-10-15', '2026-10-31', '13.71'],
      ['2026-11-01', '2026-11-05', '4.17'], // 25 x 5/30 = 4.1666
    ]);
    expect(due.billedUntil).toBe('2026-11-06');
  });
});

describe('chargeThrough', () => {
  it.each([
    // [frequency, billing, cut-off, transaction cut-off, end date, expected]
    ['monthly', 'advance', '2026-11-01', null, null, '2026-12-01'],
    ['monthly', 'advance', '2026-11-30', null, null, '2026-12-01'],
    ['monthly', 'arrears', '2026-11-01', null, null, '2026-11-01'],
    ['monthly', 'arrears', '2026-11-30', null, null, '2026-11-01'],
    ['quarterly', 'advance', '2026-04-01', null, null, '2026-07-01'],
    ['quarterly', 'advance', '2026-03-31', null, null, '2026-04-01'],
    ['quarterly', 'arrears', '2026-06-30', null, null, '2026-04-01'],
    ['annually', 'advance', '2026-01-01', null, null, '2027-01-01'],
    ['annually', 'arrears', '2026-12-31', null, null, '2026-01-01'],
    ['monthly', 'advance', '2026-11-01', null, '2026-11-10', '2026-11-11'],
    ['monthly', 'arrears', '2026-11-20', null, '2026-11-10', '2026-11-11'],
    ['monthly', 'arrears', '2026-11-20', null, '2026-11-20', '2026-11-01'],
    ['monthly', 'arrears', '2026-11-20', null, '2026-10-05', '2026-10-06'],
    ['monthly', 'arrears', '2026-11-01', '2026-11-02', null, '2026-12-01'],
    ['monthly', 'advance', '2026-11-01', '2026-11-01', null, '2026-11-01'],
    ['quarterly', 'arrears', '2026-01-15', '2026-05-15', null, '2026-07-01'],
    ['annually', 'advance', '2026-06-01', '2026-01-01', null, '2026-01-01'],
  ] as const)(
    '%s %s, cut-off %s, transaction cut-off %s, end %s: through %s',
    (frequency, billing, cutoffDate, transactionCutoffDate, endDate, expected) => {
      const f = feature({ frequency, billing, startDate: '2020-01-01', endDate });
      expect(chargeThrough(f, { cutoffDate, transactionCutoffDate, minorDigits: 2 })).toBe(expected);
    },
  );
});

describe('end dates and credits', () => {
  it('credits the unused days when the end date is set after charging in advance', () => {
    // Charged to 1 December; ends 15 November: 16-30 November back, 15/30 of 25.00.
    const due = recurringChargesDue(feature({ billedUntil: '2026-12-01', endDate: '2026-11-15' }), {
      cutoffDate: '2026-12-01',
      minorDigits: 2,
    });
    expect(due.charges).toEqual([
      {
        startDate: '2026-11-16',
        endDate: '2026-11-30',
        value: '-12.50',
        periodStart: '2026-11-01',
        periodEnd: '2026-12-01',
        prorated: true,
        credit: true,
      },
    ]);
    expect(due.billedUntil).toBe('2026-11-16');
    // And nothing after that.
    const after = recurringChargesDue(feature({ billedUntil: '2026-11-16', endDate: '2026-11-15' }), {
      cutoffDate: '2027-01-01',
      minorDigits: 2,
    });
    expect(after).toEqual({ charges: [], billedUntil: '2026-11-16' });
  });

  it('credits whole periods in full and part periods pro rata', () => {
    const due = recurringChargesDue(feature({ billedUntil: '2027-01-01', endDate: '2026-11-15' }), {
      cutoffDate: '2026-11-01',
      minorDigits: 2,
    });
    expect(due.charges.map((c) => [c.startDate, c.endDate, c.value, c.prorated, c.credit])).toEqual([
      ['2026-11-16', '2026-11-30', '-12.50', true, true],
      ['2026-12-01', '2026-12-31', '-25.00', false, true],
    ]);
    expect(due.billedUntil).toBe('2026-11-16');
  });

  it('credits what was charged for the days, when the price has changed since', () => {
    // November and December charged in advance at 25.00 each; the price is now 30.00. Ending on 20 November
    // gives back 10/30 of November's 25.00 (8.33) and December's 25.00, not 30.00's share.
    const charged = [
      { startDate: '2026-11-01', endDate: '2026-11-30', value: '25.000000' },
      { startDate: '2026-12-01', endDate: '2026-12-31', value: '25.000000' },
    ];
    const changed = feature({ recurringValue: '30.00', billedUntil: '2027-01-01', endDate: '2026-11-20' });
    const due = recurringChargesDue(changed, { cutoffDate: '2026-12-01', minorDigits: 2 }, charged);
    expect(lines(due.charges)).toEqual([
      ['2026-11-21', '2026-11-30', '-8.33'],
      ['2026-12-01', '2026-12-31', '-25.00'],
    ]);
    // A part period charged at the old price: 15-31 October for 13.71 (25 x 17/31); ending 20 October gives
    // back 11/17 of it, 8.871 -> 8.87.
    const part = recurringChargesDue(
      feature({ recurringValue: '30.00', billedUntil: '2026-11-01', endDate: '2026-10-20' }),
      { cutoffDate: '2026-11-01', minorDigits: 2 },
      [{ startDate: '2026-10-15', endDate: '2026-10-31', value: '13.71' }],
    );
    expect(lines(part.charges)).toEqual([['2026-10-21', '2026-10-31', '-8.87']]);
    // Charged at the current price, or not kept: the current price's pro rata, as before.
    const same = recurringChargesDue(
      feature({ billedUntil: '2027-01-01', endDate: '2026-11-20' }),
      { cutoffDate: '2026-12-01', minorDigits: 2 },
      charged,
    );
    expect(lines(same.charges)).toEqual(
      lines(
        recurringChargesDue(feature({ billedUntil: '2027-01-01', endDate: '2026-11-20' }), {
          cutoffDate: '2026-12-01',
          minorDigits: 2,
        }).charges,
      ),
    );
  });

  it('credits the unused part of a part period', () => {
    // Charged 15-31 October (13.71); ending 20 October gives 21-31 October back: 25 x 11/31 = 8.870 -> 8.87.
    // What stays charged, 13.71 - 8.87 = 4.84, is 25 x 6/31 = 4.838 rounded.
    const due = recurringChargesDue(feature({ billedUntil: '2026-11-01', endDate: '2026-10-20' }), {
      cutoffDate: '2026-11-01',
      minorDigits: 2,
    });
    expect(lines(due.charges)).toEqual([['2026-10-21', '2026-10-31', '-8.87']]);
  });

  it('credits a quarter', () => {
    // Charged Q4 2026 (92 days) for 90.00; ends 30 November: December (31 days) back, 90 x 31/92 = 30.326 -> 30.33.
    const due = recurringChargesDue(
      feature({
        recurringValue: '90.00',
        frequency: 'quarterly',
        billedUntil: '2027-01-01',
        endDate: '2026-11-30',
      }),
      {
        cutoffDate: '2026-12-01',
        minorDigits: 2,
      },
    );
    expect(due.charges).toEqual([
      {
        startDate: '2026-12-01',
        endDate: '2026-12-31',
        value: '-30.33',
        periodStart: '2026-10-01',
        periodEnd: '2027-01-01',
        prorated: true,
        credit: true,
      },
    ]);
  });

  it('credits nothing when the end date is the last day charged', () => {
    const due = recurringChargesDue(feature({ billedUntil: '2026-12-01', endDate: '2026-11-30' }), {
      cutoffDate: '2026-12-01',
      minorDigits: 2,
    });
    expect(due).toEqual({ charges: [], billedUntil: '2026-12-01' });
  });
});

describe('bounds', () => {
  it('refuses to generate more than 1200 periods at once', () => {
    expect(() =>
      recurringChargesDue(feature({ startDate: '1900-01-01' }), { cutoffDate: '2026-11-01', minorDigits: 2 }),
    ).toThrow(/more than 1200/);
    const century = recurringChargesDue(feature({ startDate: '1926-12-01' }), {
      cutoffDate: '2026-11-01',
      minorDigits: 2,
    });
    expect(century.charges).toHaveLength(1200);
  });
});

// ---------------------------------------------------------------------------------------------------
// Properties, against an independent model in integers: a day is a day number, money is integer minor
// units, a period is computed from (year, month) arithmetic.

const FREQUENCIES: Frequency[] = ['monthly', 'quarterly', 'annually'];
const MODES: BillingMode[] = ['advance', 'arrears'];
const MONTHS: Record<Frequency, number> = { monthly: 1, quarterly: 3, annually: 12 };
const DAY_2020 = toDayNumber('2020-01-01');
const DAY_2032 = toDayNumber('2032-12-31');

function toUnits(value: string, digits: number): bigint {
  const [whole, fraction = ''] = value.replace('-', '').split('.');
  const units = BigInt(whole! + fraction.padEnd(digits, '0'));
  expect(fraction.length).toBe(digits);
  return value.startsWith('-') ? -units : units;
}

function fromUnits(units: bigint, digits: number): string {
  const negative = units < 0n;
  const abs = (negative ? -units : units).toString().padStart(digits + 1, '0');
  const text = digits > 0 ? `${abs.slice(0, -digits)}.${abs.slice(-digits)}` : abs;
  return negative ? `-${text}` : text;
}

/** The model's period [start, end) containing a day, as day numbers. */
function modelPeriod(day: number, frequency: Frequency): [number, number] {
  const date = new Date(day * 86_400_000);
  const months = MONTHS[frequency];
  const startMonth = Math.floor(date.getUTCMonth() / months) * months;
  return [
    Date.UTC(date.getUTCFullYear(), startMonth, 1) / 86_400_000,
    Date.UTC(date.getUTCFullYear(), startMonth + months, 1) / 86_400_000,
  ];
}

/** value x days / periodDays rounded half away from zero, in minor units. */
function modelProRata(valueUnits: bigint, days: number, periodDays: number): bigint {
  const abs = valueUnits < 0n ? -valueUnits : valueUnits;
  const rounded = (abs * BigInt(days) * 2n + BigInt(periodDays)) / (BigInt(periodDays) * 2n);
  return valueUnits < 0n ? -rounded : rounded;
}

const digitsArb = fc.constantFrom(0, 2, 3);
const dayArb = fc.integer({ min: DAY_2020, max: DAY_2032 });

const featureArb = fc
  .record({
    digits: digitsArb,
    valueUnits: fc.bigInt({ min: 0n, max: 10n ** 9n }),
    frequency: fc.constantFrom(...FREQUENCIES),
    billing: fc.constantFrom(...MODES),
    start: fc.integer({ min: DAY_2020, max: toDayNumber('2026-12-31') }),
    lengthDays: fc.option(fc.integer({ min: 0, max: 2000 }), { nil: null }),
  })
  .map(({ digits, valueUnits, frequency, billing, start, lengthDays }) => ({
    digits,
    valueUnits,
    feature: {
      recurringValue: fromUnits(valueUnits, digits),
      frequency,
      billing,
      startDate: fromDayNumber(start),
      endDate: lengthDays === null ? null : fromDayNumber(start + lengthDays),
      billedUntil: null,
    } satisfies RecurringFeature,
  }));

/** Invoices at increasing cut-offs, each maybe with a transaction cut-off near it. */
const invoicesArb = fc
  .array(fc.tuple(dayArb, fc.option(fc.integer({ min: -100, max: 100 }), { nil: null })), {
    minLength: 1,
    maxLength: 12,
  })
  .map((xs) =>
    xs
      .sort((a, b) => a[0] - b[0])
      .map(([cutoff, shift]) => ({
        cutoffDate: fromDayNumber(cutoff),
        transactionCutoffDate: shift === null ? null : fromDayNumber(cutoff + shift),
      })),
  );

/** Checks the model's view of one charge: inside one period, priced pro rata, signed by kind. */
function checkCharge(
  charge: RecurringCharge,
  frequency: Frequency,
  valueUnits: bigint,
  digits: number,
): void {
  const first = toDayNumber(charge.startDate);
  const last = toDayNumber(charge.endDate);
  expect(last).toBeGreaterThanOrEqual(first);
  const [periodStart, periodEnd] = modelPeriod(first, frequency);
  expect(charge.periodStart).toBe(fromDayNumber(periodStart));
  expect(charge.periodEnd).toBe(fromDayNumber(periodEnd));
  expect(last).toBeLessThan(periodEnd); // one period per charge
  const whole = first === periodStart && last === periodEnd - 1;
  expect(charge.prorated).toBe(!whole);
  const units = whole ? valueUnits : modelProRata(valueUnits, last - first + 1, periodEnd - periodStart);
  expect(charge.value).toBe(fromUnits(charge.credit ? -units : units, digits));
  if (charge.credit) expect(charge.value.startsWith('-') || units === 0n).toBe(true);
  else expect(charge.value.startsWith('-')).toBe(false);
}

describe('properties', () => {
  it('successive invoices charge every day from the start date exactly once, with no gaps', () => {
    fc.assert(
      fc.property(featureArb, invoicesArb, ({ digits, valueUnits, feature: f }, invoices) => {
        let billedUntil: IsoDate | null = null;
        let expectedNext = f.startDate; // the first day not yet charged
        const serviceEnd = f.endDate ? addDays(f.endDate, 1) : null;
        for (const invoice of invoices) {
          const due = recurringChargesDue({ ...f, billedUntil }, { ...invoice, minorDigits: digits });
          const through = chargeThrough(f, { ...invoice, minorDigits: digits });
          for (const charge of due.charges) {
            expect(charge.credit).toBe(false); // the end date never moves here, so never a credit
            expect(charge.startDate).toBe(expectedNext); // contiguous: no gap, no overlap
            checkCharge(charge, f.frequency, valueUnits, digits);
            if (serviceEnd) expect(charge.endDate < serviceEnd).toBe(true);
            expectedNext = addDays(charge.endDate, 1);
          }
          if (due.charges.length > 0) {
            expect(due.billedUntil).toBe(expectedNext);
            expect(due.billedUntil).toBe(through);
          } else {
            expect(due.billedUntil).toBe(billedUntil); // unchanged
          }
          // Everything up to the larger of the old position and the target is charged, nothing beyond.
          const target = through > (billedUntil ?? f.startDate) ? through : (billedUntil ?? f.startDate);
          if (target > f.startDate) expect(due.billedUntil).toBe(target);
          billedUntil = due.billedUntil;
        }
        // One more invoice far in the future finishes a feature that has an end date, to the day.
        if (serviceEnd) {
          const final = recurringChargesDue(
            { ...f, billedUntil },
            { cutoffDate: '2040-01-01', minorDigits: digits },
          );
          for (const charge of final.charges) {
            expect(charge.startDate).toBe(expectedNext);
            expectedNext = addDays(charge.endDate, 1);
          }
          expect(expectedNext).toBe(serviceEnd > f.startDate ? serviceEnd : f.startDate);
        }
      }),
      { numRuns: 300 },
    );
  }, 60_000);

  it('with end dates set or moved between invoices, each day ends up charged once up to the end, net of credits', () => {
    fc.assert(
      fc.property(
        featureArb,
        invoicesArb,
        fc.array(fc.option(fc.integer({ min: 0, max: 1500 }), { nil: null }), {
          minLength: 12,
          maxLength: 12,
        }),
        ({ digits, valueUnits, feature: f }, invoices, endShifts) => {
          // net[day] = times charged minus times credited
          const net = new Map<number, number>();
          let current: RecurringFeature = { ...f, endDate: null };
          invoices.forEach((invoice, i) => {
            const shift = endShifts[i];
            if (shift !== null && shift !== undefined)
              current = { ...current, endDate: fromDayNumber(toDayNumber(f.startDate) + shift) };
            const due = recurringChargesDue(current, { ...invoice, minorDigits: digits });
            const credits = due.charges.filter((c) => c.credit);
            expect(credits.length === 0 || credits.length === due.charges.length).toBe(true); // never both in one go
            for (const charge of due.charges) {
              checkCharge(charge, f.frequency, valueUnits, digits);
              for (let d = toDayNumber(charge.startDate); d <= toDayNumber(charge.endDate); d++) {
                net.set(d, (net.get(d) ?? 0) + (charge.credit ? -1 : 1));
              }
            }
            current = { ...current, billedUntil: due.billedUntil };
          });
          // After the last invoice, every day from the start up to billedUntil (capped at the service end) is
          // charged exactly once, and no other day has a charge.
          const start = toDayNumber(f.startDate);
          const until = current.billedUntil ? toDayNumber(current.billedUntil) : start;
          const serviceEnd = current.endDate ? toDayNumber(current.endDate) + 1 : Number.POSITIVE_INFINITY;
          const coveredEnd = Math.max(start, Math.min(until, serviceEnd));
          // A credit pass may be still pending: if billedUntil is beyond the service end, do it now.
          if (until > serviceEnd) {
            const settle = recurringChargesDue(current, { cutoffDate: '2040-01-01', minorDigits: digits });
            for (const charge of settle.charges) {
              expect(charge.credit).toBe(true);
              for (let d = toDayNumber(charge.startDate); d <= toDayNumber(charge.endDate); d++)
                net.set(d, (net.get(d) ?? 0) - 1);
            }
            expect(settle.billedUntil).toBe(fromDayNumber(serviceEnd));
          }
          const wrong: string[] = [];
          for (const [day, count] of net)
            if (count !== (day >= start && day < coveredEnd ? 1 : 0))
              wrong.push(`${fromDayNumber(day)}: ${count}`);
          for (let d = start; d < coveredEnd; d++)
            if (net.get(d) !== 1) wrong.push(`${fromDayNumber(d)}: ${net.get(d) ?? 0}`);
          expect(wrong).toEqual([]);
        },
      ),
      { numRuns: 300 },
    );
  }, 60_000);

  it('a period split at any days sums to the period value within one minor unit per two pieces', () => {
    fc.assert(
      fc.property(
        digitsArb,
        fc.bigInt({ min: 0n, max: 10n ** 9n }),
        fc.constantFrom(...FREQUENCIES),
        dayArb,
        fc.uniqueArray(fc.integer({ min: 1, max: 365 }), { maxLength: 6 }),
        (digits, valueUnits, frequency, anyDay, cuts) => {
          const [periodStart, periodEnd] = modelPeriod(anyDay, frequency);
          const length = periodEnd - periodStart;
          const splits = [...new Set(cuts.map((c) => c % length).filter((c) => c > 0))]
            .sort((a, b) => a - b)
            .map((c) => periodStart + c);
          // Bill the period in pieces: each invoice charges from billedUntil to an end date at the next split
          // (the end date then moves on), and the last piece runs to the end of the period.
          const recurringValue = fromUnits(valueUnits, digits);
          const bounds = [periodStart, ...splits, periodEnd];
          let total = 0n;
          let billedUntil: IsoDate | null = null;
          for (let i = 1; i < bounds.length; i++) {
            const f: RecurringFeature = {
              recurringValue,
              frequency,
              billing: 'advance',
              startDate: fromDayNumber(periodStart),
              endDate: i === bounds.length - 1 ? null : fromDayNumber(bounds[i]! - 1),
              billedUntil,
            };
            const due = recurringChargesDue(f, {
              cutoffDate: fromDayNumber(periodStart),
              minorDigits: digits,
            });
            expect(due.charges).toHaveLength(1);
            expect(due.charges[0]!.startDate).toBe(fromDayNumber(bounds[i - 1]!));
            expect(due.charges[0]!.endDate).toBe(fromDayNumber(bounds[i]! - 1));
            total += toUnits(due.charges[0]!.value, digits);
            billedUntil = due.billedUntil;
          }
          expect(billedUntil).toBe(fromDayNumber(periodEnd));
          const pieces = BigInt(bounds.length - 1);
          const error = total - valueUnits;
          // each piece is off by at most half a minor unit
          expect(2n * (error < 0n ? -error : error) <= pieces).toBe(true);
          if (pieces === 1n) expect(total).toBe(valueUnits);
        },
      ),
      { numRuns: 500 },
    );
  });

  it('one invoice makes one charge per period touched, and periods follow each other', () => {
    fc.assert(
      fc.property(featureArb, dayArb, ({ digits, feature: f }, cutoff) => {
        const due = recurringChargesDue(f, { cutoffDate: fromDayNumber(cutoff), minorDigits: digits });
        if (due.charges.length === 0) return;
        const from = toDayNumber(f.startDate);
        const to = toDayNumber(due.billedUntil!);
        // periods touched by [from, to)
        let periods = 0;
        for (let p = modelPeriod(from, f.frequency)[0]; p < to; p = modelPeriod(p, f.frequency)[1]) periods++;
        expect(due.charges).toHaveLength(periods);
        for (let i = 1; i < due.charges.length; i++) {
          expect(due.charges[i]!.periodStart).toBe(due.charges[i - 1]!.periodEnd);
          expect(due.charges[i]!.startDate).toBe(due.charges[i]!.periodStart); // only the first can start mid-period
        }
        for (let i = 0; i < due.charges.length - 1; i++) {
          expect(addDays(due.charges[i]!.endDate, 1)).toBe(due.charges[i]!.periodEnd); // only the last can end mid-period
        }
        // at most one partial period at each end
        expect(due.charges.filter((c) => c.prorated).length).toBeLessThanOrEqual(2);
        expect(daysBetween(f.startDate, due.billedUntil!)).toBe(
          due.charges.reduce((n, c) => n + daysBetween(c.startDate, c.endDate) + 1, 0),
        );
      }),
      { numRuns: 300 },
    );
  });

  it('advance covers the cut-off period, arrears stops before it, the transaction cut-off takes every period starting before it', () => {
    fc.assert(
      fc.property(
        featureArb,
        dayArb,
        fc.option(dayArb, { nil: null }),
        ({ feature: f }, cutoff, transactionCutoff) => {
          const open = { ...f, endDate: null };
          const through = toDayNumber(
            chargeThrough(open, {
              cutoffDate: fromDayNumber(cutoff),
              transactionCutoffDate: transactionCutoff === null ? null : fromDayNumber(transactionCutoff),
              minorDigits: 2,
            }),
          );
          // `through` is always a period boundary
          expect(modelPeriod(through, f.frequency)[0]).toBe(through);
          if (transactionCutoff !== null) {
            // the last period charged starts before T; the next one does not
            expect(modelPeriod(through - 1, f.frequency)[0]).toBeLessThan(transactionCutoff);
            expect(through).toBeGreaterThanOrEqual(transactionCutoff);
          } else if (f.billing === 'advance') {
            expect(through).toBe(modelPeriod(cutoff, f.frequency)[1]);
          } else {
            expect(through).toBe(modelPeriod(cutoff, f.frequency)[0]);
          }
        },
      ),
      { numRuns: 500 },
    );
  });
});

describe('recurringDueByTerms (a billing batch)', () => {
  // Small pools, so that a batch of features often repeats a set of terms and often differs in one field.
  const termsArb = fc.record({
    recurringValue: fc.constantFrom('25.00', '12.345678', '0.01'),
    frequency: fc.constantFrom<Frequency>('monthly', 'quarterly', 'annually'),
    billing: fc.constantFrom<BillingMode>('advance', 'arrears'),
    startDate: fc.constantFrom<IsoDate>('2026-01-31', '2026-02-15', '2026-10-01'),
    endDate: fc.constantFrom<IsoDate | null>(null, '2026-10-20', '2026-12-31'),
    billedUntil: fc.constantFrom<IsoDate | null>(null, '2026-03-01', '2026-11-01', '2027-01-01'),
  });
  const charged = [{ startDate: '2026-11-01', endDate: '2026-11-30', value: '30.00' }] as const;

  it('answers for each feature exactly what recurringChargesDue answers, sharing the answer of equal terms', () => {
    fc.assert(
      fc.property(
        fc.array(fc.tuple(termsArb, fc.boolean()), { minLength: 1, maxLength: 40 }),
        fc.constantFrom<IsoDate>('2026-11-01', '2026-11-17', '2027-01-01'),
        fc.constantFrom<IsoDate | null>(null, '2026-12-01'),
        fc.constantFrom(0, 2, 3),
        (batch, cutoffDate, transactionCutoffDate, minorDigits) => {
          const options = { cutoffDate, transactionCutoffDate, minorDigits };
          const dueFor = recurringDueByTerms(options);
          const seen = new Map<string, unknown>();
          for (const [f, withCharged] of batch) {
            const given = withCharged ? charged : undefined;
            const due = dueFor({ ...f }, given);
            expect(due).toEqual(recurringChargesDue(f, options, given));
            if (given) continue;
            // The same terms in the same batch: the same answer, worked out once.
            const key = JSON.stringify(f);
            if (seen.has(key)) expect(due).toBe(seen.get(key));
            else seen.set(key, due);
          }
        },
      ),
      { numRuns: 300 },
    );
  });

  it('tells apart features that differ only in where billing resumes, and ignores the start date once billed', () => {
    const dueFor = recurringDueByTerms({ cutoffDate: '2026-11-01', minorDigits: 2 });
    const fresh = dueFor(feature({ startDate: '2026-10-15' }));
    const other = dueFor(feature({ startDate: '2026-10-20' }));
    expect(fresh.charges[0]!.startDate).toBe('2026-10-15');
    expect(other.charges[0]!.startDate).toBe('2026-10-20');
    const billed = dueFor(feature({ startDate: '2026-10-15', billedUntil: '2026-11-01' }));
    expect(dueFor(feature({ startDate: '2026-10-20', billedUntil: '2026-11-01' }))).toBe(billed);
    expect(billed.charges.map((c) => [c.startDate, c.endDate, c.value])).toEqual([
      ['2026-11-01', '2026-11-30', '25.00'],
    ]);
  });
});
