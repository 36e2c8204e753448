// Read-only queries on invoices for the console's read model (src/dashboard/), and the pieces other modules'
// read models compose so that only this module names the invoices table (CONTRIBUTING.md rule 2).
import { sql } from 'kysely';
import type { Executor } from '../context.ts';

/** The invoices as a relation another module's query joins: `innerJoin(invoiceRows(db).as('i'), …)`. */
export function invoiceRows(db: Executor) {
  return db.selectFrom('invoices').selectAll();
}

/** Raised invoices' net and VAT per month from `fromDate`'s month: invoice_months (approve-invoice.ts), a row a month. */
export async function revenueByMonth(
  db: Executor,
  accountId: number,
  fromDate: string,
): Promise<{ month: string; net: string; vat: string }[]> {
  const r = await sql<{ month: string; net: string; vat: string }>`
    select to_char(month, 'YYYY-MM') as month, net::text as net, vat::text as vat
    from invoice_months
    where account_id = ${accountId} and month >= date_trunc('month', ${fromDate}::date)::date
    order by month
  `.execute(db);
  return r.rows;
}

/**
 * What raised invoices have collected, what is outstanding (not yet due) and what is overdue. Read from the
 * unsettled invoices only (`unsettled_amount`: total - paid_amount of a raised invoice; the partial index invoices_unsettled) and the months'
 * totals: paid = every raised total less what is still unsettled (an overpaid invoice counts its excess).
 */
export async function collectionTotals(
  db: Executor,
  accountId: number,
  today: string,
): Promise<{ paid: string; outstanding: string; overdue: string; overdue_count: number }> {
  const r = await sql<{ paid: string; outstanding: string; overdue: string; overdue_count: string }>`
    select ((select coalesce(sum(total), 0) from invoice_months where account_id = ${accountId})
             - coalesce(sum(unsettled_amount), 0))::text as paid,
           coalesce(sum(unsettled_amount) filter (where unsettled_amount > 0 and (due_date is null or due_date >= ${today}::date)), 0)::text as outstanding,
           coalesce(sum(unsettled_amount) filter (where unsettled_amount > 0 and due_date < ${today}::date), 0)::text as overdue,
           count(*) filter (where unsettled_amount > 0 and due_date < ${today}::date)::text as overdue_count
    from invoices where account_id = ${accountId} and unsettled_amount <> 0
  `.execute(db);
  const row = r.rows[0]!;
  return { ...row, overdue_count: Number(row.overdue_count) };
}

/** The invoices as a relation in another module's raw SQL: `join ${invoiceRowsSql()} as i on …`. */
export function invoiceRowsSql() {
  return sql`(select * from invoices)`;
}

export async function customerInvoices(db: Executor, accountId: number, customerId: number, limit: number) {
  return db
    .selectFrom('invoices')
    .select(['id', 'invoice_number', 'invoice_date', 'due_date', 'total', 'paid_amount'])
    .where('account_id', '=', accountId)
    .where('customer_id', '=', customerId)
    .where('approved_at', 'is not', null)
    .orderBy('id', 'desc')
    .limit(limit)
    .execute();
}

export async function findCustomerInvoice(
  db: Executor,
  accountId: number,
  customerId: number,
  invoiceId: number,
) {
  return db
    .selectFrom('invoices')
    .selectAll()
    .where('account_id', '=', accountId)
    .where('customer_id', '=', customerId)
    .where('id', '=', invoiceId)
    .where('approved_at', 'is not', null)
    .executeTakeFirst();
}

/** The invoice columns that name each kind of preset. */
export const NAMING_COLUMNS = {
  bill_styles: ['bill_style', 'online_bill_type', 'email_bill_type', 'post_bill_type', 'fax_bill_type'],
  message_templates: ['invoice_message'],
  usage_report_profiles: ['usage_report_profile'],
} as const;

/** A preset renamed: the invoices that named it name it by its new name. */
export async function renameInInvoices(
  db: Executor,
  accountId: number,
  kind: keyof typeof NAMING_COLUMNS,
  from: string,
  to: string,
): Promise<void> {
  const old = from.toLowerCase();
  const sets = NAMING_COLUMNS[kind].map(
    (c) => sql`${sql.ref(c)} = case when lower(${sql.ref(c)}) = ${old} then ${to} else ${sql.ref(c)} end`,
  );
  if (kind === 'bill_styles') {
    sets.push(
      sql`bill_types = array(select case when lower(t.name) = ${old} then ${to} else t.name end from unnest(bill_types) with ordinality as t(name, n) order by t.n)`,
    );
  }
  await sql`update invoices set ${sql.join(sets, sql`, `)} where account_id = ${accountId}`.execute(db);
}

/** An invoice of the account that names this preset (case aside), if any. */
export async function invoiceNaming(
  db: Executor,
  accountId: number,
  kind: keyof typeof NAMING_COLUMNS,
  name: string,
): Promise<{ id: number } | undefined> {
  const wanted = name.toLowerCase();
  const columns = NAMING_COLUMNS[kind].map((c) => sql`lower(${sql.ref(c)}) = ${wanted}`);
  if (kind === 'bill_styles')
    columns.push(sql`exists (select 1 from unnest(bill_types) as t(name) where lower(t.name) = ${wanted})`);
  const row = await sql<{ id: number }>`
    select id from invoices where account_id = ${accountId} and (${sql.join(columns, sql` or `)}) order by id limit 1
  `.execute(db);
  return row.rows[0] ? { id: Number(row.rows[0].id) } : undefined;
}
