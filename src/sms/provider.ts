// Sending SMS. Every message sent is recorded in sms_messages whatever the provider (GET /collect/v1/sms
// lists them), so the local default — which sends nothing and only records — lets a fresh install show what
// would have gone out. The HTTP provider posts each message as JSON to an SMS gateway (SMS_URL), with HTTP
// Basic credentials (SMS_USERNAME / SMS_PASSWORD) or a bearer token (SMS_TOKEN), from SMS_FROM.

export interface OutgoingSms {
  to: string;
  body: string;
  /** Our id for the message, sent along so the provider can de-duplicate a retried send. */
  reference: string;
}

export interface SmsProvider {
  /** Recorded with each message ("local", "http"). */
  readonly name: string;
  /** For logs and the README: where SMS goes. */
  readonly description: string;
  /** Resolves with the provider's id for the message; throws when it was not accepted. */
  send(message: OutgoingSms): Promise<{ providerMessageId: string | null }>;
}

/** A refusal that retrying will not change (the provider answered 4xx): the outbox stops retrying. */
export class PermanentSmsError extends Error {}

export function createLocalSmsProvider(): SmsProvider {
  return {
    name: 'local',
    description: 'local (recorded only: GET /collect/v1/sms)',
    async send() {
      return { providerMessageId: null };
    },
  };
}

export interface HttpSmsOptions {
  url: string;
  from?: string | undefined;
  username?: string | undefined;
  password?: string | undefined;
  token?: string | undefined;
  timeoutMs?: number | undefined;
}

/**
 * POST {url} with {"to", "from", "body", "reference"}; a 2xx is accepted (the message id is read from the
 * answer's "id", "messageId" or "sid" when it is JSON). 4xx other than 408/429 is permanent; the rest retry.
 */
export function createHttpSmsProvider(options: HttpSmsOptions): SmsProvider {
  const url = new URL(options.url);
  const headers: Record<string, string> = { 'content-type': 'application/json', accept: 'application/json' };
  if (options.token) headers.authorization = `Bearer ${options.token}`;
  else if (options.username !== undefined) {
    headers.authorization = `Basic ${Buffer.from(`${options.username}:${options.password ?? ''}`).toString('base64')}`;
  }
  const timeoutMs = options.timeoutMs ?? 15_000;
  return {
    name: 'http',
    description: `HTTP ${url.origin}${url.pathname}`,
    async send(message) {
      const response = await fetch(url, {
        method: 'POST',
        headers,
        body: JSON.stringify({
          to: message.to,
          from: options.from ?? null,
          body: message.body,
          reference: message.reference,
        }),
        signal: AbortSignal.timeout(timeoutMs),
      });
      const text = await response.text();
      if (!response.ok) {
        const detail = `the SMS provider answered ${response.status}: ${text.slice(0, 200)}`;
        if (
          response.status >= 400 &&
          response.status < 500 &&
          response.status !== 408 &&
          response.status !== 429
        )
          throw new PermanentSmsError(detail);
        throw new Error(detail);
      }
      let id: string | null = null;
      try {
        const parsed = JSON.parse(text) as Record<string, unknown>;
        const candidate = parsed.id ?? parsed.messageId ?? parsed.sid;
        if (typeof candidate === 'string' || typeof candidate === 'number') id = String(candidate);
      } catch {
        // not JSON: accepted without an id
      }
      return { providerMessageId: id };
    },
  };
}
