// Alerts' SQL: thresholds (a customer's own and the account's), where each customer stands against each,
// and the alerts that fired.
import type { Executor } from '../context.ts';
import type { AlertKind, BalanceAlertRow } from '../db/schema-prepaid.ts';
import { sql } from 'kysely';
import { accountRows, accountRowsSql } from '../accounts/repo.ts';
import { customerRows, customerRowsSql } from '../customers/reports-repo.ts';
export type { AlertKind, BalanceAlertRow } from '../db/schema-prepaid.ts';

/** The alerts that apply to a customer (its own and the account's), with its state against each. */
export async function alertsWithState(
  db: Executor,
  accountId: number,
  customerId: number,
): Promise<(BalanceAlertRow & { fired: boolean | null; period: string | null })[]> {
  const result = await sql<BalanceAlertRow & { fired: boolean | null; period: string | null }>`
    select a.*, s.fired, s.period
    from balance_alerts as a
    left join balance_alert_states as s on s.account_id = a.account_id and s.alert_id = a.id and s.customer_id = ${customerId}
    where a.account_id = ${accountId} and (a.customer_id = ${customerId} or a.customer_id is null) and a.enabled
    order by a.id
  `.execute(db);
  return result.rows.map((r) => ({
    ...r,
    id: Number(r.id),
    customer_id: r.customer_id === null ? null : Number(r.customer_id),
  }));
}

export async function saveAlertState(
  db: Executor,
  accountId: number,
  customerId: number,
  alertId: number,
  state: { fired: boolean; period: string | null; firedAt: Date | null },
): Promise<void> {
  await sql`
    insert into balance_alert_states (account_id, customer_id, alert_id, fired, period, fired_at)
    values (${accountId}, ${customerId}, ${alertId}, ${state.fired}, ${state.period}, ${state.firedAt})
    on conflict (account_id, customer_id, alert_id) do update set fired = excluded.fired, period = excluded.period,
      fired_at = coalesce(excluded.fired_at, balance_alert_states.fired_at)
  `.execute(db);
}

export async function insertAlertEvent(
  db: Executor,
  values: {
    account_id: number;
    customer_id: number;
    alert_id: number;
    kind: AlertKind;
    threshold: string;
    value: string;
    created_at: Date;
  },
): Promise<number> {
  const row = await db
    .insertInto('balance_alert_events')
    .values(values)
    .returning('id')
    .executeTakeFirstOrThrow();
  return Number(row.id);
}

export async function insertAlert(
  db: Executor,
  values: {
    account_id: number;
    customer_id: number | null;
    kind: AlertKind;
    threshold: string;
    channels: string[];
    created_at: Date;
    updated_at: Date;
  },
): Promise<BalanceAlertRow> {
  return db.insertInto('balance_alerts').values(values).returningAll().executeTakeFirstOrThrow();
}

export async function listAlerts(
  db: Executor,
  accountId: number,
  customerId: number | null,
): Promise<BalanceAlertRow[]> {
  let q = db.selectFrom('balance_alerts').selectAll().where('account_id', '=', accountId);
  q = customerId === null ? q.where('customer_id', 'is', null) : q.where('customer_id', '=', customerId);
  return q.orderBy('id').limit(1000).execute();
}

export async function findAlert(
  db: Executor,
  accountId: number,
  id: number,
): Promise<BalanceAlertRow | undefined> {
  return db
    .selectFrom('balance_alerts')
    .selectAll()
    .where('account_id', '=', accountId)
    .where('id', '=', id)
    .executeTakeFirst();
}

export async function deleteAlert(db: Executor, accountId: number, id: number): Promise<void> {
  await db
    .deleteFrom('balance_alert_states')
    .where('account_id', '=', accountId)
    .where('alert_id', '=', id)
    .execute();
  await db.deleteFrom('balance_alerts').where('account_id', '=', accountId).where('id', '=', id).execute();
}

export async function listAlertEvents(
  db: Executor,
  accountId: number,
  customerId: number | null,
  limit: number,
) {
  let q = db.selectFrom('balance_alert_events').selectAll().where('account_id', '=', accountId);
  if (customerId !== null) q = q.where('customer_id', '=', customerId);
  return q.orderBy('id', 'desc').limit(limit).execute();
}

export async function findAlertEvent(db: Executor, accountId: number, id: number) {
  return db
    .selectFrom('balance_alert_events')
    .selectAll()
    .where('account_id', '=', accountId)
    .where('id', '=', id)
    .executeTakeFirst();
}

export async function findCustomerContact(db: Executor, accountId: number, customerId: number) {
  return db
    .selectFrom(customerRows(db).as('c'))
    .innerJoin(accountRows(db).as('a'), 'a.id', 'c.account_id')
    .select([
      'c.name',
      'c.email',
      'c.mobile_number',
      'a.name as account_name',
      'a.email_from',
      'a.email as account_email',
      'a.currency',
    ])
    .where('c.account_id', '=', accountId)
    .where('c.id', '=', customerId)
    .executeTakeFirst();
}

export async function accountHasAlerts(db: Executor, accountId: number): Promise<boolean> {
  const row = await db
    .selectFrom('balance_alerts')
    .select('id')
    .where('account_id', '=', accountId)
    .where('enabled', '=', true)
    .limit(1)
    .executeTakeFirst();
  return row !== undefined;
}

export interface ActiveAlertRow {
  alert_id: number;
  customer_id: number;
  customer_name: string;
  kind: AlertKind;
  threshold: string;
  /** The alert is the account's (every customer), not the customer's own. */
  account_wide: boolean;
  fired_at: Date | null;
  period: string | null;
  /** The value when it fired (the last event of this alert for this customer). */
  value: string | null;
}

/**
 * Alerts standing crossed now, customer by customer (a console's overview): a low-balance or credit alert
 * that fired and has not re-armed, a spend alert that fired in the current local day or month. Newest first.
 */
export async function listActiveAlerts(
  db: Executor,
  accountId: number,
  now: Date,
  limit: number,
): Promise<ActiveAlertRow[]> {
  const result = await sql<ActiveAlertRow>`
    select s.alert_id, s.customer_id, c.name as customer_name, al.kind, al.threshold::text as threshold,
      (al.customer_id is null) as account_wide, s.fired_at, s.period,
      (select e.value::text from balance_alert_events as e
         where e.account_id = s.account_id and e.customer_id = s.customer_id and e.alert_id = s.alert_id order by e.id desc limit 1) as value
    from balance_alert_states as s
    join balance_alerts as al on al.account_id = s.account_id and al.id = s.alert_id and al.enabled
    join ${customerRowsSql()} as c on c.account_id = s.account_id and c.id = s.customer_id
    join ${accountRowsSql()} as a on a.id = s.account_id
    where s.account_id = ${accountId} and s.fired
      and (al.kind in ('low_balance', 'credit_used')
        or (al.kind = 'spend_daily' and s.period = to_char(${now}::timestamptz at time zone a.timezone, 'YYYY-MM-DD'))
        or (al.kind = 'spend_monthly' and s.period = to_char(${now}::timestamptz at time zone a.timezone, 'YYYY-MM')))
    order by s.fired_at desc nulls last, s.customer_id, s.alert_id
    limit ${limit}
  `.execute(db);
  return result.rows.map((r) => ({ ...r, alert_id: Number(r.alert_id), customer_id: Number(r.customer_id) }));
}

/** `exists (…)`: an enabled alert applies to the customer the outer query's columns name (its own or the account's). */
export function hasEnabledAlertSql(accountIdColumn: string, customerIdColumn: string) {
  return sql<boolean>`exists (select 1 from balance_alerts as al where al.account_id = ${sql.ref(accountIdColumn)} and al.enabled and (al.customer_id is null or al.customer_id = ${sql.ref(customerIdColumn)}))`;
}
