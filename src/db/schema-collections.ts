// Typed view of the collections tables (migration 0007) for Kysely. Only repositories import this.
import type { ColumnType, Generated } from 'kysely';

type Numeric = ColumnType<string, string, string>;
type NumericDefault = ColumnType<string, string | undefined, string>;
type DateColumn = ColumnType<string, string, string>;
type Timestamp = ColumnType<Date, Date | string | undefined, Date | string>;
type Id = Generated<number>;

export type TermPeriodColumn = 'day' | 'month' | 'year';
export type FrequencyColumn = 'weekly' | 'fortnightly' | 'monthly';

export interface CollectBatchesTable {
  account_id: number;
  id: Id;
  request_count: Generated<number>;
  created_at: Timestamp;
}

export interface PaymentRequestsTable {
  account_id: number;
  id: Id;
  batch_id: number | null;
  invoice_id: number | null;
  customer_id: number | null;
  token: string;
  url: string;
  amount: Numeric;
  currency: string;
  paid_amount: NumericDefault;
  refunded_amount: NumericDefault;
  description: string | null;
  account_number: string | null;
  handler: string | null;
  custom_label1: string | null;
  custom_value1: string | null;
  custom_label2: string | null;
  custom_value2: string | null;
  custom_label3: string | null;
  custom_value3: string | null;
  mobile_number: string | null;
  email: string | null;
  channels: Generated<string[]>;
  expires_at: Timestamp;
  allow_partial: Generated<boolean>;
  instalment_enabled: Generated<boolean>;
  plan_rate: Numeric | null;
  plan_max_term: number | null;
  plan_max_term_period: TermPeriodColumn | null;
  plan_frequencies: Generated<string[]>;
  visits: Generated<number>;
  first_visit_at: Date | null;
  last_visit_at: Date | null;
  sms_sent_at: Date | null;
  email_sent_at: Date | null;
  receipt_sent_at: Date | null;
  cancelled_at: Date | null;
  created_at: Timestamp;
  updated_at: Timestamp;
}

export interface PaymentAttemptsTable {
  account_id: number;
  id: Id;
  request_id: number | null;
  invoice_id: number | null;
  instalment_plan_id: number | null;
  instalment_seq: number | null;
  amount: Numeric;
  currency: string;
  outcome: AttemptOutcome;
  decline_reason: string | null;
  gateway: string;
  gateway_reference: string | null;
  card_last4: string | null;
  card_brand: string | null;
  payment_id: number | null;
  created_at: Timestamp;
  purpose: ColumnType<AttemptPurpose, AttemptPurpose | undefined, AttemptPurpose>;
  serial_key: string | null;
  idempotency_key: string | null;
  form_token: string | null;
  process_id: string | null;
  principal_amount: Numeric | null;
  note: string | null;
  updated_at: Date | null;
}

/** pending: recorded before the gateway is asked; not_charged: settled by recovery, the gateway took nothing. */
export type AttemptOutcome = 'pending' | 'approved' | 'declined' | 'not_charged';
export type AttemptPurpose = 'payment' | 'instalment' | 'plan_start';

export type PaymentMethod = 'card' | 'bank_transfer' | 'cash' | 'cheque' | 'direct_debit' | 'other';

export interface PaymentsTable {
  account_id: number;
  id: Id;
  request_id: number | null;
  invoice_id: number | null;
  attempt_id: number | null;
  instalment_plan_id: number | null;
  instalment_seq: number | null;
  amount: Numeric;
  currency: string;
  method: PaymentMethod;
  reference: string | null;
  notes: string | null;
  gateway: string | null;
  gateway_reference: string | null;
  card_last4: string | null;
  refunded_amount: NumericDefault;
  /** An instalment's plan interest, charged with the payment's amount (the principal); not invoice money. */
  interest_amount: NumericDefault;
  paid_at: Timestamp;
  created_at: Timestamp;
}

export type RefundStatus = 'pending' | 'succeeded' | 'failed_retrying' | 'failed';

export interface RefundsTable {
  account_id: number;
  id: Id;
  /** Null for a compensating refund of a charge that could not be applied (attempt_id names it). */
  payment_id: number | null;
  attempt_id: number | null;
  status: ColumnType<RefundStatus, RefundStatus | undefined, RefundStatus>;
  tries: Generated<number>;
  last_error: string | null;
  updated_at: Date | null;
  request_id: number | null;
  invoice_id: number | null;
  amount: Numeric;
  currency: string;
  reason: string | null;
  gateway_reference: string | null;
  created_at: Timestamp;
}

export interface InstalmentPlansTable {
  account_id: number;
  id: Id;
  request_id: number;
  invoice_id: number | null;
  amount: Numeric;
  interest_rate: NumericDefault;
  total_amount: Numeric;
  currency: string;
  frequency: FrequencyColumn;
  start_date: DateColumn;
  max_term: number | null;
  max_term_period: TermPeriodColumn | null;
  gateway: string | null;
  card_token: string | null;
  card_last4: string | null;
  status: Generated<'active' | 'completed' | 'cancelled'>;
  created_at: Timestamp;
  updated_at: Timestamp;
}

export interface InstalmentsTable {
  account_id: number;
  plan_id: number;
  seq: number;
  due_date: DateColumn;
  amount: Numeric;
  status: Generated<'due' | 'paid' | 'missed' | 'cancelled'>;
  payment_id: number | null;
  attempts: Generated<number>;
  last_attempt_at: Date | null;
  last_error: string | null;
  paid_at: Date | null;
}

export interface SmsMessagesTable {
  account_id: number;
  id: Id;
  request_id: number | null;
  kind: Generated<'payment_request' | 'receipt' | 'instalment' | 'other'>;
  to_number: string;
  body: string;
  provider: string;
  status: Generated<'sent' | 'failed'>;
  provider_message_id: string | null;
  error: string | null;
  outbox_job_id: number | null;
  created_at: Timestamp;
}

export interface ReceiptsTable {
  account_id: number;
  id: Id;
  payment_id: number;
  request_id: number | null;
  invoice_id: number | null;
  channel: 'email' | 'sms';
  recipient: string;
  amount: Numeric;
  sent_at: Date | null;
  created_at: Timestamp;
}

export interface CollectionsTables {
  collect_batches: CollectBatchesTable;
  payment_requests: PaymentRequestsTable;
  payment_attempts: PaymentAttemptsTable;
  payments: PaymentsTable;
  refunds: RefundsTable;
  instalment_plans: InstalmentPlansTable;
  instalments: InstalmentsTable;
  sms_messages: SmsMessagesTable;
  receipts: ReceiptsTable;
}
