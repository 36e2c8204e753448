// The data set of the console's benchmark (bench/console.ts) and of the README's screenshot of the overview
// (scripts/console-screenshot.ts), made with server-side SQL (INSERT … SELECT generate_series): customers
// with one line each; calls spread over the last 365 days (1 in 1,000 unrated, 1 in 997 unallocated, 1 in
// 13 missed), rated against five destinations with a cost, then summed per hour (call_hours) as the server's
// job would; invoices spread evenly over customers and the last months, approved and numbered, 9 in 10 paid,
// each with its two lines, and their months' revenue (invoice_months) as approval adds it. The same SQL runs on PGlite.
import { sql } from 'kysely';
import type { Ctx } from '../src/context.ts';
import { summariseCallHours } from '../src/calls/summarise-call-hours.ts';

/** Server-side SQL only: what the console reads, in the shapes the API would have written. */
export async function loadConsoleData(
  ctx: Ctx,
  accountId: number,
  sizes: { customers: number; calls: number; invoices: number },
): Promise<{ customer: number; call: number; invoice: number }> {
  const CUSTOMERS = sizes.customers;
  const CALLS = sizes.calls;
  const INVOICES = sizes.invoices;
  const db = ctx.db;
  await sql`
    insert into customers (account_id, name, email)
    select ${accountId}, 'Customer ' || g, 'billing' || g || '@example.com'
    from generate_series(1, ${CUSTOMERS}) g
  `.execute(db);
  await sql`
    insert into features (account_id, customer_id, name, phone_number, recurring_value, recurring_frequency, billing, start_date)
    select account_id, id, 'Line', '+44113' || lpad(id::text, 7, '0'), 12.50, 'monthly', 'advance', date '2026-01-01'
    from customers where account_id = ${accountId}
  `.execute(db);
  const first = (
    await sql<{ customer: number; feature: number }>`
      select (select min(id) from customers where account_id = ${accountId}) as customer,
             (select min(id) from features where account_id = ${accountId}) as feature
    `.execute(db)
  ).rows[0]!;
  // Calls: one every ~31.5 seconds over the last 365 days, newest last (ids in time order, as imports are).
  const BATCH = 200_000;
  for (let from = 1; from <= CALLS; from += BATCH) {
    const to = Math.min(CALLS, from + BATCH - 1);
    await sql`
      insert into calls (account_id, source_call_id, from_number, to_number, start_time, duration_s, status, direction,
                         customer_id, feature_id, rating_status, rating_error, destination, billable_s, charge, cost, rated_at)
      select ${accountId}, 'bench-' || g, '+44113' || lpad((g % ${CUSTOMERS}::int + 1)::text, 7, '0'),
             '+447' || lpad(((g::bigint * 7919) % 1000000000)::text, 9, '0'),
             now() - interval '365 days' + g * (interval '365 days' / ${CALLS}::int), 30 + g % 600,
             case when g % 13 = 0 then 'missed' else 'completed' end, 'outbound',
             case when g % 997 = 0 then null else ${first.customer}::bigint + g % ${CUSTOMERS}::int end,
             case when g % 997 = 0 then null else ${first.feature}::bigint + g % ${CUSTOMERS}::int end,
             case when g % 997 = 0 then 'unallocated' when g % 1000 = 0 then 'unrated' when g % 13 = 0 then 'free' else 'rated' end,
             case when g % 1000 = 0 and g % 997 <> 0 then 'no rate for this destination' end,
             (array['UK mobile', 'UK landline', 'Ireland', 'France', 'USA'])[g % 5 + 1],
             case when g % 13 <> 0 and g % 997 <> 0 and g % 1000 <> 0 then 60 * ((30 + g % 600 + 59) / 60) end,
             case when g % 13 <> 0 and g % 997 <> 0 and g % 1000 <> 0 then round(((30 + g % 600 + 59) / 60) * 0.0123, 6) end,
             case when g % 13 <> 0 and g % 997 <> 0 and g % 1000 <> 0 then round(((30 + g % 600 + 59) / 60) * 0.0071, 6) end,
             now()
      from generate_series(${from}::int, ${to}::int) g
    `.execute(db);
  }
  // Invoices: ten months, customers in turn; approved, numbered, due 30 days later, most of them paid.
  const months = Math.max(1, Math.ceil(INVOICES / CUSTOMERS));
  await sql`
    insert into invoices (account_id, customer_id, invoice_number, invoice_date, cutoff_date, due_date, paid_date,
                          invoice_amount, invoice_vat, total, paid_amount, charges_recurring, charges_calls,
                          call_count, call_minutes, vat_breakdown, approved_at, emailed_at, created_at, updated_at)
    select ${accountId}, ${first.customer}::bigint + g % ${CUSTOMERS}::int, 'INV-' || lpad(g::text, 7, '0'), d.day, d.day, d.day + 30,
           case when g % 10 <> 0 then d.day + 20 end,
           v.net, v.net * 0.2, v.net * 1.2, case when g % 10 <> 0 then v.net * 1.2 else 0 end, 12.50, v.net - 12.50,
           100 + g % 50, 150 + g % 70, jsonb_build_array(jsonb_build_object('rate', '20', 'net', v.net::text, 'vat', (v.net * 0.2)::text)),
           d.day::timestamptz, d.day::timestamptz, d.day::timestamptz, d.day::timestamptz
    from generate_series(0, ${INVOICES - 1}::int) g
    cross join lateral (select (date_trunc('month', now()) - ((${months - 1}::int - g / ${CUSTOMERS}::int) * interval '1 month'))::date as day) d
    cross join lateral (select (20 + (g % 8000) / 100.0)::numeric(20,2) as net) v
  `.execute(db);
  await sql`
    insert into billing_transactions (account_id, customer_id, invoice_id, transaction_type, description, transaction_date, bill_date, value, vat_rate, origin)
    select i.account_id, i.customer_id, i.id, t.type, t.description, i.invoice_date, i.invoice_date, t.value, 20, t.origin
    from invoices i
    cross join lateral (values ('recurring', 'Line', 12.50, 'recurring'), ('calls', 'Calls', i.invoice_amount - 12.50, 'calls')) as t(type, description, value, origin)
    where i.account_id = ${accountId}
  `.execute(db);
  // What approving each invoice adds to its month's revenue (approve-invoice.ts).
  await sql`
    insert into invoice_months (account_id, month, invoices, net, vat, total)
    select account_id, date_trunc('month', invoice_date)::date, count(*), sum(invoice_amount), sum(invoice_vat), sum(total)
    from invoices where account_id = ${accountId} and approved_at is not null group by 1, 2
  `.execute(db);
  await sql`update accounts set invoice_next_number = ${INVOICES + 1} where id = ${accountId}`.execute(db);
  // The calls summed per hour, as the serving process's job does within a minute or two
  // (calls/summarise-call-hours.ts): a run moves the mark only past ids whose transactions have all ended,
  // and on a shared server other databases' transactions may be in flight, so it runs until the mark is there.
  for (let run = 0; run < 600; run++) {
    await summariseCallHours(ctx);
    const left = await sql<{ n: string }>`
      select count(*)::text as n from calls
      where account_id = ${accountId}
        and id > coalesce((select summarised_to from call_hours_marks where account_id = ${accountId}), 0)
    `.execute(db);
    if (left.rows[0]!.n === '0') break;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  await sql`vacuum analyze`.execute(db);
  const ids = (
    await sql<{ call: number; invoice: number }>`
      select (select max(id) from calls where account_id = ${accountId}) as call,
             (select max(id) from invoices where account_id = ${accountId}) as invoice
    `.execute(db)
  ).rows[0]!;
  return { customer: first.customer + 17, call: ids.call - 10, invoice: ids.invoice - 10 };
}
