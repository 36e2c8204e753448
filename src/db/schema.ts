// Typed view of the tables for Kysely. Only repositories import this.
import type { ColumnType, Generated, Insertable, Selectable, Updateable } from 'kysely';
import type { CollectionsTables } from './schema-collections.ts';
import type { FeedTables } from './schema-feed.ts';
import type { PrepaidTables } from './schema-prepaid.ts';
import type { ConsoleTables } from './schema-console.ts';
import type { WebhooksTables } from './schema-webhooks.ts';

/** NUMERIC comes back as a decimal string and is written as one: money never passes through a float. */
type Numeric = ColumnType<string, string, string>;
type NumericDefault = ColumnType<string, string | undefined, string>;
/** DATE comes back as "YYYY-MM-DD" (see the type parsers in connection.ts). */
type DateColumn = ColumnType<string, string, string>;
type Timestamp = ColumnType<Date, Date | string | undefined, Date | string>;
type Id = Generated<number>;

export interface AccountsTable {
  id: Id;
  name: string;
  timezone: string;
  currency: string;
  default_vat_rate: NumericDefault;
  payment_terms_days: Generated<number>;
  invoice_prefix: Generated<string>;
  invoice_next_number: Generated<number>;
  modules: Generated<string[]>;
  email: string | null;
  phone: string | null;
  vat_number: string | null;
  company_number: string | null;
  address_line1: string | null;
  address_line2: string | null;
  city: string | null;
  region: string | null;
  postcode: string | null;
  country: string | null;
  /** Local time of day, "HH:MM:SS". */
  peak_start: Generated<string>;
  peak_end: Generated<string>;
  logo: Buffer | Uint8Array | null;
  logo_content_type: string | null;
  payment_details: string | null;
  email_from: string | null;
  default_bill_style: Generated<string>;
  late_fee: Numeric | null;
  interest_rate: Numeric | null;
  low_usage_minimum: Numeric | null;
  manual_billing_fee: Numeric | null;
  /** The call feed's style (migration 0005): rollup (signals in call rows), legacy (a row per signal and sale). */
  feed_style: Generated<'rollup' | 'legacy'>;
  /** How the account's switch writes its records (migration 0015; see calls/formats/number-plan.ts). */
  cdr_timezone: string | null;
  cdr_country: string | null;
  cdr_international_prefixes: string[] | null;
  cdr_tech_prefixes: Generated<string[]>;
  cdr_extension_max_digits: Generated<number>;
  cdr_internal_calls: Generated<'refuse' | 'store'>;
  created_at: Timestamp;
  updated_at: Timestamp;
}

export interface ApiKeysTable {
  account_id: number;
  id: Id;
  name: string | null;
  level: number;
  key_hash: Buffer | Uint8Array;
  key_prefix: string;
  timezone: string;
  created_at: Timestamp;
  revoked_at: Date | null;
}

export interface CustomersTable {
  account_id: number;
  id: Id;
  name: string;
  account_number: string | null;
  email: string | null;
  mobile_number: string | null;
  reverse_charge: Generated<boolean>;
  vat_number: string | null;
  payment_terms_days: number | null;
  payment_method: string | null;
  rate_card_id: number | null;
  bill_delivery: Generated<'email' | 'post'>;
  discount_plan_id: number | null;
  customer_reference: string | null;
  purchase_order_number: string | null;
  address_line1: string | null;
  address_line2: string | null;
  city: string | null;
  region: string | null;
  postcode: string | null;
  country: string | null;
  /** Migration 0016: prepaid (a balance pays for calls) or postpaid (invoiced; credit_limit caps what may be owed). */
  billing_mode: Generated<'postpaid' | 'prepaid'>;
  credit_limit: Numeric | null;
  overdraft: NumericDefault;
  created_at: Timestamp;
  updated_at: Timestamp;
}

export interface FeaturesTable {
  account_id: number;
  id: Id;
  customer_id: number;
  name: string;
  phone_number: string | null;
  recurring_value: Numeric | null;
  recurring_frequency: 'monthly' | 'quarterly' | 'annually' | null;
  billing: Generated<'advance' | 'arrears'>;
  start_date: DateColumn | null;
  end_date: DateColumn | null;
  vat_rate: Numeric | null;
  billed_until: DateColumn | null;
  rate_card_id: number | null;
  created_at: Timestamp;
  updated_at: Timestamp;
}

export interface BillingRunsTable {
  account_id: number;
  id: Id;
  cutoff_date: DateColumn;
  status: 'running' | 'completed' | 'failed' | 'interrupted';
  customers_billed: Generated<number>;
  invoices_created: Generated<number>;
  /** Invoices the run completed: those it created and the customers' existing unsent ones. */
  invoices_completed: Generated<number>;
  /** The process running it (processes.id) while status is running. */
  owner_process: string | null;
  error: string | null;
  started_at: Timestamp;
  finished_at: Date | null;
}

export interface InvoicesTable {
  account_id: number;
  id: Id;
  customer_id: number;
  invoice_number: string | null;
  billing_run_id: number | null;
  invoice_date: DateColumn | null;
  cutoff_date: DateColumn | null;
  transaction_cutoff_date: DateColumn | null;
  due_date: DateColumn | null;
  paid_date: DateColumn | null;
  payment_method: string | null;
  invoice_amount: NumericDefault;
  invoice_vat: NumericDefault;
  invoice_reverse_vat: NumericDefault;
  total: NumericDefault;
  paid_amount: NumericDefault;
  call_count: Generated<number>;
  call_minutes: Generated<number>;
  charges_one_off: NumericDefault;
  charges_recurring: NumericDefault;
  charges_calls: NumericDefault;
  charges_refunds: NumericDefault;
  charges_late: NumericDefault;
  charges_interest: NumericDefault;
  charges_carrier_provided: NumericDefault;
  charges_manual_billing: NumericDefault;
  charges_low_usage: NumericDefault;
  charges_manual: NumericDefault;
  charges_discount: NumericDefault;
  vat_breakdown: ColumnType<VatBreakdownRow[], string | undefined, string>;
  bill_style: string | null;
  invoice_message: string | null;
  usage_report_profile: string | null;
  customer_reference: string | null;
  purchase_order_number: string | null;
  online_bill_type: string | null;
  email_bill_type: string | null;
  post_bill_type: string | null;
  fax_bill_type: string | null;
  bill_types: Generated<string[]>;
  recurring_baseline: ColumnType<Record<string, string | null>, string | undefined, string>;
  approved_at: Date | null;
  emailed_at: Date | null;
  downloaded_at: Date | null;
  printed_at: Date | null;
  delivered_at: Date | null;
  xero_id: string | null;
  late_fee_charged_at: Date | null;
  interest_until: DateColumn | null;
  created_at: Timestamp;
  updated_at: Timestamp;
}

export interface VatBreakdownRow {
  rate: string;
  net: string;
  vat: string;
}

export interface BillingTransactionsTable {
  account_id: number;
  id: Id;
  customer_id: number;
  feature_id: number | null;
  invoice_id: number | null;
  /**
   * api: entered; recurring: generated from a feature; calls: a call summary; adjustment: re-rating
   * difference; discount: from the customer's discount plan; fee: late fee, interest, low usage, manual billing.
   */
  origin: Generated<'api' | 'recurring' | 'calls' | 'adjustment' | 'discount' | 'fee'>;
  pinned: Generated<boolean>;
  transaction_type: string;
  description: string | null;
  notes: string | null;
  site: string | null;
  campaign: string | null;
  transaction_code: string | null;
  feature_count: number | null;
  carrier: string | null;
  source: string | null;
  refunded_id: number | null;
  transaction_date: DateColumn;
  bill_date: DateColumn;
  start_date: DateColumn | null;
  end_date: DateColumn | null;
  value: Numeric;
  vat_rate: Numeric;
  value_carrier: Numeric | null;
  value_cdr: Numeric | null;
  call_count: number | null;
  call_minutes: number | null;
  commission_profile: string | null;
  commission_holder: string | null;
  value_commission: Numeric | null;
  value_commission_target_contribution: Numeric | null;
  value_commission_target_contribution_one_off: Numeric | null;
  value_commission_target_contribution_recurring: Numeric | null;
  value_commission_target_contribution_calls: Numeric | null;
  commission_holder2: string | null;
  value_commission2: Numeric | null;
  value_commission_target_contribution2: Numeric | null;
  value_commission_target_contribution_one_off2: Numeric | null;
  value_commission_target_contribution_recurring2: Numeric | null;
  value_commission_target_contribution_calls2: Numeric | null;
  commission_profile_type: string | null;
  commission_profile_value: Numeric | null;
  call_destination: string | null;
  source_invoice_id: number | null;
  created_at: Timestamp;
  updated_at: Timestamp;
}

export interface IdempotencyKeysTable {
  account_id: number;
  key: string;
  request_hash: string;
  response_status: number | null;
  response_body: string | null;
  created_at: Timestamp;
  /** The process handling the request (processes.id) until its answer is recorded. */
  owner_process: string | null;
}

/** A Ringbill process and its heartbeat (see migration 0013); not tenant data, so no account_id. */
export interface ProcessesTable {
  id: string;
  pid: number;
  hostname: string;
  role: 'server' | 'command';
  description: string;
  started_at: Timestamp;
  heartbeat_at: Timestamp;
}

export interface RateCardsTable {
  account_id: number;
  id: Id;
  name: string;
  is_default: Generated<boolean>;
  created_at: Timestamp;
  updated_at: Timestamp;
}

export type RateBandColumn = 'all' | 'peak' | 'offpeak' | 'weekend';

export interface RatesTable {
  account_id: number;
  id: Id;
  rate_card_id: number;
  prefix: string;
  destination: string;
  band: ColumnType<RateBandColumn, RateBandColumn | undefined, RateBandColumn>;
  rate_per_minute: Numeric;
  connection_fee: NumericDefault;
  minimum_charge: NumericDefault;
  initial_increment_s: Generated<number>;
  subsequent_increment_s: Generated<number>;
  cost_per_minute: Numeric | null;
  /** Null: from the start of time (a card's first import without a date). */
  effective_from: DateColumn | null;
  effective_to: DateColumn | null;
  created_at: Timestamp;
}

export type CallStatus = 'completed' | 'missed' | 'busy' | 'failed';
/** internal: a call between extensions (or to a special extension) kept, never rated (migration 0015). */
export type RatingStatus = 'rated' | 'free' | 'unrated' | 'unallocated' | 'internal';

export interface CallsTable {
  account_id: number;
  id: Id;
  source_call_id: string;
  complete_call_id: Generated<string>;
  from_number: string;
  to_number: string;
  start_time: Timestamp;
  duration_s: number;
  status: CallStatus;
  direction: 'inbound' | 'outbound';
  carrier: string | null;
  recording_url: string | null;
  transcription_url: string | null;
  confidence_score: Numeric | null;
  voice_agent_id: string | null;
  customer_id: number | null;
  feature_id: number | null;
  rating_status: RatingStatus;
  rating_error: string | null;
  rate_id: number | null;
  destination: string | null;
  band: string | null;
  billable_s: number | null;
  charge: Numeric | null;
  cost: Numeric | null;
  billed_charge: Numeric | null;
  invoice_id: number | null;
  rated_at: Date | null;
  created_at: Timestamp;
  /** The payout for the call (migration 0005); changing it corrects the call in the feed. */
  payout: Numeric | null;
  notes: string | null;
  /** The call's own signals and custom data: {api name: {value, data_type, source}} (migration 0005). */
  custom_data: ColumnType<unknown, string | null | undefined, string | null>;
}

export interface RejectedRowsTable {
  account_id: number;
  id: Id;
  kind: 'calls' | 'rates';
  source: string;
  line: number | null;
  raw: string;
  reason: string;
  created_at: Timestamp;
}

export interface CallFilesTable {
  account_id: number;
  call_id: number;
  kind: 'recording' | 'transcription';
  content_type: string;
  content: Buffer | Uint8Array;
  created_at: Timestamp;
}

export interface OutboxTable {
  account_id: number;
  id: Id;
  kind: string;
  payload: ColumnType<unknown, string, string>;
  status: Generated<'pending' | 'delivered' | 'failed'>;
  attempts: Generated<number>;
  max_attempts: Generated<number>;
  next_attempt_at: Timestamp;
  last_error: string | null;
  dedupe_key: string | null;
  created_at: Timestamp;
  finished_at: Date | null;
}

export interface BillStylesTable {
  account_id: number;
  id: Id;
  name: string;
  base: 'full' | 'summary';
  itemise_calls: Generated<boolean>;
  show_call_summary: Generated<boolean>;
  created_at: Timestamp;
  updated_at: Timestamp;
}

export interface MessageTemplatesTable {
  account_id: number;
  id: Id;
  name: string;
  subject: string;
  body: string;
  created_at: Timestamp;
  updated_at: Timestamp;
}

export interface AttachmentsTable {
  account_id: number;
  id: Id;
  name: string;
  filename: string;
  content_type: string;
  content: Buffer | Uint8Array;
  created_at: Timestamp;
  updated_at: Timestamp;
}

export interface UsageReportProfilesTable {
  account_id: number;
  id: Id;
  name: string;
  kind: 'calls_by_feature' | 'call_detail';
  created_at: Timestamp;
  updated_at: Timestamp;
}

export interface InvoiceDocumentsTable {
  account_id: number;
  invoice_id: number;
  bill_style: string;
  content: Buffer | Uint8Array;
  rendered_at: Timestamp;
}

export interface DownloadLinksTable {
  account_id: number;
  id: Id;
  invoice_id: number;
  token_hash: Buffer | Uint8Array;
  expires_at: Timestamp;
  max_uses: number;
  uses: Generated<number>;
  created_at: Timestamp;
  last_used_at: Date | null;
}

export interface DiscountPlansTable {
  account_id: number;
  id: Id;
  name: string;
  rules: ColumnType<unknown, string, string>;
  created_at: Timestamp;
  updated_at: Timestamp;
}

export interface DB extends CollectionsTables, WebhooksTables, FeedTables, PrepaidTables, ConsoleTables {
  accounts: AccountsTable;
  api_keys: ApiKeysTable;
  customers: CustomersTable;
  features: FeaturesTable;
  billing_runs: BillingRunsTable;
  invoices: InvoicesTable;
  billing_transactions: BillingTransactionsTable;
  idempotency_keys: IdempotencyKeysTable;
  processes: ProcessesTable;
  rate_cards: RateCardsTable;
  rates: RatesTable;
  calls: CallsTable;
  rejected_rows: RejectedRowsTable;
  call_files: CallFilesTable;
  outbox: OutboxTable;
  bill_styles: BillStylesTable;
  message_templates: MessageTemplatesTable;
  attachments: AttachmentsTable;
  usage_report_profiles: UsageReportProfilesTable;
  invoice_documents: InvoiceDocumentsTable;
  download_links: DownloadLinksTable;
  discount_plans: DiscountPlansTable;
}

export type RateCardRow = Selectable<RateCardsTable>;
export type RateRow = Selectable<RatesTable>;
export type CallRow = Selectable<CallsTable>;
export type RejectedRow = Selectable<RejectedRowsTable>;

export type AccountRow = Selectable<AccountsTable>;
export type ApiKeyRow = Selectable<ApiKeysTable>;
export type CustomerRow = Selectable<CustomersTable>;
export type NewCustomer = Insertable<CustomersTable>;
export type CustomerUpdate = Updateable<CustomersTable>;
export type FeatureRow = Selectable<FeaturesTable>;
export type NewFeature = Insertable<FeaturesTable>;
export type FeatureUpdate = Updateable<FeaturesTable>;
export type BillingRunRow = Selectable<BillingRunsTable>;
export type InvoiceRow = Selectable<InvoicesTable>;
export type InvoiceUpdate = Updateable<InvoicesTable>;
export type BillingTransactionRow = Selectable<BillingTransactionsTable>;
export type NewBillingTransaction = Insertable<BillingTransactionsTable>;
export type BillingTransactionUpdate = Updateable<BillingTransactionsTable>;
