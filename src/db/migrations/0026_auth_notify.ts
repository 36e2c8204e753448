// API keys and accounts are cached for a few seconds by every server process (src/accounts/account-cache.ts).
// Any change to either, whoever makes it (the API, the console, the CLI, a hand-written UPDATE), notifies
// the channel `ringbill_auth` with the account id when it commits, and every process drops what it holds
// of that account at once: a revoked key is refused by the next request, on every process.
//
// (splitStatements splits at a semicolon that ends a line: the function body keeps its statements on one line.)

export const up = /* sql */ `
create function ringbill_notify_auth() returns trigger language plpgsql as $$ begin perform pg_notify('ringbill_auth', (case when tg_op = 'DELETE' then to_jsonb(old) else to_jsonb(new) end) ->> tg_argv[0]); return null; end $$;
create trigger api_keys_notify_auth after update or delete on api_keys for each row execute function ringbill_notify_auth('account_id');
create trigger accounts_notify_auth after update or delete on accounts for each row execute function ringbill_notify_auth('id');
`;
