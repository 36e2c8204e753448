// Issue 15, item 2: a billing run no longer writes invoice_id on each of the charges it bills. An invoice
// covers its customer's charges by id: those in (charges_after_id, charges_through_id] whose invoice_id is
// null and that are not left out belong to it, without a write per charge. invoice_id stays written for the
// exceptions: charges posted to an invoice or named in _includeTransactionIDs, generated charges, and
// charges that waited (dated after a cut-off, taken off an invoice, freed by deleting one) and are taken by a
// later invoice. `left_out` marks a charge with no invoice that waits for a later one: without it such a
// charge inside an invoice's range would count as that invoice's.
//
// The locking rule that keeps a raised invoice's range closed: a charge is inserted by a transaction that
// holds its customer's row lock from before it draws its id until it commits, and completing an invoice
// extends its range only up to a charge id read under the same lock. A charge completing did not see draws
// its id after completing committed, so it falls after the range.
//
// billing_transactions_unbilled (`where invoice_id is null`, by bill date) gives way to two indexes: the
// charges left out, by customer and bill date (few: dated after a cut-off, or taken off an invoice), and the
// charges with no invoice written, by customer and id. Range-billed charges stay in the second, but a
// customer's unbilled ones are read from it as a range of ids after the customer's last invoice's range, so
// the billed ones before it are never visited. It carries what completing an invoice sums (type, VAT rate,
// value, dates, call count and minutes), so that read is an index-only scan once the charges' pages are
// all-visible (a vacuum after they were written: autovacuum's insert threshold): 3,700 buffers for a batch
// of 100,000 charges instead of 103,000 (a heap fetch per charge), at the price of a wider index.

export const up = /* sql */ `
alter table invoices add column charges_after_id bigint;
alter table invoices add column charges_through_id bigint;
alter table billing_transactions add column left_out boolean not null default false;
drop index billing_transactions_unbilled;
create index billing_transactions_left_out on billing_transactions (account_id, customer_id, bill_date)
  where invoice_id is null and left_out;
create index billing_transactions_unwritten on billing_transactions (account_id, customer_id, id)
  include (transaction_type, vat_rate, value, bill_date, transaction_date, call_count, call_minutes)
  where invoice_id is null and not left_out;
`;
