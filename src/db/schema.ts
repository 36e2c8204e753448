// The names the code uses for the tables, derived from the types generated from the migrated database
// (schema.generated.ts, `npm run db:types`), so they cannot drift from the migrations. Only repositories
// import this. The other schema-*.ts files name the rows of their own migrations the same way.
import type { Insertable, Selectable, Updateable } from 'kysely';
import type * as G from './schema.generated.ts';

export type { DB } from './schema.generated.ts';
export type { VatBreakdownRow } from './json-columns.ts';

export type AccountsTable = G.Accounts;
export type BillingTransactionsTable = G.BillingTransactions;
export type IdempotencyKeysTable = G.IdempotencyKeys;
/** A Ringbill process and its heartbeat (see migration 0013); not tenant data, so no account_id. */
export type ProcessesTable = G.Processes;
export type RatesTable = G.Rates;

export type RateBandColumn = Selectable<G.Rates>['band'];
export type CallStatus = Selectable<G.Calls>['status'];
/** internal: a call between extensions (or to a special extension) kept, never rated (migration 0015). */
export type RatingStatus = Selectable<G.Calls>['rating_status'];

export type RateCardRow = Selectable<G.RateCards>;
export type RateRow = Selectable<G.Rates>;
export type CallRow = Selectable<G.Calls>;
export type RejectedRow = Selectable<G.RejectedRows>;

export type AccountRow = Selectable<G.Accounts>;
export type ApiKeyRow = Selectable<G.ApiKeys>;
export type CustomerRow = Selectable<G.Customers>;
export type NewCustomer = Insertable<G.Customers>;
export type CustomerUpdate = Updateable<G.Customers>;
export type FeatureRow = Selectable<G.Features>;
export type NewFeature = Insertable<G.Features>;
export type FeatureUpdate = Updateable<G.Features>;
export type BillingRunRow = Selectable<G.BillingRuns>;
export type InvoiceRow = Selectable<G.Invoices>;
export type InvoiceUpdate = Updateable<G.Invoices>;
export type BillingTransactionRow = Selectable<G.BillingTransactions>;
export type NewBillingTransaction = Insertable<G.BillingTransactions>;
export type BillingTransactionUpdate = Updateable<G.BillingTransactions>;
