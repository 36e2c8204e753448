// A rate card's first rates, loaded without a date, apply from the start of time: effective_from is null
// for them (so last month's calls can be priced by a card loaded today). The feed's call_record_id=
// parameter finds a call by its complete_call_id: an index for that lookup.

export const up = /* sql */ `
alter table rates alter column effective_from drop not null;
create index calls_complete_call_id on calls (account_id, complete_call_id);
`;
