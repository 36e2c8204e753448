// A file sent again (a switch re-sending the day's CDRs) refuses its bad lines again: each is kept once.
// Rows are found by the source, line number and text they were refused for.

export const up = /* sql */ `
create index rejected_rows_line on rejected_rows (account_id, kind, source, line);
`;
