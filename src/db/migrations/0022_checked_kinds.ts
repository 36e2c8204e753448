// Two text columns the code treats as closed lists had no CHECK in the database (found when the schema types
// started being generated from the migrated database, issue 12): the kind of a fired balance alert (the
// kinds of balance_alerts) and the origin of a billing transaction. The database now refuses any other value,
// so the generated types carry the lists as the hand-written ones claimed.

export const up = /* sql */ `
alter table balance_alert_events add constraint balance_alert_events_kind_check
  check (kind in ('low_balance', 'spend_daily', 'spend_monthly', 'credit_used'));
alter table billing_transactions add constraint billing_transactions_origin_check
  check (origin in ('api', 'recurring', 'calls', 'adjustment', 'discount', 'fee'));
`;
