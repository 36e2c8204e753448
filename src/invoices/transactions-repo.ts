import { type RawBuilder, sql } from 'kysely';
import type { Executor } from '../context.ts';
import type { BillingTransactionRow, BillingTransactionUpdate, NewBillingTransaction } from '../db/schema.ts';
import type { ChargeGroup } from './totals.ts';
import type { DiscountableLine } from '../discounts/rules.ts';
import type { IsoDate } from '../shared/dates.ts';
import { toPage, type Page, type PageRequest } from '../shared/pagination.ts';
import type { TransactionType } from '../shared/transaction-types.ts';
import { anyId, idArray, plainArray, textArray } from '../db/sql.ts';
import { featureRowsSql } from '../features/repo.ts';
export type {
  BillingTransactionRow,
  BillingTransactionUpdate,
  BillingTransactionsTable,
} from '../db/schema.ts';

/** A charge Ringbill generates (a recurring charge, a call summary): only the fields such charges use. */
export interface GeneratedCharge {
  accountId: number;
  customerId: number;
  featureId: number | null;
  invoiceId: number;
  origin: 'recurring' | 'calls' | 'adjustment' | 'discount' | 'fee';
  type: TransactionType;
  description: string;
  transactionDate: IsoDate;
  billDate: IsoDate;
  startDate: IsoDate | null;
  endDate: IsoDate | null;
  value: string;
  vatRate: string;
  valueCarrier: string | null;
  callCount: number | null;
  callMinutes: number | null;
  callDestination: string | null;
  /** For a late fee or interest: the overdue invoice it is for. */
  sourceInvoiceId?: number | null;
}

/**
 * Inserts generated charges in one statement (unnest of column arrays: cheaper to send and plan than a
 * multi-row VALUES).
 */
export async function insertGeneratedCharges(
  db: Executor,
  charges: GeneratedCharge[],
  now: Date,
): Promise<void> {
  if (charges.length === 0) return;
  const col = <T>(pick: (c: GeneratedCharge) => T) => charges.map(pick);
  await sql`
    insert into billing_transactions (account_id, customer_id, feature_id, invoice_id, origin, transaction_type, description, source,
      feature_count, transaction_date, bill_date, start_date, end_date, value, vat_rate, value_carrier, call_count, call_minutes,
      call_destination, source_invoice_id, created_at, updated_at)
    select v.account_id, v.customer_id, v.feature_id, v.invoice_id, v.origin, v.transaction_type, v.description, v.origin,
      case when v.feature_id is null then null else 1 end, v.transaction_date, v.bill_date, v.start_date, v.end_date, v.value,
      v.vat_rate, v.value_carrier, v.call_count, v.call_minutes, v.call_destination, v.source_invoice_id, ${now}, ${now}
    from unnest(
      ${plainArray(col((c) => c.accountId))}::bigint[], ${plainArray(col((c) => c.customerId))}::bigint[], ${plainArray(col((c) => c.featureId))}::bigint[],
      ${plainArray(col((c) => c.invoiceId))}::bigint[], ${textArray(col((c) => c.origin))}::text[], ${textArray(col((c) => c.type))}::text[],
      ${textArray(col((c) => c.description))}::text[], ${plainArray(col((c) => c.transactionDate))}::date[], ${plainArray(col((c) => c.billDate))}::date[],
      ${plainArray(col((c) => c.startDate))}::date[], ${plainArray(col((c) => c.endDate))}::date[], ${plainArray(col((c) => c.value))}::numeric[],
      ${plainArray(col((c) => c.vatRate))}::numeric[], ${plainArray(col((c) => c.valueCarrier))}::numeric[], ${plainArray(col((c) => c.callCount))}::integer[],
      ${plainArray(col((c) => c.callMinutes))}::bigint[], ${textArray(col((c) => c.callDestination))}::text[], ${plainArray(col((c) => c.sourceInvoiceId ?? null))}::bigint[]
    ) as v(account_id, customer_id, feature_id, invoice_id, origin, transaction_type, description, transaction_date, bill_date,
           start_date, end_date, value, vat_rate, value_carrier, call_count, call_minutes, call_destination, source_invoice_id)
  `.execute(db);
}

/**
 * The recurring charges (not credits) made for these features for days after each one's end date: what a
 * credit for those days gives back. Newest first, so a period charged again (after an invoice was deleted)
 * is credited at its latest charge.
 */
export async function recurringChargesAfterEnd(
  db: Executor,
  accountId: number,
  featureIds: readonly number[],
): Promise<{ feature_id: number; start_date: IsoDate; end_date: IsoDate; value: string }[]> {
  if (featureIds.length === 0) return [];
  const result = await sql<{ feature_id: number; start_date: IsoDate; end_date: IsoDate; value: string }>`
    select t.feature_id, t.start_date, t.end_date, t.value
    from billing_transactions as t
    join ${featureRowsSql()} as f on f.account_id = t.account_id and f.id = t.feature_id
    where t.account_id = ${accountId} and t.feature_id = ${anyId(featureIds)} and t.origin = 'recurring' and t.value > 0
      and t.start_date is not null and t.end_date is not null and f.end_date is not null and t.end_date > f.end_date
    order by t.id desc
  `.execute(db);
  return result.rows.map((r) => ({ ...r, feature_id: Number(r.feature_id) }));
}

/** Inserts charges in multi-row statements of bounded size. */
export async function insertTransactions(
  db: Executor,
  rows: NewBillingTransaction[],
): Promise<BillingTransactionRow[]> {
  const out: BillingTransactionRow[] = [];
  const CHUNK = 500; // 40-odd columns each: well under PostgreSQL's 65,535 parameters
  for (let i = 0; i < rows.length; i += CHUNK) {
    out.push(
      ...(await db
        .insertInto('billing_transactions')
        .values(rows.slice(i, i + CHUNK))
        .returningAll()
        .execute()),
    );
  }
  return out;
}

export async function findTransaction(
  db: Executor,
  accountId: number,
  id: number,
): Promise<BillingTransactionRow | undefined> {
  return db
    .selectFrom('billing_transactions')
    .selectAll()
    .where('account_id', '=', accountId)
    .where('id', '=', id)
    .executeTakeFirst();
}

export async function lockTransaction(
  db: Executor,
  accountId: number,
  id: number,
): Promise<BillingTransactionRow | undefined> {
  return db
    .selectFrom('billing_transactions')
    .selectAll()
    .where('account_id', '=', accountId)
    .where('id', '=', id)
    .forUpdate()
    .executeTakeFirst();
}

export async function findTransactions(
  db: Executor,
  accountId: number,
  ids: number[],
): Promise<BillingTransactionRow[]> {
  if (ids.length === 0) return [];
  return db
    .selectFrom('billing_transactions')
    .selectAll()
    .where('account_id', '=', accountId)
    .where('id', 'in', ids)
    .execute();
}

export interface TransactionFilter {
  customerId?: number | undefined;
  featureId?: number | undefined;
  invoiceId?: number | undefined;
  /** 'raised' (default: on raised invoices), 'unsent' (on the unsent invoice) or 'all'. */
  state: 'raised' | 'unsent' | 'all';
  invoiceIdAfter?: number | undefined;
  createdSince?: Date | undefined;
}

export async function listTransactions(
  db: Executor,
  accountId: number,
  filter: TransactionFilter,
  page: PageRequest,
): Promise<Page<BillingTransactionRow>> {
  let q = db.selectFrom('billing_transactions as t').selectAll('t').where('t.account_id', '=', accountId);
  if (filter.state !== 'all') {
    q = q
      .innerJoin('invoices as i', (join) =>
        join.onRef('i.account_id', '=', 't.account_id').onRef('i.id', '=', 't.invoice_id'),
      )
      .where('i.approved_at', filter.state === 'raised' ? 'is not' : 'is', null);
  }
  if (filter.customerId !== undefined) q = q.where('t.customer_id', '=', filter.customerId);
  if (filter.featureId !== undefined) q = q.where('t.feature_id', '=', filter.featureId);
  if (filter.invoiceId !== undefined) q = q.where('t.invoice_id', '=', filter.invoiceId);
  if (filter.invoiceIdAfter !== undefined) q = q.where('t.invoice_id', '>', filter.invoiceIdAfter);
  if (filter.createdSince !== undefined) q = q.where('t.created_at', '>=', filter.createdSince);
  if (page.after !== undefined) q = q.where('t.id', '>', page.after);
  const rows = await q
    .orderBy('t.id')
    .limit(page.limit + 1)
    .execute();
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
  await db
    .deleteFrom('billing_transactions')
    .where('account_id', '=', accountId)
    .where('id', 'in', ids)
    .execute();
}

/** Which charges an invoice takes by date: by bill date before the cut-off, or by transaction date. */
export type InclusionRule = { by: 'billDate'; before: IsoDate } | { by: 'transactionDate'; before: IsoDate };

function ruleColumn(rule: InclusionRule) {
  return rule.by === 'billDate' ? 't.bill_date' : 't.transaction_date';
}

/** Charges moved onto or off an invoice, summed by type and VAT rate: what its totals change by. */
export interface MovedGroup extends ChargeGroup {
  invoiceId: number;
}

type MovedRow = {
  invoice_id: number | null;
  transaction_type: string;
  vat_rate: string;
  value: string;
  call_count: number;
  call_minutes: number;
};

/** Sums the rows a data-modifying CTE returned per invoice, type and VAT rate. */
function sumMoved(cte: RawBuilder<unknown>) {
  return sql`
    select invoice_id, transaction_type, vat_rate, sum(value) as value,
           coalesce(sum(call_count), 0)::bigint as call_count, coalesce(sum(call_minutes), 0)::bigint as call_minutes
    from ${cte} group by invoice_id, transaction_type, vat_rate`;
}

function toMovedGroups(rows: MovedRow[]): MovedGroup[] {
  return rows.map((r) => ({
    invoiceId: Number(r.invoice_id),
    type: r.transaction_type as TransactionType,
    vatRate: r.vat_rate,
    value: String(r.value),
    callCount: Number(r.call_count),
    callMinutes: Number(r.call_minutes),
  }));
}

/**
 * Takes entered charges that no longer qualify off unsent invoices, so they wait for a later one.
 * Generated recurring charges and charges attached explicitly (pinned) stay. Returns what was taken off.
 */
export async function detachNonQualifying(
  db: Executor,
  accountId: number,
  invoiceIds: number[],
  rule: InclusionRule,
  now: Date,
): Promise<MovedGroup[]> {
  if (invoiceIds.length === 0) return [];
  const column = rule.by === 'billDate' ? 'bill_date' : 'transaction_date';
  const result = await sql<MovedRow>`
    with moved as (
      update billing_transactions as t
      set invoice_id = null, updated_at = ${now}
      from (select id, invoice_id from billing_transactions
            where account_id = ${accountId} and invoice_id = any(${idArray(invoiceIds)}::bigint[])
              and origin = 'api' and not pinned and ${sql.ref(column)} >= ${rule.before}
            for update) as old
      where t.account_id = ${accountId} and t.id = old.id
      returning old.invoice_id, t.transaction_type, t.vat_rate, t.value, t.call_count, t.call_minutes
    )
    ${sumMoved(sql.raw('moved'))}
  `.execute(db);
  return toMovedGroups(result.rows);
}

/** Puts each customer's unbilled qualifying charges on that customer's unsent invoice; returns what moved. */
export async function attachQualifying(
  db: Executor,
  accountId: number,
  invoiceIds: number[],
  rule: InclusionRule,
  now: Date,
): Promise<MovedGroup[]> {
  if (invoiceIds.length === 0) return [];
  const column = rule.by === 'billDate' ? 't.bill_date' : 't.transaction_date';
  const result = await sql<MovedRow>`
    with moved as (
      update billing_transactions as t
      set invoice_id = i.id, updated_at = ${now}
      from invoices as i
      where i.account_id = ${accountId} and i.id = any(${idArray(invoiceIds)}::bigint[]) and i.approved_at is null
        and t.account_id = ${accountId} and t.customer_id = i.customer_id and t.invoice_id is null
        and ${sql.ref(column)} < ${rule.before}
      returning t.invoice_id, t.transaction_type, t.vat_rate, t.value, t.call_count, t.call_minutes
    )
    ${sumMoved(sql.raw('moved'))}
  `.execute(db);
  return toMovedGroups(result.rows);
}

/** Customers among these with unbilled charges that qualify for an invoice under the rule. */
export async function customersWithQualifyingCharges(
  db: Executor,
  accountId: number,
  customerIds: number[],
  rule: InclusionRule,
): Promise<Set<number>> {
  if (customerIds.length === 0) return new Set();
  // One probe per customer that stops at its first such charge (billing_transactions_unbilled), rather than
  // a DISTINCT over all of them: a batch of customers with a hundred unbilled charges each read 100,000
  // index entries to answer 1,000 yes-or-no questions.
  const result = await sql<{ id: number }>`
    select v.id from unnest(${idArray(customerIds)}::bigint[]) as v(id)
    where exists (select 1 from billing_transactions as t
                  where t.account_id = ${accountId} and t.customer_id = v.id and t.invoice_id is null
                    and ${sql.ref(ruleColumn(rule))} < ${rule.before})
  `.execute(db);
  return new Set(result.rows.map((r) => Number(r.id)));
}

/** Pins charges to an invoice (named in _includeTransactionIDs); returns those that were unbilled before. */
export async function pinToInvoice(
  db: Executor,
  accountId: number,
  ids: number[],
  invoiceId: number,
  now: Date,
): Promise<MovedGroup[]> {
  if (ids.length === 0) return [];
  await db
    .updateTable('billing_transactions')
    .set({ pinned: true, updated_at: now })
    .where('account_id', '=', accountId)
    .where('id', 'in', ids)
    .where('invoice_id', '=', invoiceId)
    .execute();
  const result = await sql<MovedRow>`
    with moved as (
      update billing_transactions set invoice_id = ${invoiceId}, pinned = true, updated_at = ${now}
      where account_id = ${accountId} and id = any(${ids}::bigint[]) and invoice_id is null
      returning invoice_id, transaction_type, vat_rate, value, call_count, call_minutes
    )
    ${sumMoved(sql.raw('moved'))}
  `.execute(db);
  return toMovedGroups(result.rows);
}

/**
 * On deleting an unsent invoice: entered charges go back to unbilled; generated ones (recurring charges,
 * call summaries) are removed, to be generated again by the next invoice.
 */
export async function releaseInvoiceCharges(
  db: Executor,
  accountId: number,
  invoiceId: number,
  now: Date,
): Promise<void> {
  await db
    .deleteFrom('billing_transactions')
    .where('account_id', '=', accountId)
    .where('invoice_id', '=', invoiceId)
    .where('origin', 'in', ['recurring', 'calls'])
    .execute();
  await db
    .updateTable('billing_transactions')
    .set({ invoice_id: null, pinned: false, updated_at: now })
    .where('account_id', '=', accountId)
    .where('invoice_id', '=', invoiceId)
    .execute();
}

/** Sum of refunds already made against a transaction (a negative amount, or "0"). */
export async function refundedSoFar(
  db: Executor,
  accountId: number,
  refundedId: number,
  excludeId?: number,
): Promise<string> {
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
export async function featureChargeInvoices(
  db: Executor,
  accountId: number,
  featureId: number,
): Promise<{ raised: boolean; unsentInvoiceIds: number[] }> {
  const rows = await db
    .selectFrom('billing_transactions as t')
    .leftJoin('invoices as i', (join) =>
      join.onRef('i.account_id', '=', 't.account_id').onRef('i.id', '=', 't.invoice_id'),
    )
    .select(['t.invoice_id', 'i.approved_at'])
    .distinct()
    .where('t.account_id', '=', accountId)
    .where('t.feature_id', '=', featureId)
    .execute();
  return {
    raised: rows.some((r) => r.approved_at !== null),
    unsentInvoiceIds: rows
      .filter((r) => r.invoice_id !== null && r.approved_at === null)
      .map((r) => r.invoice_id!),
  };
}

export async function deleteFeatureCharges(
  db: Executor,
  accountId: number,
  featureId: number,
): Promise<void> {
  await db
    .deleteFrom('billing_transactions')
    .where('account_id', '=', accountId)
    .where('feature_id', '=', featureId)
    .execute();
}

/** Deletes the call summaries on these invoices; returns what they summed (for the totals). */
export async function deleteCallSummaries(
  db: Executor,
  accountId: number,
  invoiceIds: number[],
): Promise<MovedGroup[]> {
  if (invoiceIds.length === 0) return [];
  const result = await sql<MovedRow>`
    with gone as (
      delete from billing_transactions
      where account_id = ${accountId} and invoice_id = any(${idArray(invoiceIds)}::bigint[]) and origin = 'calls'
      returning invoice_id, transaction_type, vat_rate, value, call_count, call_minutes
    )
    ${sumMoved(sql.raw('gone'))}
  `.execute(db);
  return toMovedGroups(result.rows);
}

/** Deletes the discounts and fees on these invoices, returning what each was (to undo their marks). */
export async function deleteExtrasOf(
  trx: Executor,
  accountId: number,
  invoiceIds: number[],
): Promise<
  Array<{
    invoice_id: number;
    transaction_type: string;
    vat_rate: string;
    value: string;
    source_invoice_id: number | null;
    start_date: string | null;
  }>
> {
  const result = await sql<{
    invoice_id: number;
    transaction_type: string;
    vat_rate: string;
    value: string;
    source_invoice_id: number | null;
    start_date: string | null;
  }>`
    delete from billing_transactions
    where account_id = ${accountId} and invoice_id = any(${idArray(invoiceIds)}::bigint[]) and origin in ('discount', 'fee')
    returning invoice_id, transaction_type, vat_rate, value, source_invoice_id, start_date
  `.execute(trx);
  return result.rows;
}

/** Whether the account has any charge, billed or not. */
export async function accountHasCharges(db: Executor, accountId: number): Promise<boolean> {
  const row = await db
    .selectFrom('billing_transactions')
    .select('id')
    .where('account_id', '=', accountId)
    .limit(1)
    .executeTakeFirst();
  return row !== undefined;
}

/** Deletes a customer's charges (a customer never invoiced: all of them are unbilled). */
export async function deleteCustomerCharges(
  db: Executor,
  accountId: number,
  customerId: number,
): Promise<void> {
  await db
    .deleteFrom('billing_transactions')
    .where('account_id', '=', accountId)
    .where('customer_id', '=', customerId)
    .execute();
}

/** What discounts apply to: an invoice's lines other than discounts and fees. */
export async function discountableLines(
  db: Executor,
  accountId: number,
  invoiceIds: number[],
): Promise<Map<number, DiscountableLine[]>> {
  const out = new Map<number, DiscountableLine[]>();
  if (invoiceIds.length === 0) return out;
  const rows = await db
    .selectFrom('billing_transactions')
    .select(['invoice_id', 'transaction_type', 'value', 'vat_rate', 'call_minutes', 'call_destination', 'id'])
    .where('account_id', '=', accountId)
    .where('invoice_id', '=', anyId(invoiceIds))
    .where('origin', 'not in', ['discount', 'fee'])
    .orderBy('id')
    .execute();
  for (const r of rows) {
    const list = out.get(r.invoice_id!) ?? [];
    list.push({
      type: r.transaction_type as TransactionType,
      value: r.value,
      vatRate: r.vat_rate,
      callMinutes: Number(r.call_minutes ?? 0),
      destination: r.call_destination,
    });
    out.set(r.invoice_id!, list);
  }
  return out;
}

/** Upper bound on the lines one bill lists. */
export const MAX_BILL_LINES = 20_000;

/** An invoice's lines in the order a bill lists them. */
export async function invoiceLines(
  db: Executor,
  accountId: number,
  invoiceId: number,
): Promise<BillingTransactionRow[]> {
  return db
    .selectFrom('billing_transactions')
    .selectAll()
    .where('account_id', '=', accountId)
    .where('invoice_id', '=', invoiceId)
    .orderBy('transaction_date')
    .orderBy('id')
    .limit(MAX_BILL_LINES)
    .execute();
}

/**
 * The customers with unbilled charges dated (bill date) before the cut-off, as a relation of customer_id:
 * a billing run's candidates.
 */
export function customersWithUnbilledChargesSql(accountId: number, cutoffDate: IsoDate) {
  return sql`(select customer_id from billing_transactions
    where account_id = ${accountId} and invoice_id is null and bill_date < ${cutoffDate})`;
}
