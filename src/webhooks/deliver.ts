// The outbox handler that sends one webhook delivery: a signed POST of the event to the subscription's
// URL. A 2xx answer within the timeout is success; anything else (another status, a redirect, which is
// never followed, a timeout, a refused connection, an address the operator does not allow) is a failed
// attempt, logged with the answer's status and the start of its body (text only), and retried on the
// webhook schedule (backoff.ts) until attempts run out.
//
// The request goes through a dispatcher that checks where it connects (src/shared/outbound-http.ts): a host
// that is, or now resolves to, a loopback, private, link-local or other refused address gets no connection
// at all, whatever it resolved to when the subscription was saved (DNS rebinding).
import type { Ctx } from '../context.ts';
import {
  outboundFetch,
  refusalIn,
  type OutboundPolicy,
  type OutboundResponse,
} from '../shared/outbound-http.ts';
import type { JobHandler } from '../outbox/worker.ts';
import { webhookRetryDelayMs } from './backoff.ts';
import {
  DELIVERY_ID_HEADER,
  EVENT_ID_HEADER,
  EVENT_TYPE_HEADER,
  SIGNATURE_HEADER,
  signatureHeader,
} from './signature.ts';
import { cancelDelivery, loadDeliveryToSend, recordAttempt, WEBHOOK_JOB_KIND } from './repo.ts';
import { eventBody } from './body.ts';
import { outboundPolicyOf } from './target.ts';

export const DEFAULT_WEBHOOK_TIMEOUT_MS = 10_000;
/** How much of a receiver's answer is kept in the delivery log. */
export const RESPONSE_EXCERPT_BYTES = 1024;
const USER_AGENT = 'Ringbill-Webhooks/1.0';

export interface WebhookHandlerOptions {
  /** How long a receiver has to answer (headers and body), in milliseconds. Default 10 s. */
  timeoutMs?: number;
}

interface HttpOutcome {
  status: number | null;
  body: string | null;
  error: string | null;
  durationMs: number;
}

/**
 * Media types whose start is worth showing in the delivery log: text, JSON, XML, forms. Anything else
 * (images, archives, octet streams) is summarised by its type, not stored.
 */
function isTextual(contentType: string | null): boolean {
  if (contentType === null) return true;
  const type = contentType.split(';')[0]!.trim().toLowerCase();
  return (
    type === '' ||
    type.startsWith('text/') ||
    /^application\/([\w.-]+\+)?(json|xml)$/.test(type) ||
    type === 'application/x-www-form-urlencoded' ||
    type === 'application/javascript'
  );
}

/**
 * What the log keeps of a text: control characters other than tab, newline and carriage return become
 * U+FFFD (NUL cannot be stored at all, and the rest are no use to a reader).
 */
function printableExcerpt(text: string): string {
  // eslint-disable-next-line no-control-regex -- replacing control characters (but tab and line breaks) is the point
  return text.replace(/[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f]/g, '\ufffd');
}

/** Reads at most `limit` bytes of a text body, then lets the rest go; a body of another type is named, not read. */
async function readExcerpt(response: OutboundResponse, limit: number): Promise<string> {
  if (!response.body) return '';
  const contentType = response.headers.get('content-type');
  if (!isTextual(contentType)) {
    await response.body.cancel().catch(() => undefined);
    return printableExcerpt(`(${contentType!.split(';')[0]!.trim().slice(0, 100)} body, not shown)`);
  }
  // undici types the body's chunks as `any`; a fetch body's chunks are bytes.
  const reader = (response.body as ReadableStream<Uint8Array>).getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  try {
    while (size < limit) {
      const { done, value } = await reader.read();
      if (done) break;
      chunks.push(value);
      size += value.byteLength;
    }
  } finally {
    await reader.cancel().catch(() => undefined);
  }
  // Cut on a byte boundary; a split UTF-8 character at the end becomes U+FFFD, which is fine for a log.
  return printableExcerpt(Buffer.concat(chunks).subarray(0, limit).toString('utf8'));
}

function describeFailure(error: unknown, timeoutMs: number): string {
  const refusal = refusalIn(error);
  if (refusal) return `not sent: ${refusal.message}`;
  if (error instanceof Error && (error.name === 'TimeoutError' || error.name === 'AbortError'))
    return `no answer within ${timeoutMs / 1000} s`;
  const cause = (error as { cause?: { code?: string; message?: string } } | undefined)?.cause;
  if (cause?.code) return `connection failed: ${cause.code}${cause.message ? ` (${cause.message})` : ''}`;
  return `request failed: ${error instanceof Error ? error.message : String(error)}`;
}

async function post(
  url: string,
  body: string,
  headers: Record<string, string>,
  timeoutMs: number,
  policy: OutboundPolicy,
): Promise<HttpOutcome> {
  const started = performance.now();
  try {
    const response = await outboundFetch(policy, url, {
      method: 'POST',
      body,
      headers,
      redirect: 'manual',
      signal: AbortSignal.timeout(timeoutMs),
    });
    const excerpt = await readExcerpt(response, RESPONSE_EXCERPT_BYTES);
    const durationMs = performance.now() - started;
    if (response.status >= 200 && response.status < 300)
      return { status: response.status, body: excerpt, error: null, durationMs };
    // The receiver's own header: bounded and printable before it goes in the log.
    const location = response.headers.get('location')?.slice(0, 500);
    const error =
      response.status >= 300 && response.status < 400
        ? `redirect to ${location === undefined ? '(no Location)' : printableExcerpt(location)} not followed: point the webhook at the final URL`
        : `the receiver answered HTTP ${response.status}`;
    return { status: response.status, body: excerpt, error, durationMs };
  } catch (error) {
    return {
      status: null,
      body: null,
      error: describeFailure(error, timeoutMs),
      durationMs: performance.now() - started,
    };
  }
}

export function createWebhookHandler(options: WebhookHandlerOptions = {}): JobHandler {
  const timeoutMs = options.timeoutMs ?? DEFAULT_WEBHOOK_TIMEOUT_MS;
  const handler: JobHandler = async (job, ctx: Ctx) => {
    const accountId = job.account_id;
    const loaded = await loadDeliveryToSend(ctx.db, accountId, job.id);
    // Gone (its subscription was deleted) or already settled (a repeat after a crash): nothing to do.
    if (!loaded || loaded.delivery.status !== 'pending') return;
    const { delivery, subscription, event } = loaded;
    if (!subscription) {
      await cancelDelivery(ctx.db, accountId, delivery.id, 'the webhook subscription no longer exists');
      return;
    }
    if (!subscription.enabled) {
      await cancelDelivery(ctx.db, accountId, delivery.id, 'the webhook subscription is disabled');
      return;
    }

    const now = ctx.now();
    const timestamp = Math.floor(now.getTime() / 1000);
    const body = eventBody(event);
    const secrets = [subscription.secret];
    if (
      subscription.previous_secret &&
      subscription.previous_secret_expires_at &&
      subscription.previous_secret_expires_at > now
    ) {
      secrets.push(subscription.previous_secret);
    }
    const outcome = await post(
      subscription.url,
      body,
      {
        'content-type': 'application/json',
        'user-agent': USER_AGENT,
        [SIGNATURE_HEADER]: signatureHeader(secrets, timestamp, body),
        [EVENT_ID_HEADER]: event.public_id,
        [EVENT_TYPE_HEADER]: event.type,
        [DELIVERY_ID_HEADER]: String(delivery.id),
      },
      timeoutMs,
      outboundPolicyOf(ctx),
    );

    const succeeded = outcome.error === null;
    const lastAttempt = job.attempts + 1 >= job.max_attempts;
    const attemptedAt = ctx.now();
    await recordAttempt(ctx.db, accountId, delivery.id, {
      attemptedAt,
      responseStatus: outcome.status,
      responseBody: outcome.body,
      error: outcome.error,
      durationMs: outcome.durationMs,
      status: succeeded ? 'succeeded' : lastAttempt ? 'failed' : 'pending',
      // The worker schedules the retry with the same function (handler.retryDelayMs below).
      nextAttemptAt:
        succeeded || lastAttempt ? null : new Date(attemptedAt.getTime() + webhookRetryDelayMs(job.attempts)),
    });
    if (!succeeded) throw new Error(outcome.error ?? 'delivery failed');
  };
  handler.retryDelayMs = webhookRetryDelayMs;
  // Deliveries go out side by side: one slow receiver does not hold up the others (or the email jobs).
  handler.concurrent = true;
  return handler;
}

export const WEBHOOK_JOB_HANDLERS: Record<string, JobHandler> = {
  [WEBHOOK_JOB_KIND]: createWebhookHandler(),
};
