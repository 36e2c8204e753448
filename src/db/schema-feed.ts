// Typed view of the call feed tables (migration 0005) for Kysely. Only repositories import this.
import type { ColumnType, Generated, Selectable } from 'kysely';

type Timestamp = ColumnType<Date, Date | string | undefined, Date | string>;
type Numeric = ColumnType<string, string, string>;
type Json = ColumnType<unknown, string | null | undefined, string | null>;

export type FeedTransactionType = 'call' | 'post_call_event' | 'signal' | 'sale';

export interface CallTransactionsTable {
  account_id: number;
  transaction_id: number;
  transaction_type: FeedTransactionType;
  call_id: number;
  complete_call_id: string;
  corrects_transaction_id: number | null;
  corrected_at: Date | null;
  start_time: Timestamp;
  duration_s: number | null;
  connect_duration_s: number | null;
  calling_phone_number: string;
  destination_phone_number: string;
  call_status: string;
  payin: Numeric | null;
  payout: Numeric | null;
  recording_url: string | null;
  notes: string | null;
  custom_data: Json;
  partner_unique_id: string | null;
  occurred_at: Date | null;
  revenue: Numeric | null;
  signal_name: string | null;
  signal_value: boolean | null;
  created_at: Timestamp;
}

export interface CallEventsTable {
  account_id: number;
  call_id: number;
  partner_unique_id: string;
  custom_data: Json;
  revenue: Numeric | null;
  occurred_at: Timestamp;
  transaction_id: number;
  created_at: Timestamp;
  updated_at: Timestamp;
}

export type CustomDataType = 'shortText' | 'longText' | 'category' | 'number' | 'signal';

export interface CustomDataFieldsTable {
  account_id: number;
  id: Generated<number>;
  api_name: string;
  name: string;
  data_type: CustomDataType;
  created_at: Timestamp;
  updated_at: Timestamp;
}

export interface FeedTables {
  call_transactions: CallTransactionsTable;
  call_events: CallEventsTable;
  custom_data_fields: CustomDataFieldsTable;
}

export type CallTransactionRow = Selectable<CallTransactionsTable>;
export type CallEventRow = Selectable<CallEventsTable>;
export type CustomDataFieldRow = Selectable<CustomDataFieldsTable>;
