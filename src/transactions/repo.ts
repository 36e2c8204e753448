import { sql } from 'kysely';
import type { Executor } from '../context.ts';
import type { BillingTransactionRow, BillingTransactionUpdate, NewBillingTransaction } from '../db/schema.ts';
import type { IsoDate } from '../shared/dates.ts';
import { toPage, type Page, type PageRequest } from '../shared/pagination.ts';

/** Inserts charges in multi-row statements of bounded size. */
export async function insertTransactions(db: Executor, rows: NewBillingTransaction[]): Promise<BillingTransactionRow[]> {
  const out: BillingTransactionRow[] = [];
  const CHUNK = 500; // 40-odd columns each: well under PostgreSQL's 65,535 parameters
  for (let i = 0; i < rows.length; i += CHUNK) {
    out.push(...(await db.insertInto('billing_transactions').values(rows.slice(i, i + CHUNK)).returningAll().execute()));
  }
  return out;
}

export async function findTransaction(db: Executor, accountId: number, id: number): Promise<BillingTransactionRow | undefined> {
  return db.selectFrom('billing_transactions').selectAll().where('account_id', '=', accountId).where('id', '=', id).executeTakeFirst();
}

export async function lockTransaction(db: Executor, accountId: number, id: number): Promise<BillingTransactionRow | undefined> {
  return db
    .selectFrom('billing_transactions')
    .selectAll()
    .where('account_id', '=', accountId)
    .where('id', '=', id)
    .forUpdate()
    .executeTakeFirst();
}

export async function findTransactions(db: Executor, accountId: number, ids: number[]): Promise<BillingTransactionRow[]> {
  if (ids.length === 0) return [];
  return db.selectFrom('billing_transactions').selectAll().where('account_id', '=', accountId).where('id', 'in', ids).execute();
}

export interface TransactionFilter {
  customerId?: number | undefined;
  featureId?: number | undefined;
  invoiceId?: number | undefined;
  /** 'raised' (default: on raised invoices), 'unsent' (on the unsent invoice) or 'all'. */
  state: 'raised' | 'unsent' | 'all';
  invoiceIdAfter?: number | undefined;
}

export async function listTransactions(
  db: Executor,
  accountId: number,
  filter: TransactionFilter,
  page: PageRequest,
): Promise<Page<BillingTransactionRow>> {
  let q = db
    .selectFrom('billing_transactions as t')
    .selectAll('t')
    .where('t.account_id', '=', accountId);
  if (filter.state !== 'all') {
    q = q
      .innerJoin('invoices as i', (join) => join.onRef('i.account_id', '=', 't.account_id').onRef('i.id', '=', 't.invoice_id'))
      .where('i.approved_at', filter.state === 'raised' ? 'is not' : 'is', null);
  }
  if (filter.customerId !== undefined) q = q.where('t.customer_id', '=', filter.customerId);
  if (filter.featureId !== undefined) q = q.where('t.feature_id', '=', filter.featureId);
  if (filter.invoiceId !== undefined) q = q.where('t.invoice_id', '=', filter.invoiceId);
  if (filter.invoiceIdAfter !== undefined) q = q.where('t.invoice_id', '>', filter.invoiceIdAfter);
  if (page.after !== undefined) q = q.where('t.id', '>', page.after);
  const rows = await q.orderBy('t.id').limit(page.limit + 1).execute();
  return toPage(rows, page.limit);
}

export async function updateTransactionRow(
  db: Executor,
  accountId: number,
  id: number,
  values: BillingTransactionUpdate,
): Promise<BillingTransactionRow | undefined> {
  return db
    .updateTable('billing_transactions')
    .set(values)
    .where('account_id', '=', accountId)
    .where('id', '=', id)
    .returningAll()
    .executeTakeFirst();
}

export async function deleteTransactionRows(db: Executor, accountId: number, ids: number[]): Promise<void> {
  if (ids.length === 0) return;
  await db.deleteFrom('billing_transactions').where('account_id', '=', accountId).where('id', 'in', ids).execute();
}

/** Which charges an invoice takes by date: by bill date before the cut-off, or by transaction date. */
export type InclusionRule = { by: 'billDate'; before: IsoDate } | { by: 'transactionDate'; before: IsoDate };

function ruleColumn(rule: InclusionRule) {
  return rule.by === 'billDate' ? 't.bill_date' : 't.transaction_date';
}

/**
 * Takes entered charges that no longer qualify off unsent invoices, so they wait for a later one.
 * Generated recurring charges and charges attached explicitly (pinned) stay.
 */
export async function detachNonQualifying(db: Executor, accountId: number, invoiceIds: number[], rule: InclusionRule, now: Date): Promise<void> {
  if (invoiceIds.length === 0) return;
  await db
    .updateTable('billing_transactions as t')
    .set({ invoice_id: null, updated_at: now })
    .where('t.account_id', '=', accountId)
    .where('t.invoice_id', 'in', invoiceIds)
    .where('t.origin', '=', 'api')
    .where('t.pinned', '=', false)
    .where(ruleColumn(rule), '>=', rule.before)
    .execute();
}

/** Puts each customer's unbilled qualifying charges on that customer's unsent invoice. */
export async function attachQualifying(db: Executor, accountId: number, invoiceIds: number[], rule: InclusionRule, now: Date): Promise<void> {
  if (invoiceIds.length === 0) return;
  await db
    .updateTable('billing_transactions as t')
    .from('invoices as i')
    .set({ invoice_id: sql<number>`i.id`, updated_at: now })
    .where('i.account_id', '=', accountId)
    .where('i.id', 'in', invoiceIds)
    .where('i.approved_at', 'is', null)
    .where('t.account_id', '=', accountId)
    .whereRef('t.customer_id', '=', 'i.customer_id')
    .where('t.invoice_id', 'is', null)
    .where(ruleColumn(rule), '<', rule.before)
    .execute();
}

/** Customers among these with unbilled charges that qualify for an invoice under the rule. */
export async function customersWithQualifyingCharges(db: Executor, accountId: number, customerIds: number[], rule: InclusionRule): Promise<Set<number>> {
  if (customerIds.length === 0) return new Set();
  const rows = await db
    .selectFrom('billing_transactions as t')
    .select('t.customer_id')
    .distinct()
    .where('t.account_id', '=', accountId)
    .where('t.customer_id', 'in', customerIds)
    .where('t.invoice_id', 'is', null)
    .where(ruleColumn(rule), '<', rule.before)
    .execute();
  return new Set(rows.map((r) => r.customer_id));
}

export async function pinToInvoice(db: Executor, accountId: number, ids: number[], invoiceId: number, now: Date): Promise<void> {
  if (ids.length === 0) return;
  await db
    .updateTable('billing_transactions')
    .set({ invoice_id: invoiceId, pinned: true, updated_at: now })
    .where('account_id', '=', accountId)
    .where('id', 'in', ids)
    .execute();
}

/** On deleting an unsent invoice: entered charges go back to unbilled, generated ones are removed. */
export async function releaseInvoiceCharges(db: Executor, accountId: number, invoiceId: number, now: Date): Promise<void> {
  await db
    .deleteFrom('billing_transactions')
    .where('account_id', '=', accountId)
    .where('invoice_id', '=', invoiceId)
    .where('origin', '=', 'recurring')
    .execute();
  await db
    .updateTable('billing_transactions')
    .set({ invoice_id: null, pinned: false, updated_at: now })
    .where('account_id', '=', accountId)
    .where('invoice_id', '=', invoiceId)
    .execute();
}

/** Sum of refunds already made against a transaction (a negative amount, or "0"). */
export async function refundedSoFar(db: Executor, accountId: number, refundedId: number, excludeId?: number): Promise<string> {
  let q = db
    .selectFrom('billing_transactions')
    .select(sql<string>`coalesce(sum(value), 0)`.as('total'))
    .where('account_id', '=', accountId)
    .where('refunded_id', '=', refundedId);
  if (excludeId !== undefined) q = q.where('id', '!=', excludeId);
  const row = await q.executeTakeFirstOrThrow();
  return String(row.total);
}

/** Invoice ids (unsent or raised) that hold any of a feature's charges, split by state. */
export async function featureChargeInvoices(db: Executor, accountId: number, featureId: number): Promise<{ raised: boolean; unsentInvoiceIds: number[] }> {
  const rows = await db
    .selectFrom('billing_transactions as t')
    .leftJoin('invoices as i', (join) => join.onRef('i.account_id', '=', 't.account_id').onRef('i.id', '=', 't.invoice_id'))
    .select(['t.invoice_id', 'i.approved_at'])
    .distinct()
    .where('t.account_id', '=', accountId)
    .where('t.feature_id', '=', featureId)
    .execute();
  return {
    raised: rows.some((r) => r.approved_at !== null),
    unsentInvoiceIds: rows.filter((r) => r.invoice_id !== null && r.approved_at === null).map((r) => r.invoice_id!),
  };
}

export async function deleteFeatureCharges(db: Executor, accountId: number, featureId: number): Promise<void> {
  await db.deleteFrom('billing_transactions').where('account_id', '=', accountId).where('feature_id', '=', featureId).execute();
}
