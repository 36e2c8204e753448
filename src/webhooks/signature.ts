// Webhook signatures. Each delivery carries
//
//   Ringbill-Signature: t=1767225600,v1=5257a869e7ecebeda32affa62cdca3fa51cad7e77a0e56ff536d0ce8e108d8bd
//
// where t is the Unix time (seconds) of the attempt and v1 is the hex HMAC-SHA256 of `${t}.${body}`
// (body: the request body exactly as received) keyed with the subscription's secret (the whole
// "whsec_..." string, as UTF-8). Just after a secret is rotated, a second v1= signed with the old secret
// follows. A receiver accepts the request when one v1 matches and t is recent (default: 5 minutes),
// which stops an old request from being replayed at it.
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';

export const SIGNATURE_HEADER = 'Ringbill-Signature';
export const EVENT_ID_HEADER = 'Ringbill-Event-Id';
export const EVENT_TYPE_HEADER = 'Ringbill-Event-Type';
export const DELIVERY_ID_HEADER = 'Ringbill-Delivery-Id';
export const DEFAULT_TOLERANCE_SECONDS = 300;

const SECRET_PREFIX = 'whsec_';

/** A new subscription secret: 32 random bytes. */
export function generateWebhookSecret(): string {
  return SECRET_PREFIX + randomBytes(32).toString('base64url');
}

/** The hex HMAC-SHA256 of `${timestamp}.${body}`. */
export function computeSignature(
  secret: string,
  timestampSeconds: number,
  body: string | Uint8Array,
): string {
  return createHmac('sha256', secret).update(`${timestampSeconds}.`).update(body).digest('hex');
}

/** The Ringbill-Signature header value: one v1 per secret (the current one first). */
export function signatureHeader(secrets: readonly string[], timestampSeconds: number, body: string): string {
  if (secrets.length === 0) throw new Error('signatureHeader: no secret');
  return [
    `t=${timestampSeconds}`,
    ...secrets.map((s) => `v1=${computeSignature(s, timestampSeconds, body)}`),
  ].join(',');
}

export interface ParsedSignature {
  timestamp: number;
  signatures: string[];
}

/** Reads `t=...,v1=...[,v1=...]`; unknown schemes are skipped (room for a v2). Undefined when malformed. */
export function parseSignatureHeader(header: string): ParsedSignature | undefined {
  let timestamp: number | undefined;
  const signatures: string[] = [];
  for (const part of header.split(',').slice(0, 20)) {
    const eq = part.indexOf('=');
    if (eq <= 0) continue;
    const key = part.slice(0, eq).trim();
    const value = part.slice(eq + 1).trim();
    if (key === 't' && /^\d{1,12}$/.test(value)) timestamp = Number(value);
    else if (key === 'v1' && /^[0-9a-f]{64}$/.test(value)) signatures.push(value);
  }
  if (timestamp === undefined || signatures.length === 0) return undefined;
  return { timestamp, signatures };
}

export interface VerifyOptions {
  /** How old (or how far ahead) t may be, in seconds. Default 300. */
  toleranceSeconds?: number;
  /** The time to check t against. Default: now. */
  now?: Date;
}

/**
 * Checks a delivery: `body` is the raw request body (a string or bytes, before any JSON parsing),
 * `header` the Ringbill-Signature header, `secret` the subscription's secret. True when a v1 signature
 * matches and the timestamp is within the tolerance.
 */
export function verifyWebhookSignature(
  body: string | Uint8Array,
  header: string | undefined | null,
  secret: string,
  options: VerifyOptions = {},
): boolean {
  if (!header) return false;
  const parsed = parseSignatureHeader(header);
  if (!parsed) return false;
  const tolerance = options.toleranceSeconds ?? DEFAULT_TOLERANCE_SECONDS;
  const nowSeconds = Math.floor((options.now ?? new Date()).getTime() / 1000);
  if (Math.abs(nowSeconds - parsed.timestamp) > tolerance) return false;
  const expected = Buffer.from(computeSignature(secret, parsed.timestamp, body), 'hex');
  return parsed.signatures.some((s) => timingSafeEqual(Buffer.from(s, 'hex'), expected));
}
