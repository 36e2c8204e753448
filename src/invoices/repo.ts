import { sql } from 'kysely';
import type { Executor } from '../context.ts';
import type { InvoiceRow, InvoiceUpdate } from '../db/schema.ts';
import type { IsoDate } from '../shared/dates.ts';
import { toPage, type Page, type PageRequest } from '../shared/pagination.ts';
import { CHARGE_CATEGORIES, type ChargeGroup, type InvoiceTotals } from './totals.ts';
import { invoiceChargeSums } from './invoice-charges-repo.ts';
import {
  CATEGORY_COLUMNS,
  type InvoiceTotalsRow,
  totalsFromJson,
  totalsJsonSql,
} from './stored-totals-repo.ts';
import { anyId, idArray, idsWithin, plainArray } from '../db/sql.ts';
import { customerRows } from '../customers/reports-repo.ts';
export type { InvoiceRow, InvoiceUpdate } from '../db/schema.ts';

export async function findInvoice(
  db: Executor,
  accountId: number,
  invoiceId: number,
): Promise<InvoiceRow | undefined> {
  return db
    .selectFrom('invoices')
    .selectAll()
    .where('account_id', '=', accountId)
    .where('id', '=', invoiceId)
    .executeTakeFirst();
}

export async function lockInvoice(
  db: Executor,
  accountId: number,
  invoiceId: number,
): Promise<InvoiceRow | undefined> {
  return db
    .selectFrom('invoices')
    .selectAll()
    .where('account_id', '=', accountId)
    .where('id', '=', invoiceId)
    .forUpdate()
    .executeTakeFirst();
}

export async function findUnsentInvoices(
  db: Executor,
  accountId: number,
  customerIds: number[],
): Promise<InvoiceRow[]> {
  if (customerIds.length === 0) return [];
  return db
    .selectFrom('invoices')
    .selectAll()
    .where('account_id', '=', accountId)
    .where('customer_id', '=', anyId(customerIds))
    .where('approved_at', 'is', null)
    .execute();
}

/** The customers' unsent invoices, with only what completing them reads (a batch reads thousands). */
export async function findUnsentInvoiceTotals(
  db: Executor,
  accountId: number,
  customerIds: number[],
): Promise<InvoiceTotalsRow[]> {
  if (customerIds.length === 0) return [];
  const result = await sql<{ totals: string }>`
    select ${totalsJsonSql('i')} as totals from invoices as i
    where i.account_id = ${accountId} and ${idsWithin('i.customer_id', customerIds)} and i.approved_at is null
  `.execute(db);
  return result.rows.map((r) => totalsFromJson(r.totals));
}

/** Creates empty unsent invoices. The caller holds the customers' locks, so none exists yet. */
export async function insertUnsentInvoices(
  db: Executor,
  accountId: number,
  customerIds: number[],
  now: Date,
): Promise<InvoiceRow[]> {
  if (customerIds.length === 0) return [];
  return db
    .insertInto('invoices')
    .values(
      customerIds.map((customerId) => ({
        account_id: accountId,
        customer_id: customerId,
        created_at: now,
        updated_at: now,
      })),
    )
    .returningAll()
    .execute();
}

export interface CompletedInvoice {
  invoiceId: number;
  totals: InvoiceTotals;
  /** Features this completion billed for the first time on the invoice -> their billed_until before. */
  baseline: Record<string, string | null>;
  /** The billing run that bills it, or null to leave the invoice's as it is. */
  billingRunId: number | null;
  /** The totals as read under the customer's lock, if they were: columns no invoice changes are not sent. */
  stored?: InvoiceTotalsRow | undefined;
}

/**
 * The totals columns left out of a batch's statement when every invoice's new value is its stored one, as the
 * same text (a run that only adds recurring charges changes 1 of these 13 on most invoices). The net, VAT and
 * total are always written: they change with anything else.
 */
const KEPT_WHEN_UNCHANGED: readonly {
  column: keyof InvoiceTotalsRow;
  type: 'numeric' | 'bigint';
  value: (t: InvoiceTotals) => string | number;
}[] = [
  { column: 'call_count', type: 'bigint', value: (t) => t.callCount },
  { column: 'call_minutes', type: 'bigint', value: (t) => t.callMinutes },
  ...CHARGE_CATEGORIES.map((category) => ({
    column: CATEGORY_COLUMNS[category],
    type: 'numeric' as const,
    value: (t: InvoiceTotals) => t.charges[category],
  })),
];

/** Whether the invoice's stored value of a column is the new one: the same text (or the same count). */
function unchanged(invoice: CompletedInvoice, kept: (typeof KEPT_WHEN_UNCHANGED)[number]): boolean {
  if (invoice.stored === undefined) return false;
  const value = kept.value(invoice.totals);
  const stored = invoice.stored[kept.column];
  return typeof value === 'number' ? Number(stored) === value : stored === value;
}

/**
 * Writes everything completing does to invoices in one statement per batch: cut-offs, totals, recurring
 * baselines (first value kept: `new || old`) and the billing run.
 */
export async function saveCompletedInvoices(
  db: Executor,
  accountId: number,
  invoices: CompletedInvoice[],
  /** null: keep the invoices' cut-offs. */
  cutoffs: { cutoffDate: IsoDate; transactionCutoffDate: IsoDate | null } | null,
  now: Date,
): Promise<void> {
  if (invoices.length === 0) return;
  const col = <T>(pick: (i: CompletedInvoice) => T) => invoices.map(pick);
  const t = <T>(pick: (t: InvoiceTotals) => T) => invoices.map((i) => pick(i.totals));
  const ids = col((i) => i.invoiceId);
  // The two JSON columns go as one JSON array each, taken by position: a jsonb[] literal would escape every
  // quote of every invoice's JSON again (10 MB of strings a run of 10,000 invoices).
  const baselines = JSON.stringify(col((i) => i.baseline));
  const vatBreakdowns = JSON.stringify(t((x) => x.vatBreakdown));
  const written = KEPT_WHEN_UNCHANGED.filter((kept) => !invoices.every((i) => unchanged(i, kept)));
  const setWritten = written.map((kept) => sql`, ${sql.ref(kept.column)} = ${sql.ref(`v.${kept.column}`)}`);
  const arraysWritten = written.map((kept) => sql`, ${plainArray(t(kept.value))}::${sql.raw(kept.type)}[]`);
  const namesWritten = written.map((kept) => sql`, ${sql.ref(kept.column)}`);
  await sql`
    update invoices as i set
      ${cutoffs ? sql`cutoff_date = ${cutoffs.cutoffDate}, transaction_cutoff_date = ${cutoffs.transactionCutoffDate},` : sql``}
      billing_run_id = coalesce(v.billing_run_id, i.billing_run_id),
      recurring_baseline = (${baselines}::jsonb -> (v.n::integer - 1)) || i.recurring_baseline,
      invoice_amount = v.net, invoice_vat = v.vat, invoice_reverse_vat = v.reverse_vat, total = v.total,
      vat_breakdown = ${vatBreakdowns}::jsonb -> (v.n::integer - 1), updated_at = ${now}${sql.join(setWritten, sql``)}
    from unnest(
      ${idArray(ids)}::bigint[], ${plainArray(col((i) => i.billingRunId))}::bigint[],
      ${plainArray(t((x) => x.net))}::numeric[], ${plainArray(t((x) => x.vat))}::numeric[], ${plainArray(t((x) => x.reverseVat))}::numeric[],
      ${plainArray(t((x) => x.total))}::numeric[]${sql.join(arraysWritten, sql``)}
    ) with ordinality as v(id, billing_run_id, net, vat, reverse_vat, total${sql.join(namesWritten, sql``)}, n)
    where i.account_id = ${accountId} and i.id = v.id and i.approved_at is null
      and ${idsWithin('i.id', ids)}
  `.execute(db);
}

export interface InvoiceFilter {
  customerId?: number | undefined;
  /** 'raised' (default), 'unsent' or 'all'. */
  state: 'raised' | 'unsent' | 'all';
  invoiceNumber?: string | undefined;
  undelivered?: boolean | undefined;
  minDate?: IsoDate | undefined;
  maxDate?: IsoDate | undefined;
  minDueDate?: IsoDate | undefined;
  maxDueDate?: IsoDate | undefined;
  createdSince?: Date | undefined;
  billingRunId?: number | undefined;
}

export async function listInvoices(
  db: Executor,
  accountId: number,
  filter: InvoiceFilter,
  page: PageRequest,
): Promise<Page<InvoiceRow>> {
  let q = db.selectFrom('invoices').selectAll().where('account_id', '=', accountId);
  if (filter.customerId !== undefined) q = q.where('customer_id', '=', filter.customerId);
  if (filter.state === 'raised') q = q.where('approved_at', 'is not', null);
  if (filter.state === 'unsent') q = q.where('approved_at', 'is', null);
  if (filter.invoiceNumber !== undefined) q = q.where('invoice_number', '=', filter.invoiceNumber);
  if (filter.undelivered) {
    q = q
      .where('emailed_at', 'is', null)
      .where('downloaded_at', 'is', null)
      .where('printed_at', 'is', null)
      .where('delivered_at', 'is', null);
  }
  if (filter.minDate !== undefined) q = q.where('invoice_date', '>=', filter.minDate);
  if (filter.maxDate !== undefined) q = q.where('invoice_date', '<=', filter.maxDate);
  if (filter.minDueDate !== undefined) q = q.where('due_date', '>=', filter.minDueDate);
  if (filter.maxDueDate !== undefined) q = q.where('due_date', '<=', filter.maxDueDate);
  if (filter.createdSince !== undefined) q = q.where('created_at', '>=', filter.createdSince);
  if (filter.billingRunId !== undefined) q = q.where('billing_run_id', '=', filter.billingRunId);
  if (page.after !== undefined) q = q.where('id', '>', page.after);
  const rows = await q
    .orderBy('id')
    .limit(page.limit + 1)
    .execute();
  return toPage(rows, page.limit);
}

export async function updateInvoice(
  db: Executor,
  accountId: number,
  invoiceId: number,
  values: InvoiceUpdate,
): Promise<InvoiceRow | undefined> {
  return db
    .updateTable('invoices')
    .set(values)
    .where('account_id', '=', accountId)
    .where('id', '=', invoiceId)
    .returningAll()
    .executeTakeFirst();
}

export async function deleteInvoiceRow(db: Executor, accountId: number, invoiceId: number): Promise<void> {
  await db.deleteFrom('invoices').where('account_id', '=', accountId).where('id', '=', invoiceId).execute();
}

export async function accountHasInvoices(db: Executor, accountId: number): Promise<boolean> {
  const row = await db
    .selectFrom('invoices')
    .select('id')
    .where('account_id', '=', accountId)
    .limit(1)
    .executeTakeFirst();
  return row !== undefined;
}

/** The charges on some invoices, summed by invoice, type and VAT rate. */
export async function chargeGroups(
  db: Executor,
  accountId: number,
  invoiceIds: number[],
): Promise<Map<number, ChargeGroup[]>> {
  const out = new Map<number, ChargeGroup[]>(invoiceIds.map((id) => [id, []]));
  for (const { invoiceId, ...group } of await invoiceChargeSums(db, accountId, invoiceIds))
    out.get(invoiceId)!.push(group);
  return out;
}

/** Writes computed totals to many unsent invoices in one statement. */
export async function saveTotals(
  db: Executor,
  accountId: number,
  totals: { invoiceId: number; totals: InvoiceTotals }[],
  now: Date,
): Promise<void> {
  await saveCompletedInvoices(
    db,
    accountId,
    totals.map((t) => ({ ...t, baseline: {}, billingRunId: null })),
    null,
    now,
  );
}

/** Whether each invoice's customer is reverse-charged (VAT accounted for by the customer). */
export async function reverseChargeByInvoice(
  db: Executor,
  accountId: number,
  invoiceIds: number[],
): Promise<Map<number, boolean>> {
  if (invoiceIds.length === 0) return new Map();
  const rows = await db
    .selectFrom('invoices as i')
    .innerJoin(customerRows(db).as('c'), (join) =>
      join.onRef('c.account_id', '=', 'i.account_id').onRef('c.id', '=', 'i.customer_id'),
    )
    .select(['i.id', 'c.reverse_charge'])
    .where('i.account_id', '=', accountId)
    .where('i.id', 'in', invoiceIds)
    .execute();
  return new Map(rows.map((r) => [r.id, r.reverse_charge]));
}

/** Whether the customer has any invoice, unsent or raised (its history must stay). */
export async function customerHasInvoices(
  db: Executor,
  accountId: number,
  customerId: number,
): Promise<boolean> {
  const row = await db
    .selectFrom('invoices')
    .select('id')
    .where('account_id', '=', accountId)
    .where('customer_id', '=', customerId)
    .limit(1)
    .executeTakeFirst();
  return row !== undefined;
}

/**
 * What a customer owes on its invoices when its postpaid ledger opens: the outstanding total of its raised
 * invoices, and its unsent invoices (calls on those are not billed yet). One statement.
 */
export async function owedOnInvoices(
  db: Executor,
  accountId: number,
  customerId: number,
): Promise<{ unpaid: string; unsentInvoiceIds: number[] }> {
  const result = await sql<{ unpaid: string; unsent: (string | number)[] | null }>`
    select coalesce(sum(total - paid_amount) filter (where approved_at is not null and total > paid_amount), 0)::text as unpaid,
           array_agg(id order by id) filter (where approved_at is null) as unsent
    from invoices where account_id = ${accountId} and customer_id = ${customerId}
  `.execute(db);
  const row = result.rows[0];
  return { unpaid: String(row?.unpaid ?? '0'), unsentInvoiceIds: (row?.unsent ?? []).map(Number) };
}

/** The customers a billing run has billed so far (their invoices carry the run). */
export async function customersBilledByRun(
  db: Executor,
  accountId: number,
  runId: number,
): Promise<Set<number>> {
  const rows = await db
    .selectFrom('invoices')
    .select('customer_id')
    .where('account_id', '=', accountId)
    .where('billing_run_id', '=', runId)
    .execute();
  return new Set(rows.map((r) => r.customer_id));
}

/** Records when a bill was first emailed. */
export async function markEmailed(
  db: Executor,
  accountId: number,
  invoiceId: number,
  at: Date,
): Promise<void> {
  await db
    .updateTable('invoices')
    .set({ emailed_at: at })
    .where('account_id', '=', accountId)
    .where('id', '=', invoiceId)
    .where('emailed_at', 'is', null)
    .execute();
}

/** Records when a bill was first downloaded. */
export async function markDownloaded(
  db: Executor,
  accountId: number,
  invoiceId: number,
  at: Date,
): Promise<void> {
  await db
    .updateTable('invoices')
    .set({ downloaded_at: at })
    .where('account_id', '=', accountId)
    .where('id', '=', invoiceId)
    .where('downloaded_at', 'is', null)
    .execute();
}

/**
 * Moves an invoice's paid amount by `delta` (negative for a refund) and sets its paid date when it is now
 * fully paid (cleared when it no longer is). The caller holds the invoice lock.
 */
export async function addToInvoicePaid(
  db: Executor,
  accountId: number,
  invoiceId: number,
  delta: string,
  paidDate: string,
  now: Date,
): Promise<void> {
  await sql`
    update invoices set
      paid_amount = paid_amount + ${delta}::numeric,
      paid_date = case when total > 0 and paid_amount + ${delta}::numeric >= total then coalesce(paid_date, ${paidDate}::date) else null end,
      updated_at = ${now}
    where account_id = ${accountId} and id = ${invoiceId}
  `.execute(db);
}

/** Records how an invoice was paid (a card payment sets 'card'). The caller holds the invoice lock. */
export async function setInvoicePaymentMethod(
  db: Executor,
  accountId: number,
  invoiceId: number,
  method: string,
  now: Date,
): Promise<void> {
  await db
    .updateTable('invoices')
    .set({ payment_method: method, updated_at: now })
    .where('account_id', '=', accountId)
    .where('id', '=', invoiceId)
    .execute();
}

/** The customers with an unsent invoice, as a relation of customer_id (a billing run's candidates). */
export function customersWithUnsentInvoicesSql(accountId: number) {
  return sql`(select customer_id from invoices where account_id = ${accountId} and approved_at is null)`;
}

/** The customers with a raised invoice overdue before the cut-off, as a relation of customer_id (late fees). */
export function customersWithOverdueInvoicesSql(accountId: number, cutoffDate: IsoDate) {
  return sql`(select customer_id from invoices
    where account_id = ${accountId} and unsettled_amount > 0 and due_date < ${cutoffDate})`;
}
/**
 * A raised invoice's amounts join its month's revenue (invoice_months, the overview's chart), in the
 * approval's transaction: a raised invoice's amounts and date never change, and it is never deleted.
 */
export async function addToRevenueMonth(
  db: Executor,
  accountId: number,
  invoice: Pick<InvoiceRow, 'invoice_date' | 'invoice_amount' | 'invoice_vat' | 'total'>,
): Promise<void> {
  if (invoice.invoice_date === null) return;
  await sql`
    insert into invoice_months (account_id, month, invoices, net, vat, total)
    values (${accountId}, date_trunc('month', ${invoice.invoice_date}::date)::date, 1,
            ${invoice.invoice_amount}::numeric, ${invoice.invoice_vat}::numeric, ${invoice.total}::numeric)
    on conflict (account_id, month) do update set invoices = invoice_months.invoices + 1,
      net = invoice_months.net + excluded.net, vat = invoice_months.vat + excluded.vat,
      total = invoice_months.total + excluded.total
  `.execute(db);
}
