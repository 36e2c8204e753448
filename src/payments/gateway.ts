// The payment gateway interface, and the built-in test gateway. Real gateways (Stripe, Adyen…) implement
// the same interface; the card number never reaches the database, only the gateway's reference, the last
// four digits and, when the payer saves the card for an instalment plan, the gateway's card token.
import { createHash, randomBytes } from 'node:crypto';
import { money } from '../shared/money.ts';

export interface CardInput {
  number: string;
  expiryMonth: number;
  /** Four digits (2031). */
  expiryYear: number;
  cvc: string;
  name?: string | undefined;
}

export interface ChargeInput {
  /** A positive decimal string in the currency's minor unit. */
  amount: string;
  currency: string;
  /** The card typed in, or a token saved earlier: exactly one. */
  card?: CardInput | undefined;
  cardToken?: string | undefined;
  /** Keep the card for later charges (instalments): an approved charge then returns a cardToken. */
  saveCard?: boolean | undefined;
  description?: string | undefined;
  /**
   * Makes the charge idempotent: a gateway asked again with the same key answers with the first charge's
   * result (its reference) and charges nothing more (Stripe's and Adyen's Idempotency-Key). Ringbill records
   * the key before it charges a saved card, so a process stopped between the charge and its record asks
   * again on retry and records the one charge instead of making a second.
   */
  idempotencyKey?: string | undefined;
  /** Charging "now" (a test gateway decides expiry with it). */
  now: Date;
}

export type ChargeResult =
  | { outcome: 'approved'; reference: string; last4: string; brand: string; cardToken?: string | undefined }
  | { outcome: 'declined'; reason: DeclineReason | string; reference: string | null; last4: string | null; brand: string | null };

export type DeclineReason =
  | 'card_declined'
  | 'insufficient_funds'
  | 'expired_card'
  | 'incorrect_cvc'
  | 'invalid_number'
  | 'card_not_supported'
  | 'processing_error';

export interface RefundInput {
  /** The reference the approved charge returned. */
  reference: string;
  amount: string;
  currency: string;
}

export interface PaymentGateway {
  /** Stored with every attempt and payment ("test", "stripe"…). */
  readonly name: string;
  charge(input: ChargeInput): Promise<ChargeResult>;
  refund(input: RefundInput): Promise<{ reference: string }>;
}

/** What each documented test card does. Any future expiry and any 3-digit CVC (4 for Amex) work. */
export const TEST_CARDS: Readonly<Record<string, { brand: string; outcome: 'approved' } | { brand: string; outcome: 'declined'; reason: DeclineReason }>> = {
  '4242424242424242': { brand: 'visa', outcome: 'approved' },
  '5555555555554444': { brand: 'mastercard', outcome: 'approved' },
  '378282246310005': { brand: 'amex', outcome: 'approved' },
  '4000000000000002': { brand: 'visa', outcome: 'declined', reason: 'card_declined' },
  '4000000000009995': { brand: 'visa', outcome: 'declined', reason: 'insufficient_funds' },
  '4000000000000069': { brand: 'visa', outcome: 'declined', reason: 'expired_card' },
  '4000000000000127': { brand: 'visa', outcome: 'declined', reason: 'incorrect_cvc' },
  '4000000000000119': { brand: 'visa', outcome: 'declined', reason: 'processing_error' },
};

/** The Luhn check every card number passes. */
export function luhnValid(number: string): boolean {
  if (!/^\d{12,19}$/.test(number)) return false;
  let total = 0;
  for (let i = 0; i < number.length; i++) {
    let digit = Number(number[number.length - 1 - i]);
    if (i % 2 === 1) {
      digit *= 2;
      if (digit > 9) digit -= 9;
    }
    total += digit;
  }
  return total % 10 === 0;
}

/** Digits only: "4242 4242-4242 4242" -> "4242424242424242". */
export function cardDigits(number: string): string {
  return number.replace(/[\s-]/g, '');
}

function brandOf(number: string): string {
  if (number.startsWith('4')) return 'visa';
  if (/^5[1-5]/.test(number) || /^2[2-7]/.test(number)) return 'mastercard';
  if (/^3[47]/.test(number)) return 'amex';
  return 'card';
}

/** Amex cards have a 4-digit security code; the others 3 digits. */
export function cvcFits(number: string, cvc: string): boolean {
  return brandOf(number) === 'amex' ? /^\d{4}$/.test(cvc) : /^\d{3}$/.test(cvc);
}

const TOKEN_PREFIX = 'tok_test_';

/**
 * The test gateway: stateless, so it works across restarts and processes. A saved card's token names the
 * test card it stands for (test numbers are public); a real gateway keeps that on its side.
 */
export function createTestGateway(): PaymentGateway {
  return {
    name: 'test',
    async charge(input) {
      // Idempotent with a key, across processes (the gateway is stateless): the answer depends only on the
      // card and the key, so the same key gives the same reference, the one charge.
      const reference = () =>
        input.idempotencyKey === undefined ? `test_${randomBytes(12).toString('hex')}` : `test_${createHash('sha256').update(input.idempotencyKey).digest('hex').slice(0, 24)}`;
      if (!money(input.amount).greaterThan(0)) throw new Error('test gateway: the amount must be positive');
      let number: string;
      if (input.cardToken !== undefined) {
        if (!input.cardToken.startsWith(TOKEN_PREFIX)) return { outcome: 'declined', reason: 'card_declined', reference: null, last4: null, brand: null };
        number = Buffer.from(input.cardToken.slice(TOKEN_PREFIX.length).split('.')[0]!, 'base64url').toString('utf8');
        if (!/^\d{12,19}$/.test(number)) return { outcome: 'declined', reason: 'card_declined', reference: null, last4: null, brand: null };
      } else if (input.card !== undefined) {
        number = cardDigits(input.card.number);
        const last4 = /^\d{4,}$/.test(number) ? number.slice(-4) : null;
        if (!luhnValid(number)) return { outcome: 'declined', reason: 'invalid_number', reference: null, last4, brand: null };
        const { expiryMonth, expiryYear } = input.card;
        const nowMonth = input.now.getUTCFullYear() * 12 + input.now.getUTCMonth();
        if (!Number.isInteger(expiryMonth) || expiryMonth < 1 || expiryMonth > 12 || expiryYear * 12 + (expiryMonth - 1) < nowMonth) {
          return { outcome: 'declined', reason: 'expired_card', reference: reference(), last4, brand: brandOf(number) };
        }
        if (!cvcFits(number, input.card.cvc)) return { outcome: 'declined', reason: 'incorrect_cvc', reference: reference(), last4, brand: brandOf(number) };
      } else {
        throw new Error('test gateway: a card or a card token is required');
      }
      const last4 = number.slice(-4);
      const known = TEST_CARDS[number];
      if (!known) return { outcome: 'declined', reason: 'card_not_supported', reference: reference(), last4, brand: brandOf(number) };
      if (known.outcome === 'declined') return { outcome: 'declined', reason: known.reason, reference: reference(), last4, brand: known.brand };
      const fingerprint = createHash('sha256').update(number).digest('base64url').slice(0, 8);
      const cardToken = input.saveCard ? `${TOKEN_PREFIX}${Buffer.from(number).toString('base64url')}.${fingerprint}` : undefined;
      return { outcome: 'approved', reference: reference(), last4, brand: known.brand, cardToken };
    },
    async refund(input) {
      if (!input.reference.startsWith('test_')) throw new Error(`test gateway: unknown charge ${input.reference}`);
      return { reference: `test_refund_${randomBytes(12).toString('hex')}` };
    },
  };
}
