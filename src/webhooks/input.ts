// Checks what a person sends to make or change a webhook subscription. Pure.
import { invalid } from '../shared/errors.ts';
import { ALL_EVENT_TYPES, isWebhookEventType, WEBHOOK_EVENT_TYPES } from './event-types.ts';

export const MAX_URL_LENGTH = 2048;
export const MAX_DESCRIPTION_LENGTH = 500;

/** An absolute http(s) URL with a host, no credentials and no fragment; returned normalised. */
export function checkWebhookUrl(value: string): string {
  const trimmed = value.trim();
  if (trimmed === '') throw invalid('url', 'is required');
  if (trimmed.length > MAX_URL_LENGTH) throw invalid('url', `must be at most ${MAX_URL_LENGTH} characters`);
  let url: URL;
  try {
    url = new URL(trimmed);
  } catch {
    throw invalid('url', 'must be an absolute URL such as https://example.com/webhooks/ringbill');
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:')
    throw invalid('url', `must be http or https, not ${url.protocol.replace(/:$/, '')}`);
  if (url.hostname === '') throw invalid('url', 'must name a host');
  // fetch() refuses URLs with credentials; a receiver that wants a secret in the URL can use the path.
  if (url.username !== '' || url.password !== '')
    throw invalid('url', 'must not contain a user name or password; every delivery is signed instead');
  if (url.hash !== '') throw invalid('url', 'must not have a #fragment');
  return url.toString();
}

/** A non-empty list of known event types, or ['*']; duplicates dropped, order kept. */
export function checkEventTypes(value: readonly string[]): string[] {
  if (value.length === 0)
    throw invalid(
      'eventTypes',
      `must name at least one event type (${WEBHOOK_EVENT_TYPES.join(', ')}) or "*"`,
    );
  const seen = new Set<string>();
  for (const type of value) {
    if (type !== ALL_EVENT_TYPES && !isWebhookEventType(type)) {
      throw invalid(
        'eventTypes',
        `unknown event type "${type}"; known: ${WEBHOOK_EVENT_TYPES.join(', ')}, or "*" for all`,
      );
    }
    seen.add(type);
  }
  // '*' already covers everything: keep the list simple.
  return seen.has(ALL_EVENT_TYPES) ? [ALL_EVENT_TYPES] : [...seen];
}

export const MIN_SECRET_LENGTH = 24;
export const MAX_SECRET_LENGTH = 200;
/** Printable ASCII without the space: what survives headers, shells and config files unchanged. */
const SECRET_PATTERN = new RegExp(`^[\\x21-\\x7e]{${MIN_SECRET_LENGTH},${MAX_SECRET_LENGTH}}$`);

/** A signing secret the caller chose: long enough to resist guessing, and plain enough to copy around. */
export function checkWebhookSecret(value: string): string {
  if (!SECRET_PATTERN.test(value)) {
    throw invalid(
      'secret',
      `must be ${MIN_SECRET_LENGTH} to ${MAX_SECRET_LENGTH} printable ASCII characters without spaces (leave it out to have one made)`,
    );
  }
  return value;
}

export function checkDescription(value: string | null): string | null {
  if (value === null) return null;
  const trimmed = value.trim();
  if (trimmed.length > MAX_DESCRIPTION_LENGTH)
    throw invalid('description', `must be at most ${MAX_DESCRIPTION_LENGTH} characters`);
  return trimmed === '' ? null : trimmed;
}
