// Issue 13, console sign-in across accounts: when one email address is a console user in several accounts,
// the password is checked first and the person then chooses the account. The chooser's buttons carry
// one-time links of a third purpose, 'choose' (five minutes, one per account whose user the password
// matched), kept in console_links beside the set-up and reset links: each names its account, like every
// token looked up before the account is known.

export const up = /* sql */ `
alter table console_links drop constraint console_links_purpose_check;
alter table console_links add constraint console_links_purpose_check
  check (purpose in ('set_up', 'reset', 'choose'));
`;
