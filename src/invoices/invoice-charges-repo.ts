// Which invoice holds a charge, and the statements that move charges onto and off invoices. An invoice holds
// the charges whose invoice_id names it, and those in its range of its customer's charge ids with none
// written (migration 0031). Everything that asks "the charges on an invoice" or "the invoice of a charge"
// reads through here; transactions-repo.ts keeps the charges' own rows (insert, find, list, update, delete).
import { type RawBuilder, sql } from 'kysely';
import type { Executor } from '../context.ts';
import type { BillingTransactionRow } from '../db/schema.ts';
import type { ChargeGroup } from './totals.ts';
import type { DiscountableLine } from '../discounts/rules.ts';
import type { IsoDate } from '../shared/dates.ts';
import type { TransactionType } from '../shared/transaction-types.ts';
import { fromJsonRow, idArray, idsWithin, jsonRowSql } from '../db/sql.ts';
import { customerRowsSql } from '../customers/reports-repo.ts';
import { type InvoiceTotalsRow, totalsFromJson, totalsJsonSql } from './stored-totals-repo.ts';

// ---- Which invoice a charge is on
//
// An invoice holds the charges whose invoice_id names it, and those of its customer in its range of ids,
// (charges_after_id, charges_through_id], whose invoice_id is null and that are not left out (migration
// 0031): completing an invoice extends its range over the charges it takes instead of writing invoice_id on
// each. Every reader of "the charges on an invoice" or "the invoice of a charge" goes through the helpers
// below; invoice_id is written only for the exceptions (posted to an invoice, named in _includeTransactionIDs,
// generated, or taken by an invoice after waiting). Writing a charge's invoice_id as null marks it left out
// (it waits for a later invoice, whatever range it is in); writing one clears the mark.

/**
 * Charge `t` (an alias of billing_transactions) is on invoice `r` (an alias of invoices) by `r`'s range:
 * its customer's, inside the range, with no invoice written and not left out. The one statement of the rule.
 */
function heldByRangeSql(t: string, r: string) {
  const [c, i] = [sql.ref(t), sql.ref(r)];
  return sql`${c}.account_id = ${i}.account_id and ${c}.customer_id = ${i}.customer_id
    and ${c}.id > ${i}.charges_after_id and ${c}.id <= ${i}.charges_through_id
    and ${c}.invoice_id is null and not ${c}.left_out`;
}

/** The invoice whose range holds charge `t` (an alias of billing_transactions), when its invoice_id is null. */
export function rangeInvoiceSql(t: string) {
  const a = sql.ref(t);
  return sql<number | null>`case when ${a}.invoice_id is null and not ${a}.left_out then (
    select r.id from invoices as r where ${heldByRangeSql(t, 'r')}) end`;
}

/** The invoice charge `t` is on (written, or by range), or null. */
export function billedInvoiceSql(t: string) {
  return sql<number | null>`coalesce(${sql.ref(t)}.invoice_id, ${rangeInvoiceSql(t)})`;
}

/**
 * The charges on these invoices as a relation: every column of billing_transactions, with
 * `billed_invoice_id` the invoice each is on. Two index scans: invoice_id written, then each invoice's range.
 */
export function invoiceChargesSql(accountId: number, invoiceIds: readonly number[]) {
  const ids = idArray(invoiceIds);
  return sql`(
    select t.*, t.invoice_id as billed_invoice_id from billing_transactions as t
    where t.account_id = ${accountId} and t.invoice_id = any(${ids}::bigint[])
    union all
    select t.*, r.id as billed_invoice_id from invoices as r
    join billing_transactions as t on ${heldByRangeSql('t', 'r')}
    where r.account_id = ${accountId} and r.id = any(${ids}::bigint[]))`;
}

/** A row read with `billed_invoice_id` as its invoice_id. */
export function asBilled<T extends { invoice_id: number | null }>(
  row: T & { billed_invoice_id?: number | null },
): T {
  const { billed_invoice_id: billed, ...rest } = row;
  return {
    ...(rest as unknown as T),
    invoice_id: billed === undefined || billed === null ? null : Number(billed),
  };
}

/** Fills in invoice_id of the charges among these that an invoice holds by its range. */
export async function withRangeInvoices<T extends BillingTransactionRow>(
  db: Executor,
  accountId: number,
  rows: T[],
): Promise<T[]> {
  const open = rows.filter((r) => r.invoice_id === null && !r.left_out);
  if (open.length === 0) return rows;
  const result = await sql<{ id: number; invoice_id: number }>`
    select v.id, r.id as invoice_id
    from unnest(${idArray(open.map((r) => r.id))}::bigint[], ${idArray(open.map((r) => r.customer_id))}::bigint[]) as v(id, customer_id)
    join invoices as r on r.account_id = ${accountId} and r.customer_id = v.customer_id
      and r.charges_after_id < v.id and r.charges_through_id >= v.id
  `.execute(db);
  const byCharge = new Map(result.rows.map((r) => [Number(r.id), Number(r.invoice_id)]));
  for (const row of open) row.invoice_id = byCharge.get(row.id) ?? null;
  return rows;
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

export type MovedRow = {
  invoice_id: number | null;
  transaction_type: string;
  vat_rate: string;
  value: string;
  call_count: number;
  call_minutes: number;
};

/** Sums the rows a data-modifying CTE returned per invoice, type and VAT rate. */
export function sumMoved(cte: RawBuilder<unknown>) {
  return sql`
    select invoice_id, transaction_type, vat_rate, sum(value) as value,
           coalesce(sum(call_count), 0)::bigint as call_count, coalesce(sum(call_minutes), 0)::bigint as call_minutes
    from ${cte} group by invoice_id, transaction_type, vat_rate`;
}

export function toMovedGroups(rows: MovedRow[]): MovedGroup[] {
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
 * Takes entered charges that no longer qualify off unsent invoices, so they wait for a later one (left out).
 * Generated recurring charges and charges attached explicitly (pinned) stay. Returns what was taken off.
 * An invoice's range is searched only when its cut-off moved earlier or changed kind: everything in the range
 * qualified under the cut-off it was completed for, so also under a later one.
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
  const ids = idArray(invoiceIds);
  const stillQualifies =
    rule.by === 'billDate'
      ? sql`r.transaction_cutoff_date is null and r.cutoff_date <= ${rule.before}`
      : sql`r.transaction_cutoff_date <= ${rule.before}`;
  const result = await sql<MovedRow>`
    with written as (
      update billing_transactions as t
      set invoice_id = null, left_out = true, updated_at = ${now}
      from (select id, invoice_id from billing_transactions
            where account_id = ${accountId} and invoice_id = any(${ids}::bigint[])
              and origin = 'api' and not pinned and ${sql.ref(column)} >= ${rule.before}
            for update) as old
      where t.account_id = ${accountId} and t.id = old.id
      returning old.invoice_id, t.transaction_type, t.vat_rate, t.value, t.call_count, t.call_minutes
    ),
    ranged as (
      update billing_transactions as t
      set left_out = true, updated_at = ${now}
      from invoices as r
      where r.account_id = ${accountId} and ${idsWithin('r.id', invoiceIds)} and r.approved_at is null
        and r.charges_through_id is not null and not (${stillQualifies})
        and ${heldByRangeSql('t', 'r')}
        and t.origin = 'api' and not t.pinned and ${sql.ref(`t.${column}`)} >= ${rule.before}
      returning r.id as invoice_id, t.transaction_type, t.vat_rate, t.value, t.call_count, t.call_minutes
    )
    ${sumMoved(sql.raw('(select * from written union all select * from ranged) as moved'))}
  `.execute(db);
  return toMovedGroups(result.rows);
}

/** What attachQualifying moved, and the invoices it made. */
export interface Attached {
  moved: MovedGroup[];
  /** The unsent invoices made for `makeFor`, with their range, as completing reads them. */
  made: InvoiceTotalsRow[];
}

/**
 * Puts each customer's unbilled qualifying charges on that customer's unsent invoice; returns what moved.
 * `invoiceIds` are the customers' unsent invoices; `makeFor` the customers that have none and need one, made
 * here in the same pass. The customers are locked by the caller. Charges that waited (left out) and now
 * qualify get invoice_id written (few). The rest, the charges after the customer's last range with no
 * invoice written, are taken by extending the invoice's range over them (or making the invoice with that
 * range), with no write per charge: those that do not qualify are left out (few), and the range ends at the
 * last of them, an id read under the customer's lock (see migration 0031 for why no charge can later appear
 * inside it).
 */
export async function attachQualifying(
  db: Executor,
  accountId: number,
  invoiceIds: number[],
  rule: InclusionRule,
  now: Date,
  makeFor: number[] = [],
): Promise<Attached> {
  if (invoiceIds.length === 0 && makeFor.length === 0) return { moved: [], made: [] };
  const column = sql.ref(rule.by === 'billDate' ? 't.bill_date' : 't.transaction_date');
  // `sums` reads each customer's charges after its last range once (an index-only scan, see migration 0031)
  // and sums them as it goes, per customer, type and VAT rate: the range's end, and whether any charge is
  // dated on or after the cut-off (late: it waits, left out), come from the same pass as the totals of those
  // that qualify. Only the customer, type and VAT rate are grouping keys: each key costs every charge a hash
  // and a comparison (on PGlite, per 100,000 charges: whether a charge qualifies 8 ms as a key, the invoice
  // and where its range starts 9 ms; a sum about 10 ms), so the invoice comes from `inv` after, one row per
  // customer (a customer has one unsent invoice at most). A group with nothing that qualifies has a null
  // value. (An array_agg of the ids that do not qualify made PostgreSQL plan 8 kB of state per group and
  // spill the aggregate to disk.)
  // A customer with an unsent invoice (`inv.id`) has that invoice's range extended over them (`extended`);
  // one without has its invoice made with that range (`made`), from the same sums, so a new invoice's row
  // is written once here and once completed, and its customer's charges are read once: making it first,
  // with its range, took a second look at every customer's last charge (22 ms a batch on PostgreSQL).
  // `extended` starts from the sums that extend a range and names the batch's invoices by range too: joined
  // the other way, PostgreSQL planned it on `inv`'s estimate of one row and read every invoice of the
  // account, each against all of `inv`, whether or not any range grew.
  const qualifies = sql`${column} < ${rule.before}`;
  const unsent = invoiceIds.length > 0 ? idsWithin('i.id', invoiceIds) : sql`false`;
  const result = await sql<{ made: boolean; row: string }>`
    with unsent as (
      select i.id, i.customer_id, i.charges_through_id
      from invoices as i
      where i.account_id = ${accountId} and ${unsent} and i.approved_at is null
    ),
    making as (select customer_id from unnest(${idArray(makeFor)}::bigint[]) as m(customer_id)),
    ends as materialized ${rangeEndsSql(accountId, sql`(select customer_id from unsent union all select customer_id from making)`)},
    inv as materialized (
      select u.id, u.customer_id, coalesce(u.charges_through_id, e.through, 0) as after_id
      from unsent as u left join ends as e on e.customer_id = u.customer_id
      union all
      select null, m.customer_id, coalesce(e.through, 0)
      from making as m left join ends as e on e.customer_id = m.customer_id
    ),
    sums as materialized (
      select inv.customer_id, t.transaction_type, t.vat_rate,
             sum(t.value) filter (where ${qualifies}) as value,
             coalesce(sum(t.call_count) filter (where ${qualifies}), 0)::bigint as call_count,
             coalesce(sum(t.call_minutes) filter (where ${qualifies}), 0)::bigint as call_minutes,
             max(t.id) as through, max(${column}) >= ${rule.before} as late
      from inv
      join billing_transactions as t on t.account_id = ${accountId} and t.customer_id = inv.customer_id
        and t.id > inv.after_id and t.invoice_id is null and not t.left_out
      group by inv.customer_id, t.transaction_type, t.vat_rate
    ),
    fresh as materialized (
      select s.*, inv.id as invoice_id, inv.after_id from sums as s join inv on inv.customer_id = s.customer_id
    ),
    made as (
      insert into invoices as i (account_id, customer_id, created_at, updated_at, charges_after_id, charges_through_id)
      select ${accountId}, m.customer_id, ${now}, ${now}, r.after_id, r.through
      from making as m
      left join (select customer_id, min(after_id) as after_id, max(through) as through from fresh
                 where invoice_id is null group by customer_id) as r on r.customer_id = m.customer_id
      order by m.customer_id
      returning i.id, i.customer_id, ${totalsJsonSql('i')} as totals
    ),
    placed as (
      select coalesce(f.invoice_id, m.id) as invoice_id, f.transaction_type, f.vat_rate, f.value, f.call_count,
             f.call_minutes, f.late
      from fresh as f left join made as m on f.invoice_id is null and m.customer_id = f.customer_id
    ),
    waited as (
      update billing_transactions as t
      set invoice_id = coalesce(inv.id, m.id), left_out = false, updated_at = ${now}
      from inv left join made as m on inv.id is null and m.customer_id = inv.customer_id
      where t.account_id = ${accountId} and t.customer_id = inv.customer_id and t.invoice_id is null and t.left_out
        and ${column} < ${rule.before}
      returning coalesce(inv.id, m.id) as invoice_id, t.transaction_type, t.vat_rate, t.value, t.call_count,
                t.call_minutes
    )${
      invoiceIds.length > 0
        ? sql`,
    extended as (
      update invoices as i
      set charges_after_id = coalesce(i.charges_after_id, f.after_id), charges_through_id = f.through
      from (select invoice_id, min(after_id) as after_id, max(through) as through from fresh
            where invoice_id is not null group by invoice_id) as f
      where i.account_id = ${accountId} and ${idsWithin('i.id', invoiceIds)} and i.id = f.invoice_id
    )`
        : sql``
    }
    select true as made, totals as row from made
    union all
    select false, ${jsonRowSql('m', MOVED_COLUMNS, MOVED_AS_TEXT)} from (
      select invoice_id, transaction_type, vat_rate, sum(value) as value, sum(call_count)::bigint as call_count,
             sum(call_minutes)::bigint as call_minutes, false as late
      from (select invoice_id, transaction_type, vat_rate, value, coalesce(call_count, 0) as call_count,
                   coalesce(call_minutes, 0) as call_minutes from waited
            union all
            select invoice_id, transaction_type, vat_rate, value, call_count, call_minutes from placed
            where value is not null) as moved
      group by invoice_id, transaction_type, vat_rate
      union all
      select invoice_id, null, null, null, null, null, true from placed where late group by invoice_id
    ) as m
  `.execute(db);
  const made = result.rows.filter((r) => r.made).map((r) => totalsFromJson(r.row));
  // One JSON text per row (see jsonRowSql): a batch of unbilled customers moves a few groups per invoice.
  const rows = result.rows
    .filter((r) => !r.made)
    .map((r) => fromJsonRow<MovedRow & { late: boolean }>(r.row, MOVED_COLUMNS));
  // Charges in the new part of a range that do not qualify wait, left out (few: dated after the cut-off).
  // Anything in the older part qualified for a cut-off no earlier (detachNonQualifying ran first).
  const late = rows.filter((r) => r.late).map((r) => Number(r.invoice_id));
  if (late.length > 0) {
    await sql`
      update billing_transactions as t set left_out = true, updated_at = ${now}
      from invoices as r
      where r.account_id = ${accountId} and r.id = any(${idArray(late)}::bigint[])
        and ${heldByRangeSql('t', 'r')} and ${column} >= ${rule.before}
    `.execute(db);
  }
  return { moved: toMovedGroups(rows.filter((r) => !r.late)), made };
}

const MOVED_COLUMNS = [
  'invoice_id',
  'transaction_type',
  'vat_rate',
  'value',
  'call_count',
  'call_minutes',
  'late',
] as const;
const MOVED_AS_TEXT: ReadonlySet<string> = new Set(['vat_rate', 'value']);

/**
 * Where each customer's last range of charges ends, as a relation (customer_id, through); customers with no
 * range have no row. One grouped pass over the customers' invoices rather than a correlated look-up per
 * customer: planned on a table's stale statistics (a first run fills an empty invoices table), the look-up
 * chose an index on the account alone and read every invoice once per customer. `customerIds`: SQL of a
 * relation with a customer_id column, or null for every customer of the account.
 */
function rangeEndsSql(accountId: number, customerIds: RawBuilder<unknown> | null) {
  // The customers' lowest and highest ids bound the read as well: a batch's customers are neighbours, and
  // with `in` alone, on statistics taken before a run filled the table, PostgreSQL read every invoice of the
  // account for each batch (17 ms a batch at 10,000 invoices, against 1 ms by the customers' index).
  const of = (aggregate: 'min' | 'max') =>
    sql`(select ${sql.raw(aggregate)}(b.customer_id) from ${customerIds} as b)`;
  return sql`(select o.customer_id, max(o.charges_through_id) as through from invoices as o
    where o.account_id = ${accountId} and o.charges_through_id is not null
      ${customerIds === null ? sql`` : sql`and o.customer_id in (select customer_id from ${customerIds} as w) and o.customer_id between ${of('min')} and ${of('max')}`}
    group by o.customer_id)`;
}

/**
 * Whether a customer has an unbilled charge (as `t`) that passes `also`: one left out, or one after the
 * customer's last range (`after`, SQL for where it ends) with no invoice written. `customer` is SQL naming
 * the customer's id. Two index probes that stop at the first such charge.
 */
function unbilledChargeExistsSql(
  accountId: number,
  customer: RawBuilder<unknown>,
  after: RawBuilder<unknown>,
  also: RawBuilder<unknown>,
) {
  return sql`(exists (select 1 from billing_transactions as t
              where t.account_id = ${accountId} and t.customer_id = ${customer} and t.invoice_id is null and t.left_out
                and ${also})
          or exists (select 1 from billing_transactions as t
              where t.account_id = ${accountId} and t.customer_id = ${customer} and t.invoice_id is null and not t.left_out
                and t.id > ${after}
                and ${also}))`;
}

/** Customers among these with unbilled charges that qualify for an invoice under the rule. */
export async function customersWithQualifyingCharges(
  db: Executor,
  accountId: number,
  customerIds: number[],
  rule: InclusionRule,
): Promise<Set<number>> {
  if (customerIds.length === 0) return new Set();
  // Probes per customer that stop at its first such charge, rather than a DISTINCT over all of them: a batch
  // of customers with a hundred unbilled charges each read 100,000 index entries to answer 1,000 yes-or-no
  // questions.
  const ids = idArray(customerIds);
  const result = await sql<{ id: number }>`
    select v.id from unnest(${ids}::bigint[]) as v(id)
    left join ${rangeEndsSql(accountId, sql`(select customer_id from unnest(${ids}::bigint[]) as u(customer_id))`)} as e on e.customer_id = v.id
    where ${unbilledChargeExistsSql(accountId, sql.raw('v.id'), sql.raw('coalesce(e.through, 0)'), sql`${sql.ref(ruleColumn(rule))} < ${rule.before}`)}
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
  // Those already on the invoice (written or by its range) are pinned there; the unbilled ones move onto it.
  await sql`
    update billing_transactions as t set invoice_id = ${invoiceId}, pinned = true, left_out = false, updated_at = ${now}
    where t.account_id = ${accountId} and t.id = any(${idArray(ids)}::bigint[]) and ${billedInvoiceSql('t')} = ${invoiceId}
  `.execute(db);
  const result = await sql<MovedRow>`
    with moved as (
      update billing_transactions as t set invoice_id = ${invoiceId}, pinned = true, left_out = false, updated_at = ${now}
      where t.account_id = ${accountId} and t.id = any(${idArray(ids)}::bigint[]) and t.invoice_id is null
        and ${rangeInvoiceSql('t')} is null
      returning t.invoice_id, t.transaction_type, t.vat_rate, t.value, t.call_count, t.call_minutes
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
  // Those written to it wait, left out; those it held by its range are unbilled again when its row (and so
  // its range, the customer's last) is deleted.
  await db
    .updateTable('billing_transactions')
    .set({ invoice_id: null, pinned: false, left_out: true, updated_at: now })
    .where('account_id', '=', accountId)
    .where('invoice_id', '=', invoiceId)
    .execute();
}

/** Invoice ids (unsent or raised) that hold any of a feature's charges, split by state. */
export async function featureChargeInvoices(
  db: Executor,
  accountId: number,
  featureId: number,
): Promise<{ raised: boolean; unsentInvoiceIds: number[] }> {
  const result = await sql<{ invoice_id: number | null; approved_at: Date | null }>`
    select distinct i.id as invoice_id, i.approved_at
    from billing_transactions as t
    left join invoices as i on i.account_id = t.account_id and i.id = ${billedInvoiceSql('t')}
    where t.account_id = ${accountId} and t.feature_id = ${featureId}
  `.execute(db);
  const rows = result.rows;
  return {
    raised: rows.some((r) => r.approved_at !== null),
    unsentInvoiceIds: rows
      .filter((r) => r.invoice_id !== null && r.approved_at === null)
      .map((r) => Number(r.invoice_id)),
  };
}

/** What discounts apply to: an invoice's lines other than discounts and fees. */
export async function discountableLines(
  db: Executor,
  accountId: number,
  invoiceIds: number[],
): Promise<Map<number, DiscountableLine[]>> {
  const out = new Map<number, DiscountableLine[]>();
  if (invoiceIds.length === 0) return out;
  const result = await sql<{
    invoice_id: number;
    transaction_type: string;
    value: string;
    vat_rate: string;
    call_minutes: number | null;
    call_destination: string | null;
  }>`
    select c.billed_invoice_id as invoice_id, c.transaction_type, c.value, c.vat_rate, c.call_minutes, c.call_destination
    from ${invoiceChargesSql(accountId, invoiceIds)} as c
    where c.origin not in ('discount', 'fee')
    order by c.id
  `.execute(db);
  for (const r of result.rows.map((row) => ({ ...row, invoice_id: Number(row.invoice_id) }))) {
    const list = out.get(r.invoice_id) ?? [];
    list.push({
      type: r.transaction_type as TransactionType,
      value: r.value,
      vatRate: r.vat_rate,
      callMinutes: Number(r.call_minutes ?? 0),
      destination: r.call_destination,
    });
    out.set(r.invoice_id, list);
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
  const result = await sql<BillingTransactionRow & { billed_invoice_id: number }>`
    select c.* from ${invoiceChargesSql(accountId, [invoiceId])} as c
    order by c.transaction_date, c.id
    limit ${MAX_BILL_LINES}
  `.execute(db);
  return result.rows.map(asBilled);
}

/** The charges on some invoices, summed by invoice, type and VAT rate (what their totals are made of). */
export async function invoiceChargeSums(
  db: Executor,
  accountId: number,
  invoiceIds: number[],
): Promise<MovedGroup[]> {
  if (invoiceIds.length === 0) return [];
  const result = await sql<MovedRow>`
    ${sumMoved(sql`(select c.billed_invoice_id as invoice_id, c.transaction_type, c.vat_rate, c.value, c.call_count, c.call_minutes
                    from ${invoiceChargesSql(accountId, invoiceIds)} as c) as moved`)}
  `.execute(db);
  return toMovedGroups(result.rows);
}

/** Of these invoices, those holding at least one charge (written or by range). */
export async function invoicesHoldingCharges(
  db: Executor,
  accountId: number,
  invoiceIds: number[],
): Promise<Set<number>> {
  if (invoiceIds.length === 0) return new Set();
  // One probe each, however many charges: a written one, else the first in its range.
  const result = await sql<{ id: number }>`
    select v.id from unnest(${idArray(invoiceIds)}::bigint[]) as v(id)
    where exists (select 1 from billing_transactions as t where t.account_id = ${accountId} and t.invoice_id = v.id)
       or exists (select 1 from invoices as r
                  join billing_transactions as t on ${heldByRangeSql('t', 'r')}
                  where r.account_id = ${accountId} and r.id = v.id)
  `.execute(db);
  return new Set(result.rows.map((r) => Number(r.id)));
}

/**
 * The customers with unbilled charges dated (bill date) before the cut-off, as a relation of customer_id:
 * a billing run's candidates.
 */
export function customersWithUnbilledChargesSql(
  accountId: number,
  cutoffDate: IsoDate,
  /** SQL of customer ids not to probe (already known to be billed): none when absent. */
  except?: RawBuilder<unknown>,
) {
  // From the customers, one probe each: the unbilled charges' indexes also hold every range-billed charge.
  return sql`(select c.id as customer_id from ${customerRowsSql()} as c
    left join ${rangeEndsSql(accountId, null)} as e on e.customer_id = c.id
    where c.account_id = ${accountId} ${except === undefined ? sql`` : sql`and c.id not in ${except}`}
      and ${unbilledChargeExistsSql(accountId, sql.raw('c.id'), sql.raw('coalesce(e.through, 0)'), sql`t.bill_date < ${cutoffDate}`)})`;
}
