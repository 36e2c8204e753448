// Issue 15, billing run speed: completing an unsent invoice is a HOT update again. invoices_unsettled
// (0029) indexed `total` and `paid_amount` (in its INCLUDE and its predicate), and PostgreSQL makes an
// update HOT only when no indexed column changes value: every change of an unsent invoice's totals (each
// charge posted, each completion) wrote a new entry in each of the table's five other indexes. The index
// now reads a stored generated column instead, `unsettled_amount`: total less paid_amount of a raised
// invoice, null while the invoice is unsent whatever its totals. Its readers (the overview's collections,
// overdue customers, late fees) still find the short list of unsettled invoices (`unsettled_amount <> 0`)
// and read the amount from the index alone. Invoices keep their fillfactor of 70 (0001): the column's
// table rewrite packs them to it again.

export const up = /* sql */ `
drop index invoices_unsettled;
alter table invoices add column unsettled_amount numeric
  generated always as (case when approved_at is not null then total - paid_amount end) stored;
create index invoices_unsettled on invoices (account_id, due_date) include (unsettled_amount)
  where unsettled_amount <> 0;
`;
