// Checks a customer's alerts after a ledger change, in the changing transaction: an alert that fires is
// recorded, sent as a webhook event (balance.low, spend.threshold, credit.limit) and queued as an email
// and/or SMS to the customer through the outbox, all committing with the change that caused it.
import type { Executor } from '../context.ts';
import { enqueue } from '../outbox/repo.ts';
import { money, type Money } from '../money/money.ts';
import { roundToStoredScale } from '../money/rounding.ts';
import { emitEvent } from '../webhooks/emit.ts';
import { decide, WEBHOOK_OF_KIND, type AlertValues } from './crossing.ts';
import { accountHasAlerts, alertsWithState, insertAlertEvent, saveAlertState } from './repo.ts';

export interface AlertSubject {
  accountId: number;
  customerId: number;
  currency: string;
  balance: Money;
  reserved: Money;
  creditLimit: string | null;
  values: AlertValues;
  hasEmail: boolean;
  hasMobile: boolean;
}

export interface AlertJob {
  eventId: number;
}

/**
 * Accounts known to have no alert at all, and since when (performance.now): the authorisation path then
 * skips the read. An alert made in this process clears it at once (forgetNoAlerts); one made by another
 * server process on the same PostgreSQL is seen within NO_ALERTS_TRUST_MS.
 */
const noAlerts = new Map<number, number>();
export const NO_ALERTS_TRUST_MS = 1000;

export function forgetNoAlerts(accountId: number): void {
  noAlerts.delete(accountId);
}

export async function checkAlerts(trx: Executor, s: AlertSubject, now: Date): Promise<number> {
  const knownEmpty = noAlerts.get(s.accountId);
  if (knownEmpty !== undefined && performance.now() - knownEmpty < NO_ALERTS_TRUST_MS) return 0;
  if (!(await accountHasAlerts(trx, s.accountId))) {
    if (noAlerts.size > 100_000) noAlerts.clear();
    noAlerts.set(s.accountId, performance.now());
    return 0;
  }
  noAlerts.delete(s.accountId);
  const alerts = await alertsWithState(trx, s.accountId, s.customerId);
  let fired = 0;
  for (const alert of alerts) {
    const before = { fired: alert.fired ?? false, period: alert.period };
    const d = decide(alert.kind, alert.threshold, before, s.values);
    if (d.state.fired !== before.fired || d.state.period !== before.period) {
      await saveAlertState(trx, s.accountId, s.customerId, alert.id, {
        ...d.state,
        firedAt: d.fire ? now : null,
      });
    }
    if (!d.fire || d.value === null) continue;
    fired += 1;
    const value = roundToStoredScale(d.value).toFixed();
    const eventId = await insertAlertEvent(trx, {
      account_id: s.accountId,
      customer_id: s.customerId,
      alert_id: alert.id,
      kind: alert.kind,
      threshold: money(alert.threshold).toFixed(),
      value,
      created_at: now,
    });
    await emitEvent(
      trx,
      s.accountId,
      WEBHOOK_OF_KIND[alert.kind],
      {
        customerID: String(s.customerId),
        alertID: String(alert.id),
        alert: alert.kind,
        threshold: money(alert.threshold).toFixed(),
        value,
        currency: s.currency,
        balance: s.balance.toFixed(),
        reserved: s.reserved.toFixed(),
        available: s.values.available === null ? null : s.values.available.toFixed(),
        creditLimit: s.creditLimit,
        period: d.state.period,
      },
      now,
    );
    for (const channel of alert.channels) {
      if ((channel === 'email' && !s.hasEmail) || (channel === 'sms' && !s.hasMobile)) continue;
      await enqueue(trx, {
        accountId: s.accountId,
        kind: channel === 'sms' ? 'alerts.sms' : 'alerts.email',
        payload: { eventId } satisfies AlertJob,
        now,
      });
    }
  }
  return fired;
}
