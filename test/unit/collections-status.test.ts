import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  invoiceStatus,
  outstandingOf,
  overallStatus,
  OVERALL_STATUSES,
  type InvoiceStatus,
} from '../../src/collections/status.ts';

const NOW = new Date('2026-11-05T12:00:00Z');
const FUTURE = new Date('2026-12-01T00:00:00Z');
const fresh = { expiresAt: FUTURE, cancelledAt: null, visits: 0, hasActivePlan: false };

describe('invoiceStatus', () => {
  it.each([
    [{ owed: '100.00', paidNet: '0', refunded: '0' }, false, 'not_paid'],
    [{ owed: '100.00', paidNet: '0', refunded: '0' }, true, 'registered'],
    [{ owed: '100.00', paidNet: '40.00', refunded: '0' }, true, 'partially_paid'],
    [{ owed: '100.00', paidNet: '99.99', refunded: '0' }, false, 'partially_paid'],
    [{ owed: '100.00', paidNet: '100.00', refunded: '0' }, false, 'paid'],
    [{ owed: '100.00', paidNet: '90.00', refunded: '10.00' }, false, 'partially_refunded'],
    [{ owed: '100.00', paidNet: '0.00', refunded: '100.00' }, false, 'refunded'],
    [{ owed: '100.00', paidNet: '0.00', refunded: '40.00' }, false, 'refunded'],
  ] as const)('%j (plan %s) is %s', (figures, plan, expected) => {
    expect(invoiceStatus(figures, plan)).toBe(expected);
  });
});

describe('overallStatus', () => {
  it('sent, then clicked, then expired; money states win over link states', () => {
    expect(overallStatus('not_paid', fresh, NOW)).toBe('sent');
    expect(overallStatus('not_paid', { ...fresh, visits: 3 }, NOW)).toBe('clicked');
    expect(overallStatus('not_paid', { ...fresh, visits: 3 }, FUTURE)).toBe('expired');
    expect(overallStatus('not_paid', { ...fresh, cancelledAt: NOW }, NOW)).toBe('expired');
    expect(overallStatus('partially_paid', { ...fresh, visits: 1 }, FUTURE)).toBe('partially_paid');
    expect(overallStatus('paid', { ...fresh, visits: 1 }, FUTURE)).toBe('paid');
    expect(overallStatus('partially_paid', { ...fresh, hasActivePlan: true }, NOW)).toBe('plan');
    expect(overallStatus('registered', { ...fresh, hasActivePlan: true }, FUTURE)).toBe('plan');
    expect(overallStatus('refunded', { ...fresh, hasActivePlan: true }, NOW)).toBe('refunded');
  });

  it("always answers one of the document's values, and paid/refund states pass through", () => {
    const statuses: InvoiceStatus[] = [
      'not_paid',
      'partially_paid',
      'paid',
      'refunded',
      'partially_refunded',
      'registered',
    ];
    fc.assert(
      fc.property(
        fc.constantFrom(...statuses),
        fc.nat(5),
        fc.boolean(),
        fc.boolean(),
        fc.integer({ min: -10, max: 10 }),
        (status, visits, plan, cancelled, days) => {
          const out = overallStatus(
            status,
            {
              expiresAt: new Date(NOW.getTime() + days * 86_400_000),
              cancelledAt: cancelled ? NOW : null,
              visits,
              hasActivePlan: plan,
            },
            NOW,
          );
          expect(OVERALL_STATUSES).toContain(out);
          if (status === 'paid' || status === 'refunded' || status === 'partially_refunded')
            expect(out).toBe(status);
        },
      ),
    );
  });
});

describe('outstandingOf', () => {
  it('is owed minus paid, exactly, never negative', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 10_000_000 }),
        fc.integer({ min: 0, max: 20_000_000 }),
        (owedMinor, paidMinor) => {
          const owed = (owedMinor / 100).toFixed(2);
          const paid = (paidMinor / 100).toFixed(2);
          const left = outstandingOf({ owed, paidNet: paid });
          const expected = Math.max(owedMinor - paidMinor, 0);
          expect(Math.round(Number(left) * 100)).toBe(expected);
        },
      ),
    );
    expect(outstandingOf({ owed: '0.3', paidNet: '0.1' })).toBe('0.2');
  });
});
