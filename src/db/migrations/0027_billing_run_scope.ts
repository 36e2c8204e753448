// A billing run for chosen customers (the console's "bill these customers"), and how far a run has got.
// customer_ids null: the whole account (every run before this one). customers_total is the number of
// customers the run looked at, customers_done those of them its committed batches have completed: the
// console's progress bar is customers_done / customers_total, read while the run goes on.

export const up = /* sql */ `
alter table billing_runs add column customer_ids bigint[];
alter table billing_runs add column customers_total integer not null default 0;
alter table billing_runs add column customers_done integer not null default 0;
update billing_runs set customers_done = customers_billed, customers_total = customers_billed where status <> 'running';
`;
