// Typed view of the prepaid tables (migration 0016) for Kysely. Only repositories import this.
import type { ColumnType, Generated, Selectable } from 'kysely';

type Numeric = ColumnType<string, string, string>;
type NumericDefault = ColumnType<string, string | undefined, string>;
type Timestamp = ColumnType<Date, Date | string | undefined, Date | string>;
type Id = Generated<number>;

export type BillingMode = 'postpaid' | 'prepaid';
export type EntryKind =
  | 'opening'
  | 'top_up'
  | 'call'
  | 'call_correction'
  | 'reservation'
  | 'release'
  | 'adjustment'
  | 'refund'
  | 'invoice_settlement'
  | 'payment';
export type TopUpMethod = 'bank_transfer' | 'cash' | 'cheque' | 'card' | 'direct_debit' | 'other' | 'payment_request' | 'auto';
export type TopUpStatus = 'pending' | 'completed' | 'failed' | 'cancelled';
export type ReservationStatus = 'active' | 'settled' | 'released' | 'expired';
export type AlertKind = 'low_balance' | 'spend_daily' | 'spend_monthly' | 'credit_used';

export interface BalancesTable {
  account_id: number;
  customer_id: number;
  currency: string;
  balance: NumericDefault;
  reserved: NumericDefault;
  entries: Generated<number>;
  spend_day: string | null;
  spend_day_amount: NumericDefault;
  spend_month: string | null;
  spend_month_amount: NumericDefault;
  auto_top_up_enabled: Generated<boolean>;
  auto_top_up_threshold: Numeric | null;
  auto_top_up_amount: Numeric | null;
  auto_top_up_card_token: string | null;
  auto_top_up_card_last4: string | null;
  created_at: Timestamp;
  updated_at: Timestamp;
}

export interface BalanceEntriesTable {
  account_id: number;
  id: Id;
  customer_id: number;
  seq: number;
  kind: EntryKind;
  amount: Numeric;
  vat_amount: Numeric | null;
  currency: string;
  balance_after: Numeric;
  reserved_after: Numeric;
  call_id: number | null;
  reservation_id: number | null;
  invoice_id: number | null;
  top_up_id: number | null;
  payment_id: number | null;
  description: string | null;
  created_at: Timestamp;
}

export interface BalanceTopUpsTable {
  account_id: number;
  id: Id;
  customer_id: number;
  method: TopUpMethod;
  amount: Numeric;
  currency: string;
  status: TopUpStatus;
  reference: string | null;
  notes: string | null;
  request_id: number | null;
  payment_id: number | null;
  attempts: Generated<number>;
  failure_reason: string | null;
  created_at: Timestamp;
  completed_at: Date | null;
}

export interface ReservationsTable {
  account_id: number;
  id: Id;
  customer_id: number;
  feature_id: number;
  call_id: string | null;
  from_number: string;
  to_number: string;
  start_time: Timestamp;
  rate_id: number | null;
  destination: string | null;
  amount: Numeric;
  max_duration_s: number;
  status: ReservationStatus;
  expires_at: Timestamp;
  settled_call_id: number | null;
  ended_at: Date | null;
  created_at: Timestamp;
  updated_at: Timestamp;
}

export interface BalanceAlertsTable {
  account_id: number;
  id: Id;
  customer_id: number | null;
  kind: AlertKind;
  threshold: Numeric;
  channels: Generated<string[]>;
  enabled: Generated<boolean>;
  created_at: Timestamp;
  updated_at: Timestamp;
}

export interface BalanceAlertStatesTable {
  account_id: number;
  customer_id: number;
  alert_id: number;
  fired: Generated<boolean>;
  period: string | null;
  fired_at: Date | null;
}

export interface BalanceAlertEventsTable {
  account_id: number;
  id: Id;
  customer_id: number;
  alert_id: number;
  kind: AlertKind;
  threshold: Numeric;
  value: Numeric;
  created_at: Timestamp;
}

export interface PortalContactsTable {
  account_id: number;
  id: Id;
  customer_id: number;
  email: string;
  created_at: Timestamp;
}

export interface PortalLinksTable {
  account_id: number;
  id: Id;
  customer_id: number;
  email: string;
  token_hash: Buffer | Uint8Array;
  expires_at: Timestamp;
  used_at: Date | null;
  created_at: Timestamp;
}

export interface PortalSessionsTable {
  account_id: number;
  id: Id;
  customer_id: number;
  email: string;
  token_hash: Buffer | Uint8Array;
  csrf_token: string;
  expires_at: Timestamp;
  last_seen_at: Timestamp;
  revoked_at: Date | null;
  created_at: Timestamp;
}

export interface PrepaidTables {
  balances: BalancesTable;
  balance_entries: BalanceEntriesTable;
  balance_top_ups: BalanceTopUpsTable;
  reservations: ReservationsTable;
  balance_alerts: BalanceAlertsTable;
  balance_alert_states: BalanceAlertStatesTable;
  balance_alert_events: BalanceAlertEventsTable;
  portal_contacts: PortalContactsTable;
  portal_links: PortalLinksTable;
  portal_sessions: PortalSessionsTable;
}

export type BalanceRow = Selectable<BalancesTable>;
export type BalanceEntryRow = Selectable<BalanceEntriesTable>;
export type TopUpRow = Selectable<BalanceTopUpsTable>;
export type ReservationRow = Selectable<ReservationsTable>;
export type BalanceAlertRow = Selectable<BalanceAlertsTable>;
export type PortalSessionRow = Selectable<PortalSessionsTable>;
