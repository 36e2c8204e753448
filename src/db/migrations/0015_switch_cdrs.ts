// Calls straight from the switch (Asterisk, FreeSWITCH, Kamailio/OpenSIPS, CGRateS): how an account reads its
// switch's records, and calls kept as internal (extension to extension, a special extension, a SIP user
// name) when the account says so instead of refusing them.
//
//   cdr_timezone                 the switch's time zone for local times without an offset (null: the account's)
//   cdr_country                  ISO 3166 country whose national numbers the switch writes (null: none)
//   cdr_international_prefixes   prefixes that mean "an international number follows" (null: 00)
//   cdr_tech_prefixes            routing prefixes the switch puts before a number, stripped
//   cdr_extension_max_digits     digits-only numbers this short are internal extensions
//   cdr_internal_calls           refuse (kept as refused lines with the reason) or store (as internal calls, not rated)

export const up = /* sql */ `
alter table accounts add column cdr_timezone text;
alter table accounts add column cdr_country text check (cdr_country ~ '^[A-Z]{2}$');
alter table accounts add column cdr_international_prefixes text[];
alter table accounts add column cdr_tech_prefixes text[] not null default '{}';
alter table accounts add column cdr_extension_max_digits integer not null default 4 check (cdr_extension_max_digits between 0 and 8);
alter table accounts add column cdr_internal_calls text not null default 'refuse' check (cdr_internal_calls in ('refuse', 'store'));

-- calls_rating_status_check is 0002's inline check on calls.rating_status.
alter table calls drop constraint calls_rating_status_check;
alter table calls add constraint calls_rating_status_check check (rating_status in ('rated', 'free', 'unrated', 'unallocated', 'internal'));
`;
