// Card payments that charge once and refunds that never vanish (issue 11 items 1, 2 and 15).
//
// A card attempt is recorded as `pending` under the invoice's (or standalone request's) lock BEFORE the
// gateway is asked, and one invoice or request has at most one pending attempt at a time (serial_key): a
// second payment waits its turn instead of charging the card again. The gateway is given the attempt's
// idempotency_key, so a pending attempt left by a process that died is settled from the gateway's own record.
// A resubmitted page form (form_token) answers the first attempt's result.
//
// A refund is recorded first (status pending) and sent to the gateway by an outbox job that retries until it
// succeeds: a compensating refund of a charge that could not be applied names its attempt (no payment).
export const up = /* sql */ `
alter table payment_attempts drop constraint payment_attempts_outcome_check;
alter table payment_attempts add constraint payment_attempts_outcome_check
  check (outcome in ('pending', 'approved', 'declined', 'not_charged'));
-- What the attempt pays: 'payment' (a request, in full or part), 'instalment' (one of a plan), 'plan_start'.
alter table payment_attempts add column purpose text not null default 'payment' check (purpose in ('payment', 'instalment', 'plan_start'));
-- 'invoice:ID' or 'request:ID': what a pending attempt serialises on.
alter table payment_attempts add column serial_key text;
-- Sent to the gateway with the charge: a retry or a recovery finds the same charge, never makes another.
alter table payment_attempts add column idempotency_key text;
-- The page form that made it: the same form sent again answers this attempt's result.
alter table payment_attempts add column form_token text;
-- The process that is charging it (while pending); null once settled or when given up to recovery.
alter table payment_attempts add column process_id text;
-- The principal it pays to the invoice or request (amount less an instalment's plan interest).
alter table payment_attempts add column principal_amount numeric;
-- Why an approved charge was not applied (it was refunded), or why a pending one was settled by recovery.
alter table payment_attempts add column note text;
alter table payment_attempts add column updated_at timestamptz;
create unique index payment_attempts_one_pending on payment_attempts (account_id, serial_key) where outcome = 'pending';
create unique index payment_attempts_form_token on payment_attempts (account_id, request_id, form_token) where form_token is not null;
create unique index payment_attempts_idempotency_key on payment_attempts (account_id, idempotency_key) where idempotency_key is not null;
create index payment_attempts_pending on payment_attempts (created_at) where outcome = 'pending';

-- Refunds: recorded, then sent to the gateway by the outbox until it succeeds.
alter table refunds alter column payment_id drop not null;
alter table refunds add column attempt_id bigint;
alter table refunds add column status text not null default 'succeeded' check (status in ('pending', 'succeeded', 'failed_retrying', 'failed'));
alter table refunds add column tries integer not null default 0;
alter table refunds add column last_error text;
alter table refunds add column updated_at timestamptz;
alter table refunds add constraint refunds_of_something check (payment_id is not null or attempt_id is not null);
create index refunds_attempt on refunds (account_id, attempt_id) where attempt_id is not null;
`;
