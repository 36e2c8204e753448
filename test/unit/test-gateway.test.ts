import { describe, expect, it } from 'vitest';
import { createTestGateway, luhnValid, TEST_CARDS } from '../../src/payments/gateway.ts';

const now = new Date('2026-11-05T12:00:00Z');
const card = (
  number: string,
  extra: Partial<{ expiryMonth: number; expiryYear: number; cvc: string }> = {},
) => ({
  number,
  expiryMonth: 12,
  expiryYear: 2030,
  cvc: '123',
  ...extra,
});

describe('the test gateway', () => {
  const gateway = createTestGateway();

  it('every documented test card passes Luhn and does what the table says', async () => {
    for (const [number, expected] of Object.entries(TEST_CARDS)) {
      expect(luhnValid(number), number).toBe(true);
      const result = await gateway.charge({
        amount: '10.00',
        currency: 'GBP',
        card: card(number, { cvc: number.startsWith('3') ? '1234' : '123' }),
        now,
      });
      expect(result.outcome, number).toBe(expected.outcome);
      if (result.outcome === 'declined' && expected.outcome === 'declined')
        expect(result.reason).toBe(expected.reason);
      expect(result.last4).toBe(number.slice(-4));
    }
  });

  it('declines bad numbers, past expiry and bad CVCs, and unknown cards in test mode', async () => {
    expect(
      await gateway.charge({ amount: '1', currency: 'GBP', card: card('4242424242424241'), now }),
    ).toMatchObject({ outcome: 'declined', reason: 'invalid_number' });
    expect(
      await gateway.charge({
        amount: '1',
        currency: 'GBP',
        card: card('4242 4242 4242 4242', { expiryMonth: 10, expiryYear: 2026 }),
        now,
      }),
    ).toMatchObject({ outcome: 'declined', reason: 'expired_card' });
    expect(
      await gateway.charge({
        amount: '1',
        currency: 'GBP',
        card: card('4242424242424242', { expiryMonth: 11, expiryYear: 2026 }),
        now,
      }),
    ).toMatchObject({ outcome: 'approved' });
    expect(
      await gateway.charge({
        amount: '1',
        currency: 'GBP',
        card: card('4242424242424242', { cvc: '12' }),
        now,
      }),
    ).toMatchObject({ outcome: 'declined', reason: 'incorrect_cvc' });
    expect(
      await gateway.charge({ amount: '1', currency: 'GBP', card: card('4111111111111111'), now }),
    ).toMatchObject({ outcome: 'declined', reason: 'card_not_supported' });
  });

  it("takes a 4-digit security code for Amex and a 3-digit one for the others (the README's card table)", async () => {
    const amex = '378282246310005';
    expect(
      await gateway.charge({ amount: '1', currency: 'GBP', card: card(amex, { cvc: '123' }), now }),
    ).toMatchObject({ outcome: 'declined', reason: 'incorrect_cvc', brand: 'amex' });
    expect(
      await gateway.charge({ amount: '1', currency: 'GBP', card: card(amex, { cvc: '1234' }), now }),
    ).toMatchObject({ outcome: 'approved', brand: 'amex' });
    expect(
      await gateway.charge({
        amount: '1',
        currency: 'GBP',
        card: card('4242424242424242', { cvc: '1234' }),
        now,
      }),
    ).toMatchObject({ outcome: 'declined', reason: 'incorrect_cvc' });
  });

  it('saves a card as a token that charges the same card later', async () => {
    const first = await gateway.charge({
      amount: '5.00',
      currency: 'GBP',
      card: card('4242424242424242'),
      saveCard: true,
      now,
    });
    expect(first.outcome).toBe('approved');
    const token = first.outcome === 'approved' ? first.cardToken! : '';
    expect(token).toMatch(/^tok_test_/);
    expect(token).not.toContain('4242424242424242');
    expect(await gateway.charge({ amount: '5.00', currency: 'GBP', cardToken: token, now })).toMatchObject({
      outcome: 'approved',
      last4: '4242',
    });
    const declining = await gateway.charge({
      amount: '5.00',
      currency: 'GBP',
      card: card('4000000000009995'),
      saveCard: true,
      now,
    });
    expect(declining).toMatchObject({ outcome: 'declined' });
    expect(
      await gateway.charge({ amount: '5.00', currency: 'GBP', cardToken: 'tok_other', now }),
    ).toMatchObject({ outcome: 'declined' });
    const unsaved = await gateway.charge({
      amount: '5.00',
      currency: 'GBP',
      card: card('4242424242424242'),
      now,
    });
    expect(unsaved.outcome === 'approved' && unsaved.cardToken).toBeUndefined();
  });

  it('refunds its own charges only', async () => {
    const charge = await gateway.charge({
      amount: '5.00',
      currency: 'GBP',
      card: card('4242424242424242'),
      now,
    });
    expect(
      (await gateway.refund({ reference: charge.reference!, amount: '5.00', currency: 'GBP' })).reference,
    ).toMatch(/^test_refund_/);
    await expect(gateway.refund({ reference: 'ch_live', amount: '1', currency: 'GBP' })).rejects.toThrow();
  });

  it('keeps its own log, answers a repeated idempotency key with the first charge, and fails refunds when told', async () => {
    const logged = createTestGateway({ failRefunds: 1 });
    const first = await logged.charge({
      amount: '7.00',
      currency: 'GBP',
      card: card('4242424242424242'),
      now,
      idempotencyKey: 'k1',
    });
    const [again, atOnce] = await Promise.all([
      logged.charge({
        amount: '7.00',
        currency: 'GBP',
        card: card('4242424242424242'),
        now,
        idempotencyKey: 'k1',
      }),
      logged.charge({
        amount: '7.00',
        currency: 'GBP',
        card: card('4242424242424242'),
        now,
        idempotencyKey: 'k1',
      }),
    ]);
    expect([again, atOnce]).toEqual([first, first]);
    expect(await logged.findCharge!('k1')).toEqual(first);
    expect(await logged.findCharge!('never')).toBeNull();
    expect(logged.approvedCharges()).toHaveLength(1);
    const reference = first.reference!;
    await expect(
      logged.refund({ reference, amount: '7.00', currency: 'GBP', idempotencyKey: 'r1' }),
    ).rejects.toThrow(/refunds are failing/);
    const refunded = await logged.refund({
      reference,
      amount: '7.00',
      currency: 'GBP',
      idempotencyKey: 'r1',
    });
    expect(await logged.refund({ reference, amount: '7.00', currency: 'GBP', idempotencyKey: 'r1' })).toEqual(
      refunded,
    );
    expect(logged.log().map((e) => e.kind)).toEqual(['charge', 'refund_failed', 'refund']);
    expect(logged.refunds().map((r) => [r.amount, r.chargeReference])).toEqual([['7.00', reference]]);
  });
});
