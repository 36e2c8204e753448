// Ready to distribute by account (issue 12): no unique index may span accounts. The public tokens (API keys,
// download links, pay links, portal and console sign-in links and sessions) had global unique indexes,
// because each is looked up before the account is known. New tokens carry their account
// (src/tokens/routed-token.ts), so their unique indexes start with account_id like every other.
//
// Tokens already issued must keep working (a link already emailed, a key already configured in a switch):
// legacy_tokens keeps the account of each of them, by the SHA-256 of the token's text (what the tables store,
// except payment_requests, which keeps its token as text). Nothing writes it after this migration; on Citus
// it is a reference table. A lookup tries the account the token names, then this table
// (src/tokens/find-by-token.ts).

export const up = /* sql */ `
create table legacy_tokens (
  kind text not null check (kind in ('api_key', 'download', 'pay', 'portal_link', 'portal_session', 'console_link', 'console_session')),
  token_hash bytea not null,
  account_id bigint not null,
  primary key (kind, token_hash)
);
insert into legacy_tokens (kind, token_hash, account_id) select 'api_key', key_hash, account_id from api_keys;
insert into legacy_tokens (kind, token_hash, account_id) select 'download', token_hash, account_id from download_links;
insert into legacy_tokens (kind, token_hash, account_id) select 'pay', sha256(convert_to(token, 'UTF8')), account_id from payment_requests;
insert into legacy_tokens (kind, token_hash, account_id) select 'portal_link', token_hash, account_id from portal_links;
insert into legacy_tokens (kind, token_hash, account_id) select 'portal_session', token_hash, account_id from portal_sessions;
insert into legacy_tokens (kind, token_hash, account_id) select 'console_link', token_hash, account_id from console_links;
insert into legacy_tokens (kind, token_hash, account_id) select 'console_session', token_hash, account_id from console_sessions;

drop index api_keys_key_hash;
create unique index api_keys_key_hash on api_keys (account_id, key_hash);
drop index download_links_token;
create unique index download_links_token on download_links (account_id, token_hash);
drop index payment_requests_token;
create unique index payment_requests_token on payment_requests (account_id, token);
drop index portal_links_token;
create unique index portal_links_token on portal_links (account_id, token_hash);
drop index portal_sessions_token;
create unique index portal_sessions_token on portal_sessions (account_id, token_hash);
drop index console_links_token;
create unique index console_links_token on console_links (account_id, token_hash);
drop index console_sessions_token;
create unique index console_sessions_token on console_sessions (account_id, token_hash);
`;
