// Issue 15, billing run speed: completing an unsent invoice is a HOT update again. invoices_unsettled
// (0029) indexed `total` and `paid_amount` (in its INCLUDE and its predicate), and PostgreSQL makes an
// update HOT only when no indexed column changes value: every change of an unsent invoice's totals (each
// charge posted, each completion) wrote a new entry in each of the table's five other indexes. The
// predicate is now a stored generated column, `unsettled`, which stays false while the invoice is unsent
// whatever its totals, and the index carries no amounts: its readers (the overview's collections, the
// billing run's customers with overdue invoices) read the short list's totals from the table. Invoices
// keep their fillfactor of 70 (0001): the column's table rewrite packs them to it again.

export const up = /* sql */ `
drop index invoices_unsettled;
alter table invoices add column unsettled boolean not null
  generated always as (approved_at is not null and paid_amount <> total) stored;
create index invoices_unsettled on invoices (account_id, due_date) where unsettled;
`;
