// The payment gateway interface, and the built-in test gateway. Real gateways (Stripe, Adyen…) implement
// the same interface; the card number never reaches the database, only the gateway's reference, the last
// four digits and, when the payer saves the card for an instalment plan, the gateway's card token.
import { createHash, randomBytes } from 'node:crypto';
import { appendFileSync, existsSync, readFileSync } from 'node:fs';
import { money } from '../money/money.ts';

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
  /** Charging "now" (a test gateway decides expiry with it). */
  now: Date;
  /**
   * Ringbill's key for this charge (one per attempt): a gateway answers a repeat of the key with the first
   * charge's result instead of charging again, and findCharge looks the charge up by it after a crash.
   */
  idempotencyKey?: string | undefined;
}

export type ChargeResult =
  | { outcome: 'approved'; reference: string; last4: string; brand: string; cardToken?: string | undefined }
  | {
      outcome: 'declined';
      /** A DeclineReason, or a code of the gateway's own that Ringbill shows as it is. */
      reason: string;
      reference: string | null;
      last4: string | null;
      brand: string | null;
    };

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
  /** Ringbill's key for this refund (one per refund row): a retry never refunds twice. */
  idempotencyKey?: string | undefined;
}

export interface PaymentGateway {
  /** Stored with every attempt and payment ("test", "stripe"…). */
  readonly name: string;
  charge(input: ChargeInput): Promise<ChargeResult>;
  refund(input: RefundInput): Promise<{ reference: string }>;
  /**
   * The charge made with this idempotency key, or null when the gateway never charged with it (what a
   * pending attempt left by a crash is settled with). A gateway without it: such an attempt is refunded
   * only when the charge shows up, never guessed (see payments/resolve-pending.ts).
   */
  findCharge?(idempotencyKey: string): Promise<ChargeResult | null>;
}

/** What each documented test card does. Any future expiry and any 3-digit CVC (4 for Amex) work. */
export const TEST_CARDS: Readonly<
  Record<
    string,
    { brand: string; outcome: 'approved' } | { brand: string; outcome: 'declined'; reason: DeclineReason }
  >
> = {
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

/** One line of the test gateway's own log: what reached the "bank". */
export type TestGatewayEntry =
  | {
      kind: 'charge';
      idempotencyKey: string | null;
      amount: string;
      currency: string;
      result: ChargeResult;
      at: string;
    }
  | {
      kind: 'refund';
      idempotencyKey: string | null;
      chargeReference: string;
      amount: string;
      currency: string;
      reference: string;
      at: string;
    }
  | {
      kind: 'refund_failed';
      idempotencyKey: string | null;
      chargeReference: string;
      amount: string;
      currency: string;
      error: string;
      at: string;
    };

export interface TestGatewayOptions {
  /** The first N refunds fail (a gateway that is down), then refunds succeed. */
  failRefunds?: number;
  /** Runs inside every charge before it answers (tests: a slow gateway, a fault at the worst moment). */
  duringCharge?: (input: ChargeInput) => Promise<void>;
  /** Appends the log to this file (JSON lines) and reads it back, so the log outlives a process (crash tests). */
  logFile?: string;
}

export interface TestGateway extends PaymentGateway {
  /** Every charge and refund that reached the gateway, in order (repeats of an idempotency key are not charges). */
  log(): TestGatewayEntry[];
  /** The approved charges in the log. */
  approvedCharges(): Extract<TestGatewayEntry, { kind: 'charge' }>[];
  refunds(): Extract<TestGatewayEntry, { kind: 'refund' }>[];
}

/**
 * The test gateway. A saved card's token names the test card it stands for (test numbers are public; a real
 * gateway keeps that on its side), so tokens work across restarts. It keeps its own log of charges and
 * refunds (in memory, or in a file), honours idempotency keys as a real gateway does, and can be told to fail.
 */
export function createTestGateway(options: TestGatewayOptions = {}): TestGateway {
  const reference = () => `test_${randomBytes(12).toString('hex')}`;
  const memory: TestGatewayEntry[] = [];
  let refundFailuresLeft = options.failRefunds ?? 0;
  /** Charges being made, by idempotency key: a repeat while the first is running gets the first's answer. */
  const inFlight = new Map<string, Promise<ChargeResult>>();
  const log = (): TestGatewayEntry[] => {
    if (!options.logFile) return [...memory];
    if (!existsSync(options.logFile)) return [];
    return readFileSync(options.logFile, 'utf8')
      .split('\n')
      .filter((line) => line.trim() !== '')
      .map((line) => JSON.parse(line) as TestGatewayEntry);
  };
  const write = (entry: TestGatewayEntry) => {
    if (options.logFile) appendFileSync(options.logFile, `${JSON.stringify(entry)}\n`);
    else memory.push(entry);
  };
  const chargeOnce = async (input: ChargeInput): Promise<ChargeResult> => {
    if (!money(input.amount).greaterThan(0)) throw new Error('test gateway: the amount must be positive');
    let number: string;
    if (input.cardToken !== undefined) {
      if (!input.cardToken.startsWith(TOKEN_PREFIX))
        return { outcome: 'declined', reason: 'card_declined', reference: null, last4: null, brand: null };
      number = Buffer.from(input.cardToken.slice(TOKEN_PREFIX.length).split('.')[0]!, 'base64url').toString(
        'utf8',
      );
      if (!/^\d{12,19}$/.test(number))
        return { outcome: 'declined', reason: 'card_declined', reference: null, last4: null, brand: null };
    } else if (input.card !== undefined) {
      number = cardDigits(input.card.number);
      const last4 = /^\d{4,}$/.test(number) ? number.slice(-4) : null;
      if (!luhnValid(number))
        return { outcome: 'declined', reason: 'invalid_number', reference: null, last4, brand: null };
      const { expiryMonth, expiryYear } = input.card;
      const nowMonth = input.now.getUTCFullYear() * 12 + input.now.getUTCMonth();
      if (
        !Number.isInteger(expiryMonth) ||
        expiryMonth < 1 ||
        expiryMonth > 12 ||
        expiryYear * 12 + (expiryMonth - 1) < nowMonth
      ) {
        return {
          outcome: 'declined',
          reason: 'expired_card',
          reference: reference(),
          last4,
          brand: brandOf(number),
        };
      }
      if (!cvcFits(number, input.card.cvc))
        return {
          outcome: 'declined',
          reason: 'incorrect_cvc',
          reference: reference(),
          last4,
          brand: brandOf(number),
        };
    } else {
      throw new Error('test gateway: a card or a card token is required');
    }
    const last4 = number.slice(-4);
    const known = TEST_CARDS[number];
    if (!known)
      return {
        outcome: 'declined',
        reason: 'card_not_supported',
        reference: reference(),
        last4,
        brand: brandOf(number),
      };
    if (known.outcome === 'declined')
      return { outcome: 'declined', reason: known.reason, reference: reference(), last4, brand: known.brand };
    const fingerprint = createHash('sha256').update(number).digest('base64url').slice(0, 8);
    const cardToken = input.saveCard
      ? `${TOKEN_PREFIX}${Buffer.from(number).toString('base64url')}.${fingerprint}`
      : undefined;
    return { outcome: 'approved', reference: reference(), last4, brand: known.brand, cardToken };
  };
  const findCharge = async (key: string): Promise<ChargeResult | null> => {
    const entry = log().find((e) => e.kind === 'charge' && e.idempotencyKey === key);
    return entry && entry.kind === 'charge' ? entry.result : null;
  };
  return {
    name: 'test',
    async charge(input) {
      const key = input.idempotencyKey;
      if (key !== undefined) {
        const running = inFlight.get(key);
        if (running) return running;
        const earlier = await findCharge(key);
        if (earlier) return earlier;
      }
      const charging = (async () => {
        const result = await chargeOnce(input);
        write({
          kind: 'charge',
          idempotencyKey: key ?? null,
          amount: input.amount,
          currency: input.currency,
          result,
          at: new Date().toISOString(),
        });
        if (options.duringCharge) await options.duringCharge(input);
        return result;
      })();
      if (key === undefined) return charging;
      inFlight.set(key, charging);
      try {
        return await charging;
      } finally {
        inFlight.delete(key);
      }
    },
    async refund(input) {
      if (!input.reference.startsWith('test_'))
        throw new Error(`test gateway: unknown charge ${input.reference}`);
      const key = input.idempotencyKey ?? null;
      if (key !== null) {
        const earlier = log().find((e) => e.kind === 'refund' && e.idempotencyKey === key);
        if (earlier && earlier.kind === 'refund') return { reference: earlier.reference };
      }
      const base = {
        idempotencyKey: key,
        chargeReference: input.reference,
        amount: input.amount,
        currency: input.currency,
        at: new Date().toISOString(),
      };
      if (refundFailuresLeft > 0) {
        refundFailuresLeft--;
        write({ kind: 'refund_failed', ...base, error: 'test gateway: refunds are failing' });
        throw new Error('test gateway: refunds are failing (503)');
      }
      const refundReference = `test_refund_${randomBytes(12).toString('hex')}`;
      write({ kind: 'refund', ...base, reference: refundReference });
      return { reference: refundReference };
    },
    findCharge,
    log,
    approvedCharges: () =>
      log().filter(
        (e): e is Extract<TestGatewayEntry, { kind: 'charge' }> =>
          e.kind === 'charge' && e.result.outcome === 'approved',
      ),
    refunds: () =>
      log().filter((e): e is Extract<TestGatewayEntry, { kind: 'refund' }> => e.kind === 'refund'),
  };
}
