// Payment attempts, payments, refunds and receipts; and the invoice's paid figures they move.
import { sql, type Insertable, type Selectable } from 'kysely';
import type { Executor } from '../context.ts';
import type {
  PaymentAttemptsTable,
  PaymentsTable,
  ReceiptsTable,
  RefundsTable,
} from '../db/schema-collections.ts';

export type AttemptRow = Selectable<PaymentAttemptsTable>;
export type PaymentRow = Selectable<PaymentsTable>;
export type RefundRow = Selectable<RefundsTable>;
export type ReceiptRow = Selectable<ReceiptsTable>;

export async function listAttempts(
  db: Executor,
  accountId: number,
  requestId: number,
  limit: number,
): Promise<AttemptRow[]> {
  return db
    .selectFrom('payment_attempts')
    .selectAll()
    .where('account_id', '=', accountId)
    .where('request_id', '=', requestId)
    .orderBy('id')
    .limit(limit)
    .execute();
}

export async function insertPayment(db: Executor, row: Insertable<PaymentsTable>): Promise<PaymentRow> {
  return db.insertInto('payments').values(row).returningAll().executeTakeFirstOrThrow();
}

export async function findPayment(
  db: Executor,
  accountId: number,
  paymentId: number,
): Promise<PaymentRow | undefined> {
  return db
    .selectFrom('payments')
    .selectAll()
    .where('account_id', '=', accountId)
    .where('id', '=', paymentId)
    .executeTakeFirst();
}

export async function lockPayment(
  db: Executor,
  accountId: number,
  paymentId: number,
): Promise<PaymentRow | undefined> {
  return db
    .selectFrom('payments')
    .selectAll()
    .where('account_id', '=', accountId)
    .where('id', '=', paymentId)
    .forUpdate()
    .executeTakeFirst();
}

export async function listPayments(
  db: Executor,
  accountId: number,
  filter: { invoiceId?: number; requestId?: number; paymentId?: number },
  limit: number,
): Promise<PaymentRow[]> {
  let query = db.selectFrom('payments').selectAll().where('account_id', '=', accountId);
  if (filter.paymentId !== undefined) query = query.where('id', '=', filter.paymentId);
  if (filter.invoiceId !== undefined) query = query.where('invoice_id', '=', filter.invoiceId);
  if (filter.requestId !== undefined) query = query.where('request_id', '=', filter.requestId);
  return query.orderBy('id').limit(limit).execute();
}

export async function addRefundedToPayment(
  db: Executor,
  accountId: number,
  paymentId: number,
  amount: string,
): Promise<void> {
  await db
    .updateTable('payments')
    .set({ refunded_amount: sql`refunded_amount + ${amount}::numeric` })
    .where('account_id', '=', accountId)
    .where('id', '=', paymentId)
    .execute();
}

export async function insertRefund(db: Executor, row: Insertable<RefundsTable>): Promise<RefundRow> {
  return db.insertInto('refunds').values(row).returningAll().executeTakeFirstOrThrow();
}

export async function listRefunds(
  db: Executor,
  accountId: number,
  paymentIds: number[],
): Promise<RefundRow[]> {
  if (paymentIds.length === 0) return [];
  return db
    .selectFrom('refunds')
    .selectAll()
    .where('account_id', '=', accountId)
    .where('payment_id', 'in', paymentIds)
    .orderBy('id')
    .execute();
}

export async function insertReceipt(db: Executor, row: Insertable<ReceiptsTable>): Promise<ReceiptRow> {
  return db.insertInto('receipts').values(row).returningAll().executeTakeFirstOrThrow();
}

export async function markReceiptRowSent(
  db: Executor,
  accountId: number,
  receiptId: number,
  now: Date,
): Promise<void> {
  await db
    .updateTable('receipts')
    .set({ sent_at: now })
    .where('account_id', '=', accountId)
    .where('id', '=', receiptId)
    .execute();
}

export async function findReceipt(
  db: Executor,
  accountId: number,
  receiptId: number,
): Promise<ReceiptRow | undefined> {
  return db
    .selectFrom('receipts')
    .selectAll()
    .where('account_id', '=', accountId)
    .where('id', '=', receiptId)
    .executeTakeFirst();
}

// ---- instalment plans

import type { InstalmentPlansTable, InstalmentsTable } from '../db/schema-collections.ts';
export type { AttemptPurpose, PaymentMethod } from '../db/schema-collections.ts';

export type PlanRow = Selectable<InstalmentPlansTable>;
export type InstalmentRow = Selectable<InstalmentsTable>;
export interface PlanWithInstalments {
  plan: PlanRow;
  instalments: InstalmentRow[];
}

export async function insertPlan(
  db: Executor,
  row: Insertable<InstalmentPlansTable>,
  instalments: Omit<Insertable<InstalmentsTable>, 'plan_id' | 'account_id'>[],
): Promise<PlanWithInstalments> {
  const plan = await db.insertInto('instalment_plans').values(row).returningAll().executeTakeFirstOrThrow();
  const rows =
    instalments.length === 0
      ? []
      : await db
          .insertInto('instalments')
          .values(instalments.map((i) => ({ ...i, account_id: row.account_id, plan_id: Number(plan.id) })))
          .returningAll()
          .execute();
  return { plan, instalments: rows };
}

export async function activePlan(
  db: Executor,
  accountId: number,
  requestId: number,
): Promise<PlanWithInstalments | null> {
  const plan = await db
    .selectFrom('instalment_plans')
    .selectAll()
    .where('account_id', '=', accountId)
    .where('request_id', '=', requestId)
    .where('status', '=', 'active')
    .executeTakeFirst();
  if (!plan) return null;
  const instalments = await db
    .selectFrom('instalments')
    .selectAll()
    .where('account_id', '=', accountId)
    .where('plan_id', '=', Number(plan.id))
    .orderBy('seq')
    .execute();
  return { plan, instalments };
}

export async function findPlan(
  db: Executor,
  accountId: number,
  planId: number,
): Promise<PlanWithInstalments | null> {
  const plan = await db
    .selectFrom('instalment_plans')
    .selectAll()
    .where('account_id', '=', accountId)
    .where('id', '=', planId)
    .executeTakeFirst();
  if (!plan) return null;
  const instalments = await db
    .selectFrom('instalments')
    .selectAll()
    .where('account_id', '=', accountId)
    .where('plan_id', '=', planId)
    .orderBy('seq')
    .execute();
  return { plan, instalments };
}

export async function setPlanStatus(
  db: Executor,
  accountId: number,
  planId: number,
  status: 'active' | 'completed' | 'cancelled',
  now: Date,
): Promise<void> {
  await db
    .updateTable('instalment_plans')
    .set({ status, updated_at: now })
    .where('account_id', '=', accountId)
    .where('id', '=', planId)
    .execute();
}

/**
 * Settles the active plans paying an invoice (or a standalone request) once nothing is left to pay on it: their
 * unpaid instalments are cancelled (never charged) and the plans completed. The caller holds the invoice (or
 * request) lock. Returns how many plans were settled.
 */
export async function settleActivePlans(
  db: Executor,
  accountId: number,
  of: { invoiceId: number } | { requestId: number },
  now: Date,
): Promise<number> {
  const plans = await db
    .updateTable('instalment_plans')
    .set({ status: 'completed', updated_at: now })
    .where('account_id', '=', accountId)
    .where('status', '=', 'active')
    .where(
      'invoice_id' in of ? 'invoice_id' : 'request_id',
      '=',
      'invoiceId' in of ? of.invoiceId : of.requestId,
    )
    .returning('id')
    .execute();
  if (plans.length === 0) return 0;
  await db
    .updateTable('instalments')
    .set({ status: 'cancelled', last_error: 'not charged: the invoice was paid in full another way' })
    .where('account_id', '=', accountId)
    .where(
      'plan_id',
      'in',
      plans.map((p) => Number(p.id)),
    )
    .where('status', 'in', ['due', 'missed'])
    .execute();
  return plans.length;
}

/** Due instalments of active plans, across accounts (the scheduler), oldest first; bounded. */
export async function dueInstalments(
  db: Executor,
  onOrBefore: string,
  limit: number,
): Promise<(InstalmentRow & { request_id: number; card_token: string | null; currency: string })[]> {
  const rows = await db
    .selectFrom('instalments as i')
    .innerJoin('instalment_plans as p', (j) =>
      j.onRef('p.account_id', '=', 'i.account_id').onRef('p.id', '=', 'i.plan_id'),
    )
    .selectAll('i')
    .select(['p.request_id', 'p.card_token', 'p.currency'])
    .where('i.status', '=', 'due')
    .where('i.due_date', '<=', onOrBefore)
    .where('p.status', '=', 'active')
    .orderBy('i.due_date')
    .limit(limit)
    .execute();
  return rows.map((r) => ({ ...r, request_id: Number(r.request_id) }));
}

export async function lockInstalment(
  db: Executor,
  accountId: number,
  planId: number,
  seq: number,
): Promise<InstalmentRow | undefined> {
  return db
    .selectFrom('instalments')
    .selectAll()
    .where('account_id', '=', accountId)
    .where('plan_id', '=', planId)
    .where('seq', '=', seq)
    .forUpdate()
    .executeTakeFirst();
}

export async function markInstalment(
  db: Executor,
  accountId: number,
  planId: number,
  seq: number,
  change: {
    status: 'due' | 'paid' | 'missed' | 'cancelled';
    paymentId?: number | null;
    error?: string | null;
    at: Date;
    attempted: boolean;
  },
): Promise<void> {
  await db
    .updateTable('instalments')
    .set({
      status: change.status,
      ...(change.paymentId !== undefined ? { payment_id: change.paymentId } : {}),
      ...(change.status === 'paid' ? { paid_at: change.at } : {}),
      ...(change.attempted
        ? { attempts: sql`attempts + 1`, last_attempt_at: change.at, last_error: change.error ?? null }
        : {}),
    })
    .where('account_id', '=', accountId)
    .where('plan_id', '=', planId)
    .where('seq', '=', seq)
    .execute();
}
