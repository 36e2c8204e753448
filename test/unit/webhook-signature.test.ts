import { createHmac } from 'node:crypto';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  computeSignature,
  generateWebhookSecret,
  parseSignatureHeader,
  signatureHeader,
  verifyWebhookSignature,
} from '../../src/webhooks/signature.ts';

const secret = 'whsec_test_secret';
const body = '{"id":"evt_0123","type":"invoice.paid","data":{"total":"106.44"}}';
const t = 1_767_225_600; // 2026-01-01T00:00:00Z
const at = new Date(t * 1000);

describe('webhook signatures', () => {
  it('is the hex HMAC-SHA256 of "t.body" keyed with the whole secret', () => {
    const expected = createHmac('sha256', secret).update(`${t}.${body}`).digest('hex');
    expect(computeSignature(secret, t, body)).toBe(expected);
    expect(signatureHeader([secret], t, body)).toBe(`t=${t},v1=${expected}`);
    // A fixed vector, so a change of scheme cannot pass unnoticed.
    expect(computeSignature('whsec_abc', 1700000000, '{}')).toBe(
      createHmac('sha256', 'whsec_abc').update('1700000000.{}').digest('hex'),
    );
  });

  it('verifies what it signs, from a string or the raw bytes', () => {
    const header = signatureHeader([secret], t, body);
    expect(verifyWebhookSignature(body, header, secret, { now: at })).toBe(true);
    expect(verifyWebhookSignature(Buffer.from(body), header, secret, { now: at })).toBe(true);
  });

  it('refuses another body, another secret, a missing or malformed header', () => {
    const header = signatureHeader([secret], t, body);
    expect(verifyWebhookSignature(body.replace('106.44', '1.00'), header, secret, { now: at })).toBe(false);
    expect(verifyWebhookSignature(body, header, 'whsec_other', { now: at })).toBe(false);
    expect(verifyWebhookSignature(body, undefined, secret, { now: at })).toBe(false);
    expect(verifyWebhookSignature(body, '', secret, { now: at })).toBe(false);
    expect(verifyWebhookSignature(body, 'v1=abc', secret, { now: at })).toBe(false);
    expect(verifyWebhookSignature(body, `t=${t}`, secret, { now: at })).toBe(false);
    expect(verifyWebhookSignature(body, `t=${t},v1=${'0'.repeat(64)}`, secret, { now: at })).toBe(false);
  });

  it('refuses a timestamp outside the tolerance (a replayed old request), either way', () => {
    const header = signatureHeader([secret], t, body);
    expect(verifyWebhookSignature(body, header, secret, { now: new Date((t + 300) * 1000) })).toBe(true);
    expect(verifyWebhookSignature(body, header, secret, { now: new Date((t + 301) * 1000) })).toBe(false);
    expect(verifyWebhookSignature(body, header, secret, { now: new Date((t - 301) * 1000) })).toBe(false);
    expect(
      verifyWebhookSignature(body, header, secret, {
        now: new Date((t + 3600) * 1000),
        toleranceSeconds: 3600,
      }),
    ).toBe(true);
  });

  it('accepts either signature while a rotated secret is in its grace period', () => {
    const header = signatureHeader(['whsec_new', 'whsec_old'], t, body);
    expect(parseSignatureHeader(header)?.signatures).toHaveLength(2);
    expect(verifyWebhookSignature(body, header, 'whsec_new', { now: at })).toBe(true);
    expect(verifyWebhookSignature(body, header, 'whsec_old', { now: at })).toBe(true);
    expect(verifyWebhookSignature(body, header, 'whsec_third', { now: at })).toBe(false);
  });

  it('skips unknown schemes and spaces in the header', () => {
    const v1 = computeSignature(secret, t, body);
    expect(verifyWebhookSignature(body, `t=${t}, v0=zzz, v1=${v1}`, secret, { now: at })).toBe(true);
  });

  it('makes distinct secrets of 32 random bytes', () => {
    const a = generateWebhookSecret();
    const b = generateWebhookSecret();
    expect(a).toMatch(/^whsec_[A-Za-z0-9_-]{43}$/);
    expect(a).not.toBe(b);
  });

  it('property: any body verifies with its own secret and fails with any change to it', () => {
    fc.assert(
      fc.property(
        fc.string(),
        fc.string({ minLength: 1 }),
        fc.integer({ min: 0, max: 4_000_000_000 }),
        fc.string({ minLength: 1, maxLength: 3 }),
        (b, s, ts, extra) => {
          const header = signatureHeader([s], ts, b);
          const now = new Date(ts * 1000);
          expect(verifyWebhookSignature(b, header, s, { now })).toBe(true);
          expect(verifyWebhookSignature(b + extra, header, s, { now })).toBe(false);
          expect(verifyWebhookSignature(b, header, s + extra, { now })).toBe(false);
        },
      ),
    );
  });
});
