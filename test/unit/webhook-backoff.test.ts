import { describe, expect, it } from 'vitest';
import {
  WEBHOOK_MAX_ATTEMPTS,
  webhookRetryDelayMs,
  webhookRetrySchedule,
} from '../../src/webhooks/backoff.ts';
import { checkEventTypes, checkWebhookUrl } from '../../src/webhooks/input.ts';
import { DomainError } from '../../src/shared/errors.ts';

const MIN = 60_000;
const HOUR = 3_600_000;

describe('webhook retry schedule', () => {
  it('doubles from 1 minute and stops growing at 6 hours', () => {
    expect(webhookRetrySchedule().map((ms) => ms / MIN)).toEqual([
      1, 2, 4, 8, 16, 32, 64, 128, 256, 360, 360, 360, 360, 360, 360,
    ]);
    expect(webhookRetryDelayMs(0)).toBe(MIN);
    expect(webhookRetryDelayMs(100)).toBe(6 * HOUR);
    expect(webhookRetryDelayMs(-1)).toBe(MIN);
  });

  it('keeps retrying for more than a day (and under two)', () => {
    const total = webhookRetrySchedule().reduce((a, b) => a + b, 0);
    expect(WEBHOOK_MAX_ATTEMPTS).toBe(16);
    expect(total).toBeGreaterThan(24 * HOUR);
    expect(total).toBeLessThan(48 * HOUR);
    expect(total).toBe((511 + 6 * 360) * MIN); // 44.5 hours
  });

  it('never shrinks', () => {
    const s = webhookRetrySchedule();
    for (let i = 1; i < s.length; i++) expect(s[i]!).toBeGreaterThanOrEqual(s[i - 1]!);
  });
});

describe('webhook subscription input', () => {
  const code = (f: () => unknown) => {
    try {
      f();
    } catch (e) {
      return e instanceof DomainError ? `${e.code}:${e.field}` : 'other';
    }
    return 'ok';
  };

  it('takes absolute http(s) URLs and refuses the rest', () => {
    expect(checkWebhookUrl(' https://example.com/hook ')).toBe('https://example.com/hook');
    expect(checkWebhookUrl('http://127.0.0.1:8080/x?y=1')).toBe('http://127.0.0.1:8080/x?y=1');
    for (const bad of [
      '',
      'example.com/hook',
      'ftp://example.com/',
      'javascript:alert(1)',
      'https://user:pw@example.com/',
      'https://example.com/#frag',
      `https://example.com/${'a'.repeat(2100)}`,
    ]) {
      expect(
        code(() => checkWebhookUrl(bad)),
        bad,
      ).toBe('invalid_input:url');
    }
  });

  it('takes known event types or *, without duplicates', () => {
    expect(checkEventTypes(['invoice.paid', 'invoice.paid', 'call.completed'])).toEqual([
      'invoice.paid',
      'call.completed',
    ]);
    expect(checkEventTypes(['invoice.paid', '*'])).toEqual(['*']);
    expect(code(() => checkEventTypes([]))).toBe('invalid_input:eventTypes');
    expect(code(() => checkEventTypes(['invoice.created']))).toBe('invalid_input:eventTypes');
  });
});
