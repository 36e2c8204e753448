// The automatic top-up's charge survives a crash between the gateway's answer and its record: before the
// card is charged, the top-up records the idempotency key it sends to the gateway (charge_key) and when
// (charge_started_at). A run that finds a key set and the top-up unpaid asks the gateway again with the
// same key: the gateway answers with the first charge (its reference) and charges nothing more. The key is
// cleared once an outcome is recorded (a decline to retry gets a new key on the next attempt).
export const up = /* sql */ `
alter table balance_top_ups add column charge_key text;
alter table balance_top_ups add column charge_started_at timestamptz;
`;
