// Alert thresholds: a customer's own (customerId) or the account's (null: every customer with a balance).
// low_balance and spend thresholds are amounts; credit_used is a percentage of the credit limit (80, 100).
import type { Ctx } from '../context.ts';
import { customerExists } from '../customers/repo.ts';
import type { AlertKind, BalanceAlertRow } from './repo.ts';
import { invalid, notFound } from '../shared/errors.ts';
import { isDecimalString, money } from '../money/money.ts';
import { forgetNoAlerts } from './check-alerts.ts';
import {
  deleteAlert,
  findAlert,
  insertAlert,
  listActiveAlerts,
  listAlertEvents,
  listAlerts,
  type ActiveAlertRow,
} from './repo.ts';

export const ALERT_KINDS: readonly AlertKind[] = [
  'low_balance',
  'spend_daily',
  'spend_monthly',
  'credit_used',
];
export const ALERT_CHANNELS = ['email', 'sms'] as const;
/** Thresholds a customer or an account may have (a bound on what each ledger change checks). */
export const MAX_ALERTS = 20;

export interface AlertInput {
  type: AlertKind;
  threshold: string;
  channels?: ('email' | 'sms')[] | undefined;
}

export async function createAlert(
  ctx: Ctx,
  accountId: number,
  customerId: number | null,
  input: AlertInput,
): Promise<BalanceAlertRow> {
  if (!ALERT_KINDS.includes(input.type)) throw invalid('type', `must be one of ${ALERT_KINDS.join(', ')}`);
  if (!isDecimalString(input.threshold) || money(input.threshold).isNegative())
    throw invalid(
      'threshold',
      'must be an amount (or a percentage for credit_used) of zero or more, as a string',
    );
  if (input.type === 'credit_used' && money(input.threshold).greaterThan(1000))
    throw invalid('threshold', 'credit_used is a percentage of the limit: at most 1000');
  const channels = [...new Set(input.channels ?? ['email'])];
  return ctx.db.transaction().execute(async (trx) => {
    if (customerId !== null && !(await customerExists(trx, accountId, customerId)))
      throw notFound('Customer', customerId);
    if ((await listAlerts(trx, accountId, customerId)).length >= MAX_ALERTS)
      throw invalid('type', `at most ${MAX_ALERTS} alerts`);
    const now = ctx.now();
    forgetNoAlerts(accountId);
    return insertAlert(trx, {
      account_id: accountId,
      customer_id: customerId,
      kind: input.type,
      threshold: money(input.threshold).toFixed(),
      channels,
      created_at: now,
      updated_at: now,
    });
  });
}

export async function getAlerts(
  ctx: Ctx,
  accountId: number,
  customerId: number | null,
): Promise<BalanceAlertRow[]> {
  if (customerId !== null && !(await customerExists(ctx.db, accountId, customerId)))
    throw notFound('Customer', customerId);
  return listAlerts(ctx.db, accountId, customerId);
}

export async function removeAlert(
  ctx: Ctx,
  accountId: number,
  customerId: number | null,
  alertId: number,
): Promise<void> {
  const alert = await findAlert(ctx.db, accountId, alertId);
  if (!alert || alert.customer_id !== customerId) throw notFound('Alert', alertId);
  await ctx.db.transaction().execute((trx) => deleteAlert(trx, accountId, alertId));
}

export async function firedAlerts(ctx: Ctx, accountId: number, customerId: number | null, limit = 100) {
  if (customerId !== null && !(await customerExists(ctx.db, accountId, customerId)))
    throw notFound('Customer', customerId);
  return listAlertEvents(ctx.db, accountId, customerId, limit);
}

/** Most active alerts one read returns. */
export const MAX_ACTIVE_ALERTS = 1000;

/**
 * The alerts standing crossed now across the account's customers (what an operator's overview shows): low
 * balance and credit alerts until they re-arm, spend alerts in the day or month they fired.
 */
export async function activeAlerts(ctx: Ctx, accountId: number, limit = 100): Promise<ActiveAlertRow[]> {
  if (!Number.isInteger(limit) || limit < 1 || limit > MAX_ACTIVE_ALERTS)
    throw invalid('limit', `must be a whole number from 1 to ${MAX_ACTIVE_ALERTS}`);
  return listActiveAlerts(ctx.db, accountId, ctx.now(), limit);
}
