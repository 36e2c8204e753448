// Instalment interest on payments, and settled instalments. A card payment of an instalment charges its
// principal share (the payment's amount: what the invoice received) plus the plan's interest share
// (interest_amount: not invoice money). Receipts and refunds work on the sum, what the card was charged, so
// the interest can be refunded too. An instalment left when its invoice was paid another way is 'cancelled'
// (never charged).

export const up = /* sql */ `
alter table payments add column interest_amount numeric not null default 0 check (interest_amount >= 0);
-- payments_check is 0007's (refunded_amount >= 0 and refunded_amount <= amount).
alter table payments drop constraint payments_check;
alter table payments add constraint payments_refunded_amount_check check (refunded_amount >= 0 and refunded_amount <= amount + interest_amount);

alter table instalments drop constraint instalments_status_check;
alter table instalments add constraint instalments_status_check check (status in ('due', 'paid', 'missed', 'cancelled'));
`;
