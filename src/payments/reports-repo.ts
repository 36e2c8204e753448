// The console's collections lists: payments (with their invoice and refunds) and instalment plans (with
// their instalments' progress), each sorted by a whitelisted column, then by id, in bounded offset pages.
import type { Executor } from '../context.ts';
import { invoiceRows } from '../invoices/reports-repo.ts';
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
