// Recovery after a crash. Every Ringbill process (a server, or a command that opens the database itself)
// registers in `processes` and renews a heartbeat; what it claims (an Idempotency-Key still being processed,
// a billing run it is running) names it as owner. A claim whose owner has stopped beating is taken over; a
// billing run whose owner is gone becomes `interrupted`, with the counts of the batches that committed (kept
// on the run in each batch's own transaction), and can be resumed.
//
// `processes` is the one table without account_id: it describes the machines' processes, not a tenant's
// data (on Citus it is a reference table, like schema_migrations).

export const up = /* sql */ `
create table processes (
  id text primary key,
  pid integer not null,
  hostname text not null,
  role text not null check (role in ('server', 'command')),
  description text not null,
  started_at timestamptz not null default now(),
  heartbeat_at timestamptz not null default now()
);
create index processes_heartbeat on processes (heartbeat_at);

alter table idempotency_keys add column owner_process text;

alter table billing_runs add column owner_process text;
alter table billing_runs add column invoices_completed integer not null default 0;
update billing_runs set invoices_completed = customers_billed;
alter table billing_runs drop constraint billing_runs_status_check;
alter table billing_runs add constraint billing_runs_status_check check (status in ('running', 'completed', 'failed', 'interrupted'));
create index billing_runs_running on billing_runs (owner_process) where status = 'running';
`;
