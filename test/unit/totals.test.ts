// Invoice totals from charge groups: category totals, net, VAT per rate rounded half-up once per group,
// reverse charge, and the invariants between them. Examples, then properties against an integer model.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  applyChargeGroups,
  CATEGORY_OF_TYPE,
  CHARGE_CATEGORIES,
  computeInvoiceTotals,
  emptyTotalsState,
  stateFromStoredTotals,
  totalsFromState,
  type ChargeGroup,
  type InvoiceTotals,
  type TotalsState,
} from '../../src/invoices/totals.ts';
import { TRANSACTION_TYPES, type TransactionType } from '../../src/shared/transaction-types.ts';

function group(
  type: TransactionType,
  value: string,
  vatRate = '20',
  callCount = 0,
  callMinutes = 0,
): ChargeGroup {
  return { type, value, vatRate, callCount, callMinutes };
}

const GBP = { minorDigits: 2, reverseCharge: false };

describe('computeInvoiceTotals: examples', () => {
  it('adds 20% VAT to 88.70', () => {
    const totals = computeInvoiceTotals(
      [group('recurring', '50.00'), group('calls', '38.70', '20', 120, 345)],
      GBP,
    );
    expect(totals).toEqual({
      charges: {
        oneOff: '0.00',
        recurring: '50.00',
        calls: '38.70',
        refunds: '0.00',
        late: '0.00',
        interest: '0.00',
        carrierProvided: '0.00',
        manualBilling: '0.00',
        lowUsage: '0.00',
        manual: '0.00',
        discount: '0.00',
      },
      net: '88.70',
      nonCall: '50.00',
      vat: '17.74',
      reverseVat: '0.00',
      total: '106.44',
      callCount: 120,
      callMinutes: 345,
      vatBreakdown: [{ rate: '20', net: '88.70', vat: '17.74' }],
    });
  });

  it('is all zeros for an empty invoice', () => {
    const totals = computeInvoiceTotals([], GBP);
    expect(totals.net).toBe('0.00');
    expect(totals.vat).toBe('0.00');
    expect(totals.reverseVat).toBe('0.00');
    expect(totals.total).toBe('0.00');
    expect(totals.nonCall).toBe('0.00');
    expect(totals.callCount).toBe(0);
    expect(totals.callMinutes).toBe(0);
    expect(totals.vatBreakdown).toEqual([]);
    expect(Object.values(totals.charges)).toEqual(CHARGE_CATEGORIES.map(() => '0.00'));
  });

  it('rounds VAT half away from zero, once per rate group', () => {
    // 10% of 0.25 = 0.025 -> 0.03; 5% of 0.10 = 0.005 -> 0.01; 17.5% of 0.10 = 0.0175 -> 0.02.
    const totals = computeInvoiceTotals(
      [group('oneOff', '0.25', '10'), group('oneOff', '0.10', '5'), group('recurring', '0.10', '17.5')],
      GBP,
    );
    expect(totals.vatBreakdown).toEqual([
      { rate: '5', net: '0.10', vat: '0.01' },
      { rate: '10', net: '0.25', vat: '0.03' },
      { rate: '17.5', net: '0.10', vat: '0.02' },
    ]);
    expect(totals.vat).toBe('0.06');
    expect(totals.total).toBe('0.51');
  });

  it('rounds the VAT of a group, not of each charge in it', () => {
    // Three charges of 0.02 at 20%: per charge 0.004 -> 0.00 each; the group 0.06 -> 0.012 -> 0.01.
    const totals = computeInvoiceTotals(
      [group('oneOff', '0.02'), group('recurring', '0.02'), group('calls', '0.02')],
      GBP,
    );
    expect(totals.vatBreakdown).toEqual([{ rate: '20', net: '0.06', vat: '0.01' }]);
    // 0.05 three times at 10%: the group 0.15 -> 0.015 -> 0.02; rounded apart it would be 0.01 x 3 = 0.03.
    const grouped = computeInvoiceTotals(
      [group('oneOff', '0.05', '10'), group('manual', '0.05', '10'), group('lowUsage', '0.05', '10')],
      GBP,
    );
    expect(grouped.vat).toBe('0.02');
  });

  it('rounds negative VAT away from zero too', () => {
    // A credit note: -0.25 at 10% = -0.025 -> -0.03.
    const totals = computeInvoiceTotals([group('refund', '-0.25', '10')], GBP);
    expect(totals.charges.refunds).toBe('-0.25');
    expect(totals.vatBreakdown).toEqual([{ rate: '10', net: '-0.25', vat: '-0.03' }]);
    expect(totals.total).toBe('-0.28');
  });

  it('treats equal rates written differently as one group', () => {
    // 20 and 20.0000 are the same rate: 0.05 + 0.05 = 0.10 at 20% = 0.02 (apart: 0.01 + 0.01).
    const totals = computeInvoiceTotals(
      [group('oneOff', '0.05', '20'), group('recurring', '0.05', '20.0000')],
      GBP,
    );
    expect(totals.vatBreakdown).toEqual([{ rate: '20', net: '0.10', vat: '0.02' }]);
    // 17.5, 17.50 and 17.500 too: 0.09 x 17.5% = 0.01575 -> 0.02 (three groups would make 0.01 x 3 = 0.03).
    const thirds = computeInvoiceTotals(
      [group('oneOff', '0.03', '17.5'), group('manual', '0.03', '17.50'), group('calls', '0.03', '17.500')],
      GBP,
    );
    expect(thirds.vatBreakdown).toEqual([{ rate: '17.5', net: '0.09', vat: '0.02' }]);
  });

  it('sorts the VAT breakdown by rate as a number, not as text', () => {
    const totals = computeInvoiceTotals(
      [
        group('oneOff', '1.00', '20'),
        group('oneOff', '1.00', '5'),
        group('oneOff', '1.00', '0'),
        group('oneOff', '1.00', '100'),
      ],
      GBP,
    );
    expect(totals.vatBreakdown.map((l) => l.rate)).toEqual(['0', '5', '20', '100']);
    expect(totals.vatBreakdown.map((l) => l.vat)).toEqual(['0.00', '0.05', '0.20', '1.00']);
    expect(totals.vat).toBe('1.25');
  });

  it('reports VAT as reverse VAT for a reverse-charge customer', () => {
    const totals = computeInvoiceTotals([group('recurring', '50.00'), group('calls', '38.70', '20', 3, 7)], {
      minorDigits: 2,
      reverseCharge: true,
    });
    expect(totals.net).toBe('88.70');
    expect(totals.vat).toBe('0.00');
    expect(totals.reverseVat).toBe('17.74');
    expect(totals.total).toBe('88.70');
    expect(totals.vatBreakdown).toEqual([{ rate: '20', net: '88.70', vat: '17.74' }]);
  });

  it('puts each transaction type in its category', () => {
    const groups = TRANSACTION_TYPES.map((type, i) => group(type, `${i + 1}.00`, '0'));
    const totals = computeInvoiceTotals(groups, GBP);
    expect(totals.charges).toEqual({
      oneOff: '1.00',
      recurring: '2.00',
      calls: '3.00',
      refunds: '4.00',
      late: '5.00',
      interest: '6.00',
      carrierProvided: '7.00',
      manualBilling: '8.00',
      lowUsage: '9.00',
      manual: '10.00',
      discount: '11.00',
    });
    expect(totals.net).toBe('66.00');
    expect(totals.nonCall).toBe('63.00');
  });

  it('nets discounts and refunds against charges', () => {
    const totals = computeInvoiceTotals(
      [
        group('recurring', '100.00'),
        group('discount', '-10.00'),
        group('refund', '-5.50'),
        group('calls', '12.34'),
      ],
      GBP,
    );
    expect(totals.net).toBe('96.84');
    expect(totals.nonCall).toBe('84.50');
    expect(totals.vat).toBe('19.37'); // 96.84 x 0.2 = 19.368
    expect(totals.total).toBe('116.21');
  });

  it('never prints negative zero', () => {
    const totals = computeInvoiceTotals(
      [
        group('recurring', '10.00'),
        group('discount', '-10.00'),
        group('refund', '-0.01', '10'),
        group('oneOff', '0.01', '10'),
      ],
      GBP,
    );
    expect(totals.net).toBe('0.00');
    expect(totals.vat).toBe('0.00');
    expect(totals.total).toBe('0.00');
    expect(totals.nonCall).toBe('0.00');
    expect(totals.charges.discount).toBe('-10.00');
  });

  it('lists VAT lines only for rates with a non-zero net', () => {
    const totals = computeInvoiceTotals(
      [group('recurring', '10.00'), group('discount', '-10.00'), group('oneOff', '5.00', '5')],
      GBP,
    );
    expect(totals.vatBreakdown).toEqual([{ rate: '5', net: '5.00', vat: '0.25' }]);
    expect(totals.net).toBe('5.00');
  });

  it('uses the currency minor unit: yen and dinars', () => {
    // JPY: 10% of 105 = 10.5 -> 11; of -105 -> -11.
    const yen = computeInvoiceTotals([group('oneOff', '105', '10')], {
      minorDigits: 0,
      reverseCharge: false,
    });
    expect([yen.net, yen.vat, yen.total]).toEqual(['105', '11', '116']);
    const yenCredit = computeInvoiceTotals([group('refund', '-105', '10')], {
      minorDigits: 0,
      reverseCharge: false,
    });
    expect([yenCredit.net, yenCredit.vat, yenCredit.total]).toEqual(['-105', '-11', '-116']);
    // BHD: 10% of 0.005 = 0.0005 -> 0.001; 20% of 0.125 = 0.025 exactly.
    const dinar = computeInvoiceTotals(
      [group('oneOff', '0.005', '10'), group('calls', '0.125', '20', 1, 2)],
      { minorDigits: 3, reverseCharge: false },
    );
    expect(dinar.vatBreakdown).toEqual([
      { rate: '10', net: '0.005', vat: '0.001' },
      { rate: '20', net: '0.125', vat: '0.025' },
    ]);
    expect([dinar.net, dinar.vat, dinar.total, dinar.nonCall]).toEqual(['0.130', '0.026', '0.156', '0.005']);
  });

  it('sums call counts and minutes', () => {
    const totals = computeInvoiceTotals(
      [group('calls', '1.00', '20', 10, 25), group('calls', '2.00', '0', 5, 7), group('recurring', '3.00')],
      GBP,
    );
    expect(totals.callCount).toBe(15);
    expect(totals.callMinutes).toBe(32);
  });

  it('refuses a charge finer than the minor unit: a programmer error', () => {
    expect(() => computeInvoiceTotals([group('calls', '1.005')], GBP)).toThrow(/finer than the minor unit/);
    expect(() =>
      computeInvoiceTotals([group('calls', '1.5')], { minorDigits: 0, reverseCharge: false }),
    ).toThrow(/finer than the minor unit/);
  });

  it('refuses an unknown transaction type', () => {
    expect(() => computeInvoiceTotals([group('bogus' as TransactionType, '1.00')], GBP)).toThrow(
      /unknown transaction type/,
    );
  });

  it('maps every transaction type to a listed category', () => {
    for (const type of TRANSACTION_TYPES) expect(CHARGE_CATEGORIES).toContain(CATEGORY_OF_TYPE[type]);
    expect(new Set(CHARGE_CATEGORIES).size).toBe(CHARGE_CATEGORIES.length);
  });
});

// ---------------------------------------------------------------------------------------------------
// Properties against a model in integers: values are minor units, rates are ten-thousandths of a percent.

function fromUnits(units: bigint, digits: number): string {
  const negative = units < 0n;
  const abs = (negative ? -units : units).toString().padStart(digits + 1, '0');
  const text = digits > 0 ? `${abs.slice(0, -digits)}.${abs.slice(-digits)}` : abs;
  return negative ? `-${text}` : text;
}

/** A rate of `r` ten-thousandths of a percent, written with `zeros` extra trailing zeros or none at all. */
function rateText(r: number, zeros: number): string {
  const whole = Math.floor(r / 10_000);
  const fraction = String(r % 10_000)
    .padStart(4, '0')
    .replace(/0+$/, '');
  const padded =
    fraction +
    '0'.repeat(fraction === '' ? Math.min(zeros, 4) : Math.max(0, Math.min(zeros, 4 - fraction.length)));
  return padded === '' ? String(whole) : `${whole}.${padded}`;
}

/** round half away from zero of units x r / 1,000,000 (r in ten-thousandths of a percent). */
function modelVat(units: bigint, r: number): bigint {
  const abs = units < 0n ? -units : units;
  const scaled = abs * BigInt(r);
  const rounded = (scaled * 2n + 1_000_000n) / 2_000_000n;
  return units < 0n ? -rounded : rounded;
}

const RATES = [0, 50_000, 100_000, 125_000, 175_000, 200_000, 210_000, 123_456, 1_000_000, 1]; // 0%, 5%, 10%, 12.5%, 17.5%, 20%, 21%, 12.3456%, 100%, 0.0001%

interface ModelGroup {
  type: TransactionType;
  units: bigint;
  rate: number;
  zeros: number;
  callCount: number;
  callMinutes: number;
}

const groupArb = fc.record({
  type: fc.constantFrom(...TRANSACTION_TYPES),
  units: fc.oneof(fc.bigInt({ min: -1000n, max: 1000n }), fc.bigInt({ min: -(10n ** 12n), max: 10n ** 12n })),
  rate: fc.oneof(fc.constantFrom(...RATES), fc.integer({ min: 0, max: 1_000_000 })),
  zeros: fc.integer({ min: 0, max: 4 }),
  callCount: fc.nat({ max: 100_000 }),
  callMinutes: fc.nat({ max: 1_000_000 }),
});

const invoiceArb = fc.record({
  digits: fc.constantFrom(0, 2, 3),
  reverseCharge: fc.boolean(),
  groups: fc.array(groupArb, { maxLength: 25 }),
});

function toChargeGroups(groups: ModelGroup[], digits: number): ChargeGroup[] {
  return groups.map((g) => ({
    type: g.type,
    value: fromUnits(g.units, digits),
    vatRate: rateText(g.rate, g.zeros),
    callCount: g.callCount,
    callMinutes: g.callMinutes,
  }));
}

function amountPattern(digits: number): RegExp {
  return digits === 0 ? /^-?\d+$/ : new RegExp(`^-?\\d+\\.\\d{${digits}}$`);
}

describe('computeInvoiceTotals: properties', () => {
  it('matches an integer model exactly', () => {
    fc.assert(
      fc.property(invoiceArb, ({ digits, reverseCharge, groups }) => {
        const totals = computeInvoiceTotals(toChargeGroups(groups, digits), {
          minorDigits: digits,
          reverseCharge,
        });
        const sumOf = (gs: ModelGroup[]) => gs.reduce((a, g) => a + g.units, 0n);

        // Categories
        for (const category of CHARGE_CATEGORIES) {
          const units = sumOf(groups.filter((g) => CATEGORY_OF_TYPE[g.type] === category));
          expect(totals.charges[category]).toBe(fromUnits(units, digits));
        }
        const net = sumOf(groups);
        expect(totals.net).toBe(fromUnits(net, digits));
        expect(totals.nonCall).toBe(fromUnits(net - sumOf(groups.filter((g) => g.type === 'calls')), digits));

        // VAT per rate group, rounded once per group
        const rates = [...new Set(groups.map((g) => g.rate))]
          .filter((r) => sumOf(groups.filter((g) => g.rate === r)) !== 0n)
          .sort((a, b) => a - b);
        const expectedBreakdown = rates.map((r) => {
          const groupNet = sumOf(groups.filter((g) => g.rate === r));
          return {
            rate: rateText(r, 0),
            net: fromUnits(groupNet, digits),
            vat: fromUnits(modelVat(groupNet, r), digits),
          };
        });
        expect(totals.vatBreakdown).toEqual(expectedBreakdown);
        const vatDue = rates.reduce((a, r) => a + modelVat(sumOf(groups.filter((g) => g.rate === r)), r), 0n);
        expect(totals.vat).toBe(fromUnits(reverseCharge ? 0n : vatDue, digits));
        expect(totals.reverseVat).toBe(fromUnits(reverseCharge ? vatDue : 0n, digits));
        expect(totals.total).toBe(fromUnits(net + (reverseCharge ? 0n : vatDue), digits));

        // Counts
        expect(totals.callCount).toBe(groups.reduce((a, g) => a + g.callCount, 0));
        expect(totals.callMinutes).toBe(groups.reduce((a, g) => a + g.callMinutes, 0));
      }),
      { numRuns: 500 },
    );
  });

  it('keeps its invariants: categories sum to net, net + VAT = total, strings at the minor unit', () => {
    fc.assert(
      fc.property(invoiceArb, ({ digits, reverseCharge, groups }) => {
        const totals = computeInvoiceTotals(toChargeGroups(groups, digits), {
          minorDigits: digits,
          reverseCharge,
        });
        const units = (s: string) => {
          expect(s).toMatch(amountPattern(digits));
          expect(s).not.toMatch(/^-0+(\.0+)?$/); // no negative zero
          return BigInt(s.replace('.', ''));
        };
        const categories = Object.values(totals.charges).reduce((a, s) => a + units(s), 0n);
        expect(categories).toBe(units(totals.net));
        expect(units(totals.net) + units(totals.vat)).toBe(units(totals.total));
        expect(units(totals.nonCall) + units(totals.charges.calls)).toBe(units(totals.net));
        expect(totals.vatBreakdown.reduce((a, l) => a + units(l.net), 0n)).toBe(units(totals.net));
        const lineVat = totals.vatBreakdown.reduce((a, l) => a + units(l.vat), 0n);
        expect(units(reverseCharge ? totals.reverseVat : totals.vat)).toBe(lineVat);
        expect(units(reverseCharge ? totals.vat : totals.reverseVat)).toBe(0n);
        // one line per distinct rate, ascending, canonical spelling
        const rates = totals.vatBreakdown.map((l) => Number(l.rate));
        expect(rates).toEqual([...rates].sort((a, b) => a - b));
        expect(new Set(rates).size).toBe(rates.length);
        for (const line of totals.vatBreakdown) expect(line.rate).toMatch(/^(0|[1-9]\d*)(\.\d*[1-9])?$/);
      }),
      { numRuns: 500 },
    );
  });

  it('does not depend on the order of the groups', () => {
    fc.assert(
      fc.property(invoiceArb, fc.nat(), ({ digits, reverseCharge, groups }, seed) => {
        const chargeGroups = toChargeGroups(groups, digits);
        const shuffled = [...chargeGroups]
          .sort((a, b) => ((a.value.length * 31 + seed) % 7) - ((b.value.length * 31 + seed) % 7))
          .reverse();
        expect(computeInvoiceTotals(shuffled, { minorDigits: digits, reverseCharge })).toEqual(
          computeInvoiceTotals(chargeGroups, { minorDigits: digits, reverseCharge }),
        );
      }),
    );
  });

  it('reverse charge moves VAT to reverse VAT and changes nothing else', () => {
    fc.assert(
      fc.property(invoiceArb, ({ digits, groups }) => {
        const chargeGroups = toChargeGroups(groups, digits);
        const normal = computeInvoiceTotals(chargeGroups, { minorDigits: digits, reverseCharge: false });
        const reverse = computeInvoiceTotals(chargeGroups, { minorDigits: digits, reverseCharge: true });
        expect(reverse.reverseVat).toBe(normal.vat);
        expect(reverse.vat).toBe(fromUnits(0n, digits));
        expect(reverse.total).toBe(reverse.net);
        expect({ ...reverse, vat: undefined, reverseVat: undefined, total: undefined }).toEqual({
          ...normal,
          vat: undefined,
          reverseVat: undefined,
          total: undefined,
        });
      }),
    );
  });

  it('VAT of a group is within half a minor unit of the exact VAT', () => {
    fc.assert(
      fc.property(
        fc.constantFrom(0, 2, 3),
        fc.bigInt({ min: -(10n ** 12n), max: 10n ** 12n }),
        fc.integer({ min: 0, max: 1_000_000 }),
        (digits, units, r) => {
          const totals = computeInvoiceTotals(
            [
              {
                type: 'oneOff',
                value: fromUnits(units, digits),
                vatRate: rateText(r, 0),
                callCount: 0,
                callMinutes: 0,
              },
            ],
            {
              minorDigits: digits,
              reverseCharge: false,
            },
          );
          const vatUnits = BigInt(totals.vat.replace('.', ''));
          // |vat x 1,000,000 - units x r| <= 500,000 (half a unit, scaled)
          const diff = vatUnits * 1_000_000n - units * BigInt(r);
          expect((diff < 0n ? -diff : diff) <= 500_000n).toBe(true);
          if (units !== 0n && r !== 0) expect(vatUnits === 0n || vatUnits < 0n === units < 0n).toBe(true); // same sign
        },
      ),
    );
  });

  it('incremental totals: adding charges and taking some away again equals computing from the rest', () => {
    fc.assert(
      fc.property(
        invoiceArb,
        fc.array(fc.boolean(), { minLength: 25, maxLength: 25 }),
        ({ digits, reverseCharge, groups }, removeMask) => {
          const all = toChargeGroups(groups, digits);
          const removed = all.filter((_, i) => removeMask[i]);
          const kept = all.filter((_, i) => !removeMask[i]);
          const options = { minorDigits: digits, reverseCharge };
          let state = applyChargeGroups(emptyTotalsState(), all, 1, digits);
          state = applyChargeGroups(state, removed, -1, digits);
          expect(totalsFromState(state, options)).toEqual(computeInvoiceTotals(kept, options));
        },
      ),
    );
  });

  it('incremental totals: a state rebuilt from stored totals gives the same totals, and takes further charges', () => {
    /** What recalculate.ts's storedTotalsState does with an invoice row: categories, VAT line nets, counts. */
    const stateFromTotals = (totals: InvoiceTotals, digits: number): TotalsState =>
      stateFromStoredTotals(
        {
          categories: totals.charges,
          vatLines: totals.vatBreakdown,
          callCount: totals.callCount,
          callMinutes: totals.callMinutes,
        },
        digits,
      );
    fc.assert(
      fc.property(
        invoiceArb,
        fc.array(groupArb, { maxLength: 10 }),
        ({ digits, reverseCharge, groups }, more) => {
          const options = { minorDigits: digits, reverseCharge };
          const first = toChargeGroups(groups, digits);
          const stored = computeInvoiceTotals(first, options);
          expect(totalsFromState(stateFromTotals(stored, digits), options)).toEqual(stored);
          const second = toChargeGroups(more, digits);
          const updated = totalsFromState(
            applyChargeGroups(stateFromTotals(stored, digits), second, 1, digits),
            options,
          );
          expect(updated).toEqual(computeInvoiceTotals([...first, ...second], options));
        },
      ),
    );
  });

  it('applyChargeGroups does not change the state it is given', () => {
    const state = applyChargeGroups(emptyTotalsState(), [group('calls', '1.00', '20', 2, 3)], 1, 2);
    const before = totalsFromState(state, GBP);
    applyChargeGroups(state, [group('calls', '5.00', '20', 1, 1), group('oneOff', '2.00', '5')], 1, 2);
    expect(totalsFromState(state, GBP)).toEqual(before);
    expect(before.net).toBe('1.00');
  });

  it('refuses to take away more calls than were added: a programmer error', () => {
    const state = applyChargeGroups(emptyTotalsState(), [group('calls', '1.00', '20', 1, 1)], -1, 2);
    expect(() => totalsFromState(state, GBP)).toThrow(/call counts are never negative/);
  });
});
