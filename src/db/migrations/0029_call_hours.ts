// Issue 13, speed: the console overview's charts read summaries, not the calls and invoices.
//
// Calls: call_hours holds, per
// account, UTC hour and destination, the calls, billed seconds, and the rated calls' count, charge and cost
// of every call whose id is at most the account's call_hours_marks.summarised_to; the calls above it (the
// last minutes' imports, and late calls for past days, which get new ids) are read live through the
// primary key (account_id, id) and added. A periodic job (calls/summarise-call-hours.ts, on the serving
// process's scheduler) moves the mark forward, summing the new calls in; it only moves it past calls whose
// transactions have all ended (pending_to/pending_xmax: the highest id seen and the snapshot's xmax then),
// so a call committed late under a lower id is never skipped. Re-rating a summarised call adds its change
// (new minus old) to its hour in the same statement (calls/repo.ts updateCallRatings). Ingest pays nothing.

export const up = /* sql */ `
create table call_hours (
  account_id bigint not null references accounts (id),
  hour timestamptz not null,
  -- 'Unknown' for calls without one (unrated, unallocated, free calls).
  destination text not null,
  calls bigint not null,
  billable_s bigint not null,
  rated bigint not null,
  charge numeric(24,6) not null,
  cost numeric(24,6) not null,
  primary key (account_id, hour, destination)
);

create table call_hours_marks (
  account_id bigint not null references accounts (id),
  -- Every call of the account with an id up to this one is in call_hours.
  summarised_to bigint not null default 0,
  -- The highest id seen by the last run, and the xmax of its snapshot: once every transaction below that
  -- xmax has ended, no call with a lower id can still appear, and the mark may move up to it.
  pending_to bigint,
  pending_xmax bigint,
  primary key (account_id)
);

-- The overview's revenue per month (net and VAT) and collections. A raised invoice's amounts and date never
-- change (approve-invoice.ts freezes them; a raised invoice is never deleted), so its month's totals grow by
-- them when it is approved, in the approval's transaction (after the account's invoice-number lock, which
-- every approval takes: no new wait). Paid = the raised invoices' totals less what is still unsettled;
-- outstanding and overdue = the unsettled ones (paid_amount <> total), a short list found by the partial
-- index below, instead of every invoice the account ever raised.
create table invoice_months (
  account_id bigint not null references accounts (id),
  month date not null,
  invoices bigint not null,
  net numeric not null,
  vat numeric not null,
  total numeric not null,
  primary key (account_id, month)
);
insert into invoice_months (account_id, month, invoices, net, vat, total)
select account_id, date_trunc('month', invoice_date)::date, count(*), coalesce(sum(invoice_amount), 0),
       coalesce(sum(invoice_vat), 0), coalesce(sum(total), 0)
from invoices where approved_at is not null and invoice_date is not null group by 1, 2;
create index invoices_unsettled on invoices (account_id, due_date) include (total, paid_amount)
  where approved_at is not null and paid_amount <> total;
`;
