// Webhook secrets are shown once. Before this version, POST /webhooks and POST /webhooks/ID/rotateSecret
// with an Idempotency-Key kept their answer, secret included, for replays; those routes now refuse the
// header, and the answers already kept are deleted here so no secret stays stored beside its key.
// A webhook's answer is the only one with both "previousSecretExpires" and "secret" (in that order, as
// the response schema writes them).

export const up = /* sql */ `
delete from idempotency_keys where response_body like '%"previousSecretExpires":%"secret":%';
`;
