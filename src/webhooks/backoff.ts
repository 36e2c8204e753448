// When a failed webhook delivery is tried again: exponential backoff, 1 minute doubling to a cap of 6
// hours, 16 attempts in all. The retries span 44.5 hours (1+2+4+...+256 minutes = 8.5 h, then six
// retries 6 h apart), so a receiver that is down for a day and a half still gets every event.

export const WEBHOOK_FIRST_RETRY_MS = 60_000;
export const WEBHOOK_MAX_RETRY_DELAY_MS = 6 * 3600_000;
/** Attempts in all, the first included. */
export const WEBHOOK_MAX_ATTEMPTS = 16;

/** The wait after the attempt numbered `attemptsSoFar + 1` failed (0 after the first attempt). */
export function webhookRetryDelayMs(attemptsSoFar: number): number {
  const n = Math.max(0, Math.floor(attemptsSoFar));
  // 2^n overflows nothing here: n is capped well before 2^n * 60 s passes the cap's exponent range.
  return Math.min(WEBHOOK_FIRST_RETRY_MS * 2 ** Math.min(n, 30), WEBHOOK_MAX_RETRY_DELAY_MS);
}

/** The whole schedule: the delay before each retry, in order (WEBHOOK_MAX_ATTEMPTS - 1 of them). */
export function webhookRetrySchedule(): number[] {
  return Array.from({ length: WEBHOOK_MAX_ATTEMPTS - 1 }, (_, i) => webhookRetryDelayMs(i));
}
