// The overdue invoices late fees and interest are charged on, and the marks that they were: invoices are
// billing's table (src/fees/ holds the pure fee rules).
import { sql } from 'kysely';
import type { Executor } from '../context.ts';
import type { IsoDate } from '../shared/dates.ts';
import type { OverdueInvoice } from '../fees/fees.ts';
import { idArray } from '../db/sql.ts';

/** Raised invoices of these customers with money outstanding after their due date, before the cut-off. */
export async function overdueInvoices(
  db: Executor,
  accountId: number,
  customerIds: number[],
  cutoff: IsoDate,
): Promise<Map<number, OverdueInvoice[]>> {
  const out = new Map<number, OverdueInvoice[]>();
  if (customerIds.length === 0) return out;
  const result = await sql<{
    id: number;
    customer_id: number;
    invoice_number: string;
    outstanding: string;
    due_date: string;
    late_fee_charged_at: Date | null;
    interest_until: string | null;
  }>`
    select id, customer_id, invoice_number, (total - paid_amount)::text as outstanding, due_date, late_fee_charged_at, interest_until
    from invoices
    where account_id = ${accountId} and customer_id = any(${idArray(customerIds)}::bigint[])
      and unsettled_amount > 0 and due_date < ${cutoff}
    order by id
  `.execute(db);
  for (const r of result.rows) {
    const list = out.get(Number(r.customer_id)) ?? [];
    list.push({
      id: Number(r.id),
      number: r.invoice_number,
      outstanding: r.outstanding,
      dueDate: r.due_date,
      lateFeeCharged: r.late_fee_charged_at !== null,
      interestUntil: r.interest_until,
    });
    out.set(Number(r.customer_id), list);
  }
  return out;
}

/** Records that late fees were charged, and interest up to a date, on these overdue invoices. */
export async function markFeesCharged(
  db: Executor,
  accountId: number,
  lateFees: number[],
  interest: { invoiceId: number; until: IsoDate }[],
  now: Date,
): Promise<void> {
  if (lateFees.length > 0) {
    await db
      .updateTable('invoices')
      .set({ late_fee_charged_at: now })
      .where('account_id', '=', accountId)
      .where('id', 'in', lateFees)
      .execute();
  }
  if (interest.length > 0) {
    await sql`
      update invoices as i set interest_until = v.until
      from unnest(${interest.map((x) => x.invoiceId)}::bigint[], ${interest.map((x) => x.until)}::date[]) as v(id, until)
      where i.account_id = ${accountId} and i.id = v.id
    `.execute(db);
  }
}

/** Undoes markFeesCharged for fee lines that were removed (their invoice re-completed or deleted). */
export async function unmarkFeesCharged(
  db: Executor,
  accountId: number,
  lateFees: number[],
  interest: { invoiceId: number; from: IsoDate }[],
): Promise<void> {
  if (lateFees.length > 0) {
    await db
      .updateTable('invoices')
      .set({ late_fee_charged_at: null })
      .where('account_id', '=', accountId)
      .where('id', 'in', lateFees)
      .execute();
  }
  if (interest.length > 0) {
    await sql`
      update invoices as i set interest_until = v.since
      from unnest(${interest.map((x) => x.invoiceId)}::bigint[], ${interest.map((x) => x.from)}::date[]) as v(id, since)
      where i.account_id = ${accountId} and i.id = v.id
    `.execute(db);
  }
}
