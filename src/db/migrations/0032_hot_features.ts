// Issue 15, item 2: every billing run writes each recurring feature's billed_until. At fillfactor 80 (0001)
// a page of features had room for about a quarter of its rows' new versions, so three updates in four left
// the page: a new heap tuple and an entry in each of the table's three indexes (4 WAL records a row instead
// of 1). At 45 every row of a page can take its new version in place (a HOT update): the bench's bare
// update of 10,000 features went from 192 ms to 26 ms on PostgreSQL (40,892 WAL records to 10,000).
// Features are few beside calls and charges, so the doubled heap costs little. Invoices stay at 70: their
// rows grow when a run completes them (VAT breakdown, baseline), so no fillfactor short of a third would
// keep every update in place, and raised invoices, most of the table, are never rewritten by a run.
// Existing pages keep their packing until rewritten; new and updated rows use the new setting.

export const up = /* sql */ `
alter table features set (fillfactor = 45);
`;
