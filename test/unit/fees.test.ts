// Fees: late fees once per overdue invoice, simple interest by day, the low-usage shortfall and the manual
// billing fee. Examples worked by hand, then properties (interest is additive over split periods within
// rounding, the low-usage fee lifts the net exactly to the minimum, nothing is negative).
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  type FeeSettings,
  lowUsageFee,
  manualBillingFee,
  type OverdueInvoice,
  overdueFees,
} from '../../src/fees/fees.ts';
import { addDays, daysBetween } from '../../src/shared/dates.ts';
import { money } from '../../src/money/money.ts';

const NONE: FeeSettings = {
  lateFee: null,
  interestRate: null,
  lowUsageMinimum: null,
  manualBillingFee: null,
};
const overdue = (o: Partial<OverdueInvoice> = {}): OverdueInvoice => ({
  id: 7,
  number: 'INV7',
  outstanding: '120.00',
  dueDate: '2026-10-01',
  lateFeeCharged: false,
  interestUntil: null,
  ...o,
});

describe('overdueFees', () => {
  it('charges a late fee once, and interest by day from the day after the due date', () => {
    const fees = overdueFees([overdue()], { ...NONE, lateFee: '5', interestRate: '8' }, '2026-11-01', 2);
    // Interest: 120.00 x 8% x 30/365 = 0.789041… -> 0.79 (2 October to 31 October).
    expect(fees).toEqual([
      {
        type: 'lateFee',
        description: 'Late payment fee: invoice INV7 was due 2026-10-01',
        value: '5.00',
        sourceInvoiceId: 7,
        startDate: null,
        endDate: null,
      },
      {
        type: 'interest',
        description: 'Interest at 8% a year on 120.00 overdue on invoice INV7, 30 days',
        value: '0.79',
        sourceInvoiceId: 7,
        startDate: '2026-10-02',
        endDate: '2026-10-31',
      },
    ]);
    expect(
      overdueFees(
        [overdue({ lateFeeCharged: true, interestUntil: '2026-11-01' })],
        { ...NONE, lateFee: '5', interestRate: '8' },
        '2026-11-01',
        2,
      ),
    ).toEqual([]);
  });

  it('words the rate and the amount as people read them, not as the database keeps them', () => {
    const [interest] = overdueFees(
      [overdue({ outstanding: '120', interestUntil: null, lateFeeCharged: true })],
      { ...NONE, interestRate: '12.0000' },
      '2026-11-01',
      2,
    );
    expect(interest!.description).toBe('Interest at 12% a year on 120.00 overdue on invoice INV7, 30 days');
  });

  it('nothing for invoices not yet overdue at the cut-off, or paid', () => {
    const settings = { ...NONE, lateFee: '5', interestRate: '8' };
    expect(overdueFees([overdue({ dueDate: '2026-11-01' })], settings, '2026-11-01', 2)).toEqual([]);
    expect(overdueFees([overdue({ outstanding: '0.00' })], settings, '2026-11-01', 2)).toEqual([]);
    expect(overdueFees([overdue()], NONE, '2026-11-01', 2)).toEqual([]);
  });
});

describe('lowUsageFee and manualBillingFee', () => {
  it('charges the shortfall below the minimum spend', () => {
    expect(lowUsageFee('7.30', { ...NONE, lowUsageMinimum: '10' }, 2)).toMatchObject({
      type: 'lowUsage',
      value: '2.70',
    });
    expect(lowUsageFee('7.30', { ...NONE, lowUsageMinimum: '50.000000' }, 2)).toMatchObject({
      description: 'Low usage fee: minimum spend 50.00',
    });
    expect(lowUsageFee('10.00', { ...NONE, lowUsageMinimum: '10' }, 2)).toBeUndefined();
    expect(lowUsageFee('-5.00', { ...NONE, lowUsageMinimum: '10' }, 2)).toMatchObject({ value: '15.00' });
    expect(lowUsageFee('1.00', NONE, 2)).toBeUndefined();
  });

  it('charges the manual billing fee to customers billed by post only', () => {
    expect(manualBillingFee(true, { ...NONE, manualBillingFee: '1.5' }, 2)).toMatchObject({
      type: 'manualBilling',
      value: '1.50',
    });
    expect(manualBillingFee(false, { ...NONE, manualBillingFee: '1.5' }, 2)).toBeUndefined();
    expect(manualBillingFee(true, NONE, 2)).toBeUndefined();
  });
});

const centsArb = (max: number) => fc.integer({ min: 1, max }).map((c) => (c / 100).toFixed(2));
const dateArb = fc.integer({ min: 0, max: 3000 }).map((d) => addDays('2024-01-01', d));

describe('properties', () => {
  it('interest over a period equals interest over its two halves, within a minor unit per split', () => {
    fc.assert(
      fc.property(
        centsArb(10_000_000),
        fc.integer({ min: 1, max: 3000 }).map((r) => (r / 100).toString()),
        dateArb,
        fc.integer({ min: 2, max: 400 }),
        fc.integer({ min: 1, max: 399 }),
        (outstanding, rate, dueDate, length, splitAt) => {
          fc.pre(splitAt < length);
          const settings = { ...NONE, interestRate: rate };
          const cutoff = addDays(dueDate, length + 1);
          const middle = addDays(dueDate, splitAt + 1);
          const one = overdueFees([overdue({ outstanding, dueDate })], settings, cutoff, 2);
          const first = overdueFees([overdue({ outstanding, dueDate })], settings, middle, 2);
          const second = overdueFees(
            [overdue({ outstanding, dueDate, interestUntil: middle })],
            settings,
            cutoff,
            2,
          );
          const total = (fees: typeof one) => fees.reduce((s, f) => s.plus(f.value), money(0));
          expect(total(first).plus(total(second)).minus(total(one)).abs().lessThanOrEqualTo('0.01')).toBe(
            true,
          );
          const exact = money(outstanding)
            .times(rate)
            .dividedBy(100)
            .times(daysBetween(addDays(dueDate, 1), cutoff))
            .dividedBy(365);
          expect(total(one).minus(exact).abs().lessThanOrEqualTo('0.005')).toBe(true);
          for (const f of [...one, ...first, ...second]) expect(money(f.value).greaterThan(0)).toBe(true);
        },
      ),
      { numRuns: 300 },
    );
  });

  it('the low-usage fee lifts the net exactly to the minimum, and is never negative', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: -100_000, max: 100_000 }),
        fc.integer({ min: 1, max: 100_000 }),
        (netCents, minCents) => {
          const net = (netCents / 100).toFixed(2);
          const minimum = (minCents / 100).toFixed(2);
          const fee = lowUsageFee(net, { ...NONE, lowUsageMinimum: minimum }, 2);
          if (netCents >= minCents) expect(fee).toBeUndefined();
          else {
            expect(money(fee!.value).greaterThan(0)).toBe(true);
            expect(money(net).plus(fee!.value).equals(money(minimum))).toBe(true);
          }
        },
      ),
    );
  });
});
