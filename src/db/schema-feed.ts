// Names for the call feed tables (migration 0005), derived from the generated types (see schema.ts).
import type { Selectable } from 'kysely';
import type * as G from './schema.generated.ts';

export type FeedTransactionType = Selectable<G.CallTransactions>['transaction_type'];
export type CustomDataType = Selectable<G.CustomDataFields>['data_type'];
export type CallTransactionRow = Selectable<G.CallTransactions>;
export type CallEventRow = Selectable<G.CallEvents>;
export type CustomDataFieldRow = Selectable<G.CustomDataFields>;
