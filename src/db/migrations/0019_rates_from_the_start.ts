// A rate card's first rates, loaded without a date, apply from the start of time: effective_from is null
// for them (so last month's calls can be priced by a card loaded today). The feed's call_record_id=
// parameter returns the rows of one call, by complete_call_id: an index that reads them in feed order.

export const up = /* sql */ `
alter table rates alter column effective_from drop not null;
create index call_transactions_complete_call on call_transactions (account_id, complete_call_id, transaction_id);
`;
