// Discount plan rules: examples worked by hand, then properties — a discount never exceeds what it
// discounts (per line type and per VAT rate), the VAT split sums to the whole, nothing is positive, and
// parsing refuses what it cannot apply.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  type DiscountableLine,
  type DiscountRule,
  discountLines,
  parseDiscountRules,
} from '../../src/discounts/rules.ts';
import { money, sum } from '../../src/money/money.ts';

const calls = (value: string, minutes: number, destination: string, vatRate = '20'): DiscountableLine => ({
  type: 'calls',
  value,
  vatRate,
  callMinutes: minutes,
  destination,
});
const charge = (type: DiscountableLine['type'], value: string, vatRate = '20'): DiscountableLine => ({
  type,
  value,
  vatRate,
  callMinutes: 0,
  destination: null,
});

describe('discountLines: examples', () => {
  it('gives the dearest minutes free first, pro rata within a line', () => {
    const lines = [calls('1.00', 100, 'UK'), calls('6.00', 50, 'UK mobile')];
    // 60 free minutes: all 50 mobile minutes (6.00), then 10 UK minutes at 0.01 (0.10).
    expect(discountLines([{ kind: 'freeMinutes', minutes: 60 }], lines, 2)).toEqual([
      { description: 'Discount: 60 free minutes', value: '-6.10', vatRate: '20' },
    ]);
  });

  it('limits free minutes to the destinations named', () => {
    const lines = [calls('1.00', 100, 'UK'), calls('6.00', 50, 'UK mobile')];
    expect(
      discountLines([{ kind: 'freeMinutes', minutes: 1000, destinations: ['UK mobile'] }], lines, 2),
    ).toEqual([{ description: 'Discount: 1000 free minutes (UK mobile)', value: '-6.00', vatRate: '20' }]);
  });

  it('splits a discount by VAT rate and rounds once per rate', () => {
    const lines = [
      charge('recurring', '10.05', '20'),
      charge('recurring', '10.05', '0'),
      charge('recurring', '0.05', '20'),
    ];
    // 10% of 10.05 + 0.05 at 20% = 1.01; 10% of 10.05 at 0% = 1.005 -> 1.01.
    expect(discountLines([{ kind: 'percentOff', percent: '10', type: 'recurring' }], lines, 2)).toEqual([
      { description: 'Discount: 10% off recurring charges', value: '-1.01', vatRate: '20' },
      { description: 'Discount: 10% off recurring charges', value: '-1.01', vatRate: '0' },
    ]);
  });

  it('a money allowance on a type takes what is there, no more', () => {
    const lines = [charge('oneOff', '3.00'), charge('recurring', '25.00'), charge('oneOff', '4.50')];
    expect(discountLines([{ kind: 'freeAmount', amount: '5.00', type: 'oneOff' }], lines, 2)).toEqual([
      { description: 'Discount: 5.00 allowance on oneOff charges', value: '-5.00', vatRate: '20' },
    ]);
    expect(discountLines([{ kind: 'freeAmount', amount: '50', type: 'oneOff' }], lines, 2)[0]!.value).toBe(
      '-7.50',
    );
  });

  it('overlapping rules apply to what earlier rules left: 100% off and then an allowance give 100%, not 200%', () => {
    const lines = [charge('recurring', '25.00')];
    const out = discountLines(
      [
        { kind: 'percentOff', percent: '100', type: 'recurring' },
        { kind: 'freeAmount', amount: '10.00', type: 'recurring' },
      ],
      lines,
      2,
    );
    expect(out).toEqual([
      { description: 'Discount: 100% off recurring charges', value: '-25.00', vatRate: '20' },
    ]);
  });

  it('ignores credits and lines of other types; nothing to discount gives no line', () => {
    expect(
      discountLines(
        [{ kind: 'percentOff', percent: '50', type: 'calls' }],
        [charge('refund', '-5.00'), charge('recurring', '5.00')],
        2,
      ),
    ).toEqual([]);
  });

  it('works in currencies without a minor unit', () => {
    expect(
      discountLines(
        [{ kind: 'percentOff', percent: '15', type: 'recurring' }],
        [charge('recurring', '1001')],
        0,
      ),
    ).toEqual([{ description: 'Discount: 15% off recurring charges', value: '-150', vatRate: '20' }]);
  });
});

describe('parseDiscountRules', () => {
  it('keeps valid rules in a canonical form', () => {
    expect(
      parseDiscountRules([
        { kind: 'freeAmount', amount: '10' },
        { kind: 'percentOff', percent: '12.5', type: 'recurring', description: 'Loyalty' },
      ]),
    ).toEqual([
      { kind: 'freeAmount', amount: '10', type: 'calls' },
      { kind: 'percentOff', percent: '12.5', type: 'recurring', description: 'Loyalty' },
    ]);
  });

  it.each([
    [[]],
    ['x'],
    [[null]],
    [[{ kind: 'unknown' }]],
    [[{ kind: 'freeMinutes', minutes: 0 }]],
    [[{ kind: 'freeMinutes', minutes: 1.5 }]],
    [[{ kind: 'freeAmount', amount: '-1' }]],
    [[{ kind: 'freeAmount', amount: '1', type: 'discount' }]],
    [[{ kind: 'percentOff', percent: '0', type: 'calls' }]],
    [[{ kind: 'percentOff', percent: '100.01', type: 'calls' }]],
    [[{ kind: 'percentOff', percent: '10', type: 'calls', destinations: ['UK'] }]],
    [[{ kind: 'freeMinutes', minutes: 5, destinations: 'UK' }]],
    [Array.from({ length: 21 }, () => ({ kind: 'freeMinutes', minutes: 1 }))],
  ])('refuses %j', (input) => {
    expect(() => parseDiscountRules(input)).toThrow(expect.objectContaining({ code: 'invalid_input' }));
  });
});

// ---- properties

const RATES = ['20', '5', '0'];
const TYPES = ['calls', 'recurring', 'oneOff', 'refund'] as const;
const cents = fc.integer({ min: -5000, max: 500_000 });
const lineArb = fc
  .record({
    type: fc.constantFrom(...TYPES),
    cents,
    vatRate: fc.constantFrom(...RATES),
    minutes: fc.integer({ min: 0, max: 5000 }),
    destination: fc.constantFrom('UK', 'UK mobile', 'France', null),
  })
  .map((r): DiscountableLine => ({
    type: r.type,
    value: (r.type === 'refund' ? -Math.abs(r.cents) / 100 : r.cents / 100).toFixed(2),
    vatRate: r.vatRate,
    callMinutes: r.type === 'calls' ? r.minutes : 0,
    destination: r.type === 'calls' ? r.destination : null,
  }));
const ruleArb: fc.Arbitrary<DiscountRule> = fc.oneof(
  fc
    .record({
      kind: fc.constant('freeMinutes' as const),
      minutes: fc.integer({ min: 1, max: 10_000 }),
      destinations: fc.option(fc.subarray(['UK', 'France']), { nil: undefined }),
    })
    .map((r) => (r.destinations ? r : { kind: r.kind, minutes: r.minutes })),
  fc.record({
    kind: fc.constant('freeAmount' as const),
    amount: fc.integer({ min: 1, max: 1_000_000 }).map((c) => (c / 100).toFixed(2)),
    type: fc.constantFrom('calls', 'recurring', 'oneOff') as fc.Arbitrary<'calls'>,
  }),
  fc.record({
    kind: fc.constant('percentOff' as const),
    percent: fc.integer({ min: 1, max: 1_000_000 }).map((p) => (p / 10_000).toString()),
    type: fc.constantFrom('calls', 'recurring', 'oneOff') as fc.Arbitrary<'calls'>,
  }),
);

describe('discountLines: properties', () => {
  const positiveAt = (lines: DiscountableLine[], pred: (l: DiscountableLine) => boolean) =>
    sum(lines.filter((l) => pred(l) && money(l.value).isPositive()).map((l) => money(l.value)));

  it('never exceeds the charges, per VAT rate and in all; every line is a credit at the minor unit', () => {
    fc.assert(
      fc.property(
        fc.array(lineArb, { maxLength: 12 }),
        fc.array(ruleArb, { minLength: 1, maxLength: 5 }),
        (lines, rules) => {
          const out = discountLines(rules, lines, 2);
          for (const d of out) {
            expect(money(d.value).isNegative()).toBe(true);
            expect(money(d.value).decimalPlaces()).toBeLessThanOrEqual(2);
          }
          for (const rate of RATES) {
            const given = sum(out.filter((d) => d.vatRate === rate).map((d) => money(d.value).negated()));
            expect(given.lessThanOrEqualTo(positiveAt(lines, (l) => l.vatRate === rate))).toBe(true);
          }
          const total = sum(out.map((d) => money(d.value).negated()));
          expect(total.lessThanOrEqualTo(positiveAt(lines, () => true))).toBe(true);
        },
      ),
      { numRuns: 500 },
    );
  });

  it('one rule discounts only its own type, and at most its allowance or percentage', () => {
    fc.assert(
      fc.property(fc.array(lineArb, { maxLength: 12 }), ruleArb, (lines, rule) => {
        const out = discountLines([rule], lines, 2);
        const total = sum(out.map((d) => money(d.value).negated()));
        const type = rule.kind === 'freeMinutes' ? 'calls' : rule.type;
        const ofType = positiveAt(lines, (l) => l.type === type);
        expect(total.lessThanOrEqualTo(ofType)).toBe(true);
        if (rule.kind === 'freeAmount') expect(total.lessThanOrEqualTo(money(rule.amount))).toBe(true);
        if (rule.kind === 'percentOff') {
          // Rounded once per rate: at most half a minor unit per rate above the exact percentage.
          const exact = ofType.times(rule.percent).dividedBy(100);
          expect(total.minus(exact).abs().lessThanOrEqualTo(money('0.005').times(RATES.length))).toBe(true);
        }
      }),
      { numRuns: 500 },
    );
  });

  it('the VAT split sums to the discount worked out on all rates at once (within rounding)', () => {
    fc.assert(
      fc.property(
        fc.array(lineArb, { maxLength: 12 }),
        fc.integer({ min: 1, max: 1_000_000 }),
        (lines, p) => {
          const percent = (p / 10_000).toString();
          const split = discountLines([{ kind: 'percentOff', percent, type: 'recurring' }], lines, 2);
          const whole = discountLines(
            [{ kind: 'percentOff', percent, type: 'recurring' }],
            lines.map((l) => ({ ...l, vatRate: '20' })),
            2,
          );
          const splitTotal = sum(split.map((d) => money(d.value)));
          const wholeTotal = sum(whole.map((d) => money(d.value)));
          expect(
            splitTotal.minus(wholeTotal).abs().lessThanOrEqualTo(money('0.01').times(RATES.length)),
          ).toBe(true);
          expect(new Set(split.map((d) => d.vatRate)).size).toBe(split.length);
        },
      ),
      { numRuns: 300 },
    );
  });
});
