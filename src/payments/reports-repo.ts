// The console's collections lists: payments (with their invoice and refunds) and instalment plans (with
// their instalments' progress), each sorted by a whitelisted column, then by id, in bounded offset pages.
import { sql } from 'kysely';
import type { Executor } from '../context.ts';
import { paymentRequestRowsSql, type RequestFactsFilter, type RequestFactsRow } from '../collections/repo.ts';
import { invoiceRows, invoiceRowsSql } from '../invoices/reports-repo.ts';
import type { Sort } from '../shared/sorting.ts';

export const PAYMENT_SORTS = {
  id: 'p.id',
  paid: 'p.paid_at',
  amount: 'p.amount',
  refunded: 'p.refunded_amount',
  method: 'p.method',
  invoice: 'i.invoice_number',
} as const;

export async function searchPayments(
  db: Executor,
  accountId: number,
  s: {
    customerId?: number | undefined;
    sort: Sort<keyof typeof PAYMENT_SORTS>;
    offset: number;
    limit: number;
  },
) {
  let q = db
    .selectFrom('payments as p')
    .leftJoin(invoiceRows(db).as('i'), (j) =>
      j.onRef('i.account_id', '=', 'p.account_id').onRef('i.id', '=', 'p.invoice_id'),
    )
    .select([
      'p.id',
      'p.request_id',
      'p.invoice_id',
      'p.instalment_plan_id',
      'p.instalment_seq',
      'p.amount',
      'p.refunded_amount',
      'p.method',
      'p.card_last4',
      'p.reference',
      'p.paid_at',
      'i.invoice_number',
      'i.customer_id',
    ])
    .where('p.account_id', '=', accountId);
  if (s.customerId !== undefined) q = q.where('i.customer_id', '=', s.customerId);
  return q
    .orderBy(PAYMENT_SORTS[s.sort.key], s.sort.dir)
    .orderBy('p.id', s.sort.dir)
    .offset(s.offset)
    .limit(s.limit + 1)
    .execute();
}

export const PLAN_SORTS = {
  id: 'pl.id',
  start: 'pl.start_date',
  amount: 'pl.total_amount',
  status: 'pl.status',
  frequency: 'pl.frequency',
} as const;

export async function searchPlans(
  db: Executor,
  accountId: number,
  s: {
    status?: 'active' | 'completed' | 'cancelled' | undefined;
    sort: Sort<keyof typeof PLAN_SORTS>;
    offset: number;
    limit: number;
  },
) {
  let q = db
    .selectFrom('instalment_plans as pl')
    .leftJoin(invoiceRows(db).as('i'), (j) =>
      j.onRef('i.account_id', '=', 'pl.account_id').onRef('i.id', '=', 'pl.invoice_id'),
    )
    .select([
      'pl.id',
      'pl.request_id',
      'pl.invoice_id',
      'pl.amount',
      'pl.total_amount',
      'pl.interest_rate',
      'pl.frequency',
      'pl.start_date',
      'pl.status',
      'pl.card_last4',
      'i.invoice_number',
    ])
    .select((eb) => [
      eb
        .selectFrom('instalments as x')
        .select(eb.fn.countAll<string>().as('n'))
        .whereRef('x.account_id', '=', 'pl.account_id')
        .whereRef('x.plan_id', '=', 'pl.id')
        .as('instalments'),
      eb
        .selectFrom('instalments as x')
        .select(eb.fn.countAll<string>().as('n'))
        .whereRef('x.account_id', '=', 'pl.account_id')
        .whereRef('x.plan_id', '=', 'pl.id')
        .where('x.status', '=', 'paid')
        .as('paid'),
      eb
        .selectFrom('instalments as x')
        .select(eb.fn.countAll<string>().as('n'))
        .whereRef('x.account_id', '=', 'pl.account_id')
        .whereRef('x.plan_id', '=', 'pl.id')
        .where('x.status', '=', 'missed')
        .as('missed'),
    ])
    .where('pl.account_id', '=', accountId);
  if (s.status) q = q.where('pl.status', '=', s.status);
  return q
    .orderBy(PLAN_SORTS[s.sort.key], s.sort.dir)
    .orderBy('pl.id', s.sort.dir)
    .offset(s.offset)
    .limit(s.limit + 1)
    .execute();
}

/**
 * A payment request with everything the report says about it, in one query: the request (collections), its
 * invoice, and what payments knows of it (the invoice\'s refunds, the attempts, the latest plan).
 */
export async function requestFacts(
  db: Executor,
  accountId: number,
  filter: RequestFactsFilter,
): Promise<RequestFactsRow[]> {
  const conditions = [sql`r.account_id = ${accountId}`];
  if (filter.ids) conditions.push(sql`r.id = any(${filter.ids}::bigint[])`);
  if (filter.createdFrom) conditions.push(sql`r.created_at >= ${filter.createdFrom}`);
  if (filter.createdBefore) conditions.push(sql`r.created_at < ${filter.createdBefore}`);
  if (filter.afterId !== undefined) conditions.push(sql`r.id > ${filter.afterId}`);
  const result = await sql<RequestFactsRow>`
    select r.*,
      i.invoice_number, i.total::text as invoice_total, i.paid_amount::text as invoice_paid_amount,
      (i.approved_at is not null) as invoice_approved,
      (select coalesce(sum(f.amount), 0)::text from refunds f where f.account_id = r.account_id and f.invoice_id = r.invoice_id and f.payment_id is not null) as invoice_refunded,
      a.attempts, a.approved_attempts, a.declined_attempts, a.last_attempt_at, a.approved_attempts_amount,
      p.id as plan_id, p.status as plan_status, p.amount::text as plan_amount, p.frequency as plan_frequency,
      p.start_date as plan_start_date, p.interest_rate::text as plan_interest_rate, p.total_amount::text as plan_total_amount
    from ${paymentRequestRowsSql()} as r
    left join ${invoiceRowsSql()} i on i.account_id = r.account_id and i.id = r.invoice_id
    left join lateral (
      -- Attempts that reached the gateway: a pending one (being charged) or one it never saw are not counted.
      select (count(*) filter (where t.outcome in ('approved', 'declined')))::int as attempts,
        (count(*) filter (where t.outcome = 'approved'))::int as approved_attempts,
        (count(*) filter (where t.outcome = 'declined'))::int as declined_attempts,
        max(t.created_at) filter (where t.outcome in ('approved', 'declined')) as last_attempt_at,
        coalesce(sum(t.amount) filter (where t.outcome = 'approved'), 0)::text as approved_attempts_amount
      from payment_attempts t where t.account_id = r.account_id and t.request_id = r.id
    ) a on true
    left join lateral (
      select * from instalment_plans q where q.account_id = r.account_id and q.request_id = r.id
      order by (q.status = 'active') desc, q.id desc limit 1
    ) p on true
    where ${sql.join(conditions, sql` and `)}
    order by r.id
    limit ${filter.limit}
  `.execute(db);
  return result.rows.map((row) => ({
    ...row,
    id: Number(row.id),
    account_id: Number(row.account_id),
    batch_id: row.batch_id === null ? null : Number(row.batch_id),
    invoice_id: row.invoice_id === null ? null : Number(row.invoice_id),
    customer_id: row.customer_id === null ? null : Number(row.customer_id),
    plan_id: row.plan_id === null ? null : Number(row.plan_id),
  }));
}
