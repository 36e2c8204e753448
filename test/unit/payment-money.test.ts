import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  paymentFigures,
  principalOfRefund,
  receiptNumberOf,
  refundStatusOf,
} from '../../src/payments/payment-money.ts';
import { fromMinorUnits, money } from '../../src/money/money.ts';

describe("a payment's money", () => {
  it("charges principal + interest, and carries the currency's minor digits", () => {
    expect(
      paymentFigures({ amount: '35.47', interest_amount: '0.14', refunded_amount: '0', currency: 'GBP' }),
    ).toEqual({
      amount: '35.47',
      interest: '0.14',
      charged: '35.61',
      refunded: '0.00',
      refundable: '35.61',
      status: 'paid',
    });
    expect(
      paymentFigures({ amount: '35.47', interest_amount: '0', refunded_amount: '35.47', currency: 'GBP' })
        .status,
    ).toBe('refunded');
    expect(
      paymentFigures({ amount: '35.47', interest_amount: '0.14', refunded_amount: '35.47', currency: 'GBP' }),
    ).toMatchObject({ status: 'partially_refunded', refundable: '0.14' });
    expect(
      paymentFigures({ amount: '500', interest_amount: '0', refunded_amount: '0', currency: 'JPY' }),
    ).toMatchObject({ amount: '500', refunded: '0' });
  });

  it('refunds principal first: the principal parts of any refunds add up to at most the principal', () => {
    expect(principalOfRefund({ amount: '35.47' }, '0', '35.61')).toBe('35.47');
    expect(principalOfRefund({ amount: '35.47' }, '35.47', '0.14')).toBe('0');
    expect(principalOfRefund({ amount: '35.47' }, '30', '1')).toBe('1');
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 100_000 }),
        fc.integer({ min: 0, max: 1000 }),
        fc.array(fc.integer({ min: 1, max: 20_000 }), { maxLength: 8 }),
        (principal, interest, asks) => {
          const amount = fromMinorUnits(BigInt(principal), 2);
          let refunded = 0;
          let principalBack = money(0);
          for (const ask of asks) {
            const refund = Math.min(ask, principal + interest - refunded);
            if (refund <= 0) break;
            principalBack = principalBack.plus(
              principalOfRefund(
                { amount },
                fromMinorUnits(BigInt(refunded), 2),
                fromMinorUnits(BigInt(refund), 2),
              ),
            );
            refunded += refund;
          }
          expect(principalBack.lessThanOrEqualTo(amount)).toBe(true);
          // Everything refunded: the whole principal went back.
          if (refunded === principal + interest) expect(principalBack.equals(amount)).toBe(true);
          else
            expect(principalBack.equals(fromMinorUnits(BigInt(Math.min(refunded, principal)), 2))).toBe(true);
        },
      ),
    );
  });
});

describe("a payment's refunds and receipt number", () => {
  it('shows the worst refund status: failed > failed_retrying > pending > succeeded; none is null', () => {
    expect(refundStatusOf([])).toBeNull();
    expect(refundStatusOf([{ status: 'succeeded' }])).toBe('succeeded');
    expect(refundStatusOf([{ status: 'succeeded' }, { status: 'pending' }])).toBe('pending');
    expect(
      refundStatusOf([{ status: 'pending' }, { status: 'failed_retrying' }, { status: 'succeeded' }]),
    ).toBe('failed_retrying');
    expect(refundStatusOf([{ status: 'failed' }, { status: 'failed_retrying' }])).toBe('failed');
  });

  it('has one receipt number, its id', () => {
    expect(receiptNumberOf({ id: 42 })).toBe('42');
  });
});
