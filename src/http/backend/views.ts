// How resources look on the backend API (camelCase, amounts as decimal strings, ids as strings), with the
// response schema of each for the OpenAPI document.
import { z } from 'zod';
import { DEFAULT_INTERNATIONAL_PREFIXES } from '../../shared/number-plan.ts';
import { addressFromColumns } from '../../accounts/settings.ts';
import type { AccountRow } from '../../accounts/repo.ts';
import type { ApiKeyRow } from '../../api-keys/repo.ts';
import type { BillingRunRow } from '../../billing-runs/repo.ts';
import type { CallRow } from '../../calls/repo.ts';
import type { CustomerRow } from '../../customers/repo.ts';
import type { FeatureRow } from '../../features/repo.ts';
import type { InvoiceRow } from '../../invoices/repo.ts';
import type { BillingTransactionRow } from '../../invoices/transactions-repo.ts';
import type { RateCardRow, RateRow } from '../../rate-cards/repo.ts';
import type { RejectedRow } from '../../rejections/repo.ts';
import { nonCallCharges, outstanding, statusFlags } from '../../invoices/status.ts';
import type { BillStyle } from '../../delivery-settings/bill-styles.ts';
import type { AttachmentInfo, BillStyleRow, MessageTemplateRow, UsageReportProfileRow } from '../../delivery-settings/settings-repo.ts';
import type { MessageTemplate } from '../../delivery-settings/templates.ts';
import type { UsageReportProfile } from '../../delivery-settings/usage-reports.ts';
import type { DiscountPlanRow } from '../../discounts/repo.ts';
import { formatCompleteCallId } from '../../feed/columns.ts';
import { currencyMinorDigits, formatAmount, formatAmountAtLeast, formatDecimal } from '../../money/money.ts';
import { COUNT_FIELDS, DATE_FIELDS, SIDE_AMOUNT_FIELDS, TEXT_FIELDS } from '../../invoices/transaction-fields.ts';
import { amount, idString, postalAddressOut } from './schemas.ts';

const iso = (d: Date | null): string | null => (d ? d.toISOString() : null);
const idOrNull = (n: number | null): string | null => (n === null ? null : String(n));
const decimalOrNull = (v: string | null): string | null => (v === null ? null : formatDecimal(v));

// ---- account and keys

/** A setting amount in the account's currency ("5.00"); finer values (never stored) printed as they are. */
function accountAmount(value: string | null, currency: string): string | null {
  if (value === null) return null;
  return formatAmountAtLeast(value, currencyMinorDigits(currency));
}

export const accountView = z
  .object({
    id: idString,
    name: z.string(),
    timezone: z.string(),
    currency: z.string(),
    defaultVatRate: z.string(),
    paymentTermsDays: z.number().int(),
    invoicePrefix: z.string(),
    invoiceNextNumber: z.number().int(),
    modules: z.array(z.string()),
    email: z.string().nullable(),
    phone: z.string().nullable(),
    vatNumber: z.string().nullable(),
    companyNumber: z.string().nullable(),
    address: postalAddressOut.nullable(),
    peakStart: z.string().meta({ description: 'Peak band starts (local time, Monday to Friday)' }),
    peakEnd: z.string().meta({ description: 'Peak band ends (local time)' }),
    paymentDetails: z.string().nullable().meta({ description: 'Printed on every bill under "How to pay"' }),
    emailFrom: z.string().nullable().meta({ description: "From address of invoice emails (default: the account's email)" }),
    defaultBillStyle: z.string().meta({ description: 'The bill style used when none is asked for' }),
    lateFee: amount.nullable().meta({ description: 'Charged once for each invoice that becomes overdue; null: none' }),
    interestRate: z.string().nullable().meta({ description: 'Simple interest on overdue balances, percent a year; null: none' }),
    lowUsageMinimum: amount.nullable().meta({ description: 'Minimum spend (net) per invoice; the shortfall is a low-usage fee' }),
    manualBillingFee: amount.nullable().meta({ description: 'Fee on each invoice of a customer billed by post' }),
    logo: z
      .object({ contentType: z.string(), size: z.number().int() })
      .nullable()
      .meta({ description: 'The logo printed on bills (GET /account/logo serves it); null: none' }),
    cdrTimezone: z.string().nullable().meta({ description: "The switch's time zone for local times in its records; null: the account's" }),
    cdrCountry: z.string().nullable().meta({ description: 'The country whose national numbers the switch writes; null: none' }),
    cdrInternationalPrefixes: z.array(z.string()).meta({ description: 'Prefixes replaced by + (an international number follows)' }),
    cdrTechPrefixes: z.array(z.string()).meta({ description: 'Routing prefixes stripped from numbers' }),
    cdrExtensionMaxDigits: z.number().int().meta({ description: 'Digits-only numbers this short are internal extensions' }),
    cdrInternalCalls: z.enum(['refuse', 'store']).meta({ description: 'Records that are not calls to bill are refused, or stored as internal calls' }),
    created: z.string(),
    updated: z.string(),
  })
  .meta({ id: 'Account' });

export function toAccountView(a: AccountRow): z.infer<typeof accountView> {
  return {
    id: String(a.id),
    name: a.name,
    timezone: a.timezone,
    currency: a.currency,
    defaultVatRate: formatDecimal(a.default_vat_rate),
    paymentTermsDays: a.payment_terms_days,
    invoicePrefix: a.invoice_prefix,
    invoiceNextNumber: a.invoice_next_number,
    modules: a.modules,
    email: a.email,
    phone: a.phone,
    vatNumber: a.vat_number,
    companyNumber: a.company_number,
    address: addressFromColumns(a),
    peakStart: a.peak_start.slice(0, 5),
    peakEnd: a.peak_end.slice(0, 5),
    paymentDetails: a.payment_details,
    emailFrom: a.email_from,
    defaultBillStyle: a.default_bill_style,
    lateFee: accountAmount(a.late_fee, a.currency),
    interestRate: decimalOrNull(a.interest_rate),
    lowUsageMinimum: accountAmount(a.low_usage_minimum, a.currency),
    manualBillingFee: accountAmount(a.manual_billing_fee, a.currency),
    logo: a.logo && a.logo_content_type ? { contentType: a.logo_content_type, size: a.logo.length } : null,
    cdrTimezone: a.cdr_timezone,
    cdrCountry: a.cdr_country,
    cdrInternationalPrefixes: a.cdr_international_prefixes ?? [...DEFAULT_INTERNATIONAL_PREFIXES],
    cdrTechPrefixes: a.cdr_tech_prefixes,
    cdrExtensionMaxDigits: a.cdr_extension_max_digits,
    cdrInternalCalls: a.cdr_internal_calls,
    created: a.created_at.toISOString(),
    updated: a.updated_at.toISOString(),
  };
}

export const apiKeyView = z
  .object({
    id: idString,
    name: z.string().nullable(),
    level: z.number().int(),
    prefix: z.string().meta({ description: 'The first characters of the key, to recognise it' }),
    timezone: z.string().meta({ description: "The account's timezone when the key was made" }),
    created: z.string(),
    revoked: z.string().nullable(),
  })
  .meta({ id: 'ApiKey' });

export function toApiKeyView(k: ApiKeyRow): z.infer<typeof apiKeyView> {
  return {
    id: String(k.id),
    name: k.name,
    level: k.level,
    prefix: k.key_prefix,
    timezone: k.timezone,
    created: k.created_at.toISOString(),
    revoked: iso(k.revoked_at),
  };
}

// ---- customers and features

export const customerView = z
  .object({
    id: idString,
    name: z.string(),
    accountNumber: z.string().nullable(),
    email: z.string().nullable(),
    mobileNumber: z.string().nullable(),
    reverseCharge: z.boolean(),
    vatNumber: z.string().nullable(),
    paymentTermsDays: z.number().int().nullable(),
    paymentMethod: z.string().nullable(),
    billingAddress: postalAddressOut.nullable(),
    rateCardID: idString.nullable().meta({ description: "Rate card for this customer's calls; null: the account default" }),
    billDelivery: z.enum(['email', 'post']),
    discountPlanID: idString.nullable(),
    customerReference: z.string().nullable(),
    purchaseOrderNumber: z.string().nullable(),
    billingMode: z.enum(['postpaid', 'prepaid']),
    creditLimit: amount.nullable().meta({ description: 'Postpaid credit limit; null: none' }),
    overdraft: amount.meta({ description: 'Prepaid overdraft allowance' }),
    created: z.string(),
    updated: z.string(),
  })
  .meta({ id: 'Customer' });

export function toCustomerView(c: CustomerRow): z.infer<typeof customerView> {
  return {
    id: String(c.id),
    name: c.name,
    accountNumber: c.account_number,
    email: c.email,
    mobileNumber: c.mobile_number,
    reverseCharge: c.reverse_charge,
    vatNumber: c.vat_number,
    paymentTermsDays: c.payment_terms_days,
    paymentMethod: c.payment_method,
    billingAddress: addressFromColumns(c),
    rateCardID: idOrNull(c.rate_card_id),
    billDelivery: c.bill_delivery,
    discountPlanID: idOrNull(c.discount_plan_id),
    customerReference: c.customer_reference,
    purchaseOrderNumber: c.purchase_order_number,
    billingMode: c.billing_mode,
    creditLimit: c.credit_limit === null ? null : formatAmountAtLeast(c.credit_limit, 2),
    overdraft: formatAmountAtLeast(c.overdraft, 2),
    created: c.created_at.toISOString(),
    updated: c.updated_at.toISOString(),
  };
}

export const featureView = z
  .object({
    id: idString,
    customerID: idString,
    name: z.string(),
    phoneNumber: z.string().nullable(),
    recurringValue: amount.nullable(),
    recurringFrequency: z.enum(['monthly', 'quarterly', 'annually']).nullable(),
    billing: z.enum(['advance', 'arrears']),
    startDate: z.string().nullable(),
    endDate: z.string().nullable(),
    vatRate: z.string().nullable(),
    billedUntil: z.string().nullable().meta({ description: 'Recurring charges are billed up to this date (exclusive)' }),
    rateCardID: idString.nullable().meta({ description: "Rate card for this feature's calls, over the customer's" }),
    created: z.string(),
    updated: z.string(),
  })
  .meta({ id: 'Feature' });

export function toFeatureView(f: FeatureRow, account: Pick<AccountRow, 'currency'>): z.infer<typeof featureView> {
  return {
    id: String(f.id),
    customerID: String(f.customer_id),
    name: f.name,
    phoneNumber: f.phone_number,
    recurringValue: f.recurring_value === null ? null : formatAmount(f.recurring_value, currencyMinorDigits(account.currency)),
    recurringFrequency: f.recurring_frequency,
    billing: f.billing,
    startDate: f.start_date,
    endDate: f.end_date,
    vatRate: decimalOrNull(f.vat_rate),
    billedUntil: f.billed_until,
    rateCardID: idOrNull(f.rate_card_id),
    created: f.created_at.toISOString(),
    updated: f.updated_at.toISOString(),
  };
}

// ---- billing transactions (every field of the transactions document)

const COMMISSION_PROFILE_VALUE = 'transactionCommissionProfileCommissionValue';

const transactionShape = {
  id: idString,
  customerID: idString,
  featureID: idString.nullable(),
  invoiceID: idString.nullable(),
  transactionType: z.string(),
  transactionValue: amount,
  transactionVATRate: z.string(),
  transactionRefundedID: idString.nullable(),
  ...Object.fromEntries(Object.keys(TEXT_FIELDS).map((k) => [k, z.string().nullable()])),
  ...Object.fromEntries(Object.keys(SIDE_AMOUNT_FIELDS).map((k) => [k, amount.nullable()])),
  // A "Number" in the transactions document (a rate or a value of the commission profile), not Currency.
  [COMMISSION_PROFILE_VALUE]: z.number().nullable(),
  ...Object.fromEntries(Object.keys(DATE_FIELDS).map((k) => [k, z.string().nullable()])),
  ...Object.fromEntries(Object.keys(COUNT_FIELDS).map((k) => [k, z.number().int().nullable()])),
  created: z.string(),
  updated: z.string(),
};
export const transactionView = z.object(transactionShape).meta({ id: 'Transaction' });

export function toTransactionView(t: BillingTransactionRow, account: Pick<AccountRow, 'currency'>): z.infer<typeof transactionView> {
  const view: Record<string, unknown> = {
    id: String(t.id),
    customerID: String(t.customer_id),
    featureID: idOrNull(t.feature_id),
    invoiceID: idOrNull(t.invoice_id),
    transactionType: t.transaction_type,
    transactionValue: formatAmount(t.value, currencyMinorDigits(account.currency)),
    transactionVATRate: formatDecimal(t.vat_rate),
    transactionRefundedID: idOrNull(t.refunded_id),
  };
  const row = t as unknown as Record<string, unknown>;
  for (const [field, column] of Object.entries(TEXT_FIELDS)) view[field] = row[column] ?? null;
  const minorDigits = currencyMinorDigits(account.currency);
  for (const [field, column] of Object.entries(SIDE_AMOUNT_FIELDS)) {
    const value = row[column] as string | null;
    view[field] = value === null ? null : field === COMMISSION_PROFILE_VALUE ? Number(value) : formatAmountAtLeast(value, minorDigits);
  }
  for (const [field, column] of Object.entries(DATE_FIELDS)) view[field] = row[column] ?? null;
  for (const [field, column] of Object.entries(COUNT_FIELDS)) view[field] = row[column] ?? null;
  view.created = t.created_at.toISOString();
  view.updated = t.updated_at.toISOString();
  return view as z.infer<typeof transactionView>;
}

// ---- invoices (every field of the invoices document)

export const invoiceView = z
  .object({
    id: idString,
    customerID: idString,
    invoiceNumber: z.string().nullable(),
    billingRun: idString.nullable(),
    invoiceDate: z.string().nullable(),
    cutoffDate: z.string().nullable(),
    transactionCutoffDate: z.string().nullable(),
    dueDate: z.string().nullable(),
    paidDate: z.string().nullable(),
    paymentMethod: z.string().nullable(),
    invoiceAmount: amount,
    invoiceVAT: amount,
    invoiceReverseVAT: amount,
    total: amount,
    paidAmount: amount,
    outstanding: amount,
    invoiceCallCount: z.number().int(),
    invoiceCallMinutes: z.number().int().meta({ description: 'Billed minutes: the seconds the calls were billed for (increments applied), rounded to whole minutes' }),
    invoiceChargesOneOff: amount,
    invoiceChargesRecurring: amount,
    invoiceChargesCalls: amount,
    invoiceChargesRefunds: amount,
    invoiceChargesLate: amount,
    invoiceChargesInterest: amount,
    invoiceChargesCarrierProvided: amount,
    invoiceChargesManualBilling: amount,
    invoiceChargesLowUsage: amount,
    invoiceChargesManual: amount,
    invoiceChargesDiscount: amount.meta({ description: 'Discounts (credits) on this invoice' }),
    invoiceChargesNonCall: amount,
    vatBreakdown: z.array(z.object({ rate: z.string(), net: amount, vat: amount })),
    status: z.array(z.string()),
    billStyle: z.string().nullable(),
    invoiceMessage: z.string().nullable(),
    invoiceUsageReportCustomerProfile: z.string().nullable(),
    customerReference: z.string().nullable(),
    purchaseOrderNumber: z.string().nullable(),
    onlineBillType: z.string().nullable(),
    emailBillType: z.string().nullable(),
    postBillType: z.string().nullable(),
    faxBillType: z.string().nullable(),
    billTypes: z.array(z.string()),
    xeroID: z.string().nullable().meta({ description: 'The linked Xero invoice, if any' }),
    currency: z.string(),
    created: z.string(),
    updated: z.string(),
  })
  .meta({ id: 'Invoice' });

export function toInvoiceView(i: InvoiceRow, account: Pick<AccountRow, 'currency'>): z.infer<typeof invoiceView> {
  const digits = currencyMinorDigits(account.currency);
  const m = (v: string) => formatAmount(v, digits);
  return {
    id: String(i.id),
    customerID: String(i.customer_id),
    invoiceNumber: i.invoice_number,
    billingRun: idOrNull(i.billing_run_id),
    invoiceDate: i.invoice_date,
    cutoffDate: i.cutoff_date,
    transactionCutoffDate: i.transaction_cutoff_date,
    dueDate: i.due_date,
    paidDate: i.paid_date,
    paymentMethod: i.payment_method,
    invoiceAmount: m(i.invoice_amount),
    invoiceVAT: m(i.invoice_vat),
    invoiceReverseVAT: m(i.invoice_reverse_vat),
    total: m(i.total),
    paidAmount: m(i.paid_amount),
    outstanding: m(outstanding(i)),
    invoiceCallCount: i.call_count,
    invoiceCallMinutes: i.call_minutes,
    invoiceChargesOneOff: m(i.charges_one_off),
    invoiceChargesRecurring: m(i.charges_recurring),
    invoiceChargesCalls: m(i.charges_calls),
    invoiceChargesRefunds: m(i.charges_refunds),
    invoiceChargesLate: m(i.charges_late),
    invoiceChargesInterest: m(i.charges_interest),
    invoiceChargesCarrierProvided: m(i.charges_carrier_provided),
    invoiceChargesManualBilling: m(i.charges_manual_billing),
    invoiceChargesLowUsage: m(i.charges_low_usage),
    invoiceChargesManual: m(i.charges_manual),
    invoiceChargesDiscount: m(i.charges_discount),
    invoiceChargesNonCall: m(nonCallCharges(i)),
    vatBreakdown: i.vat_breakdown.map((line) => ({ rate: line.rate, net: m(line.net), vat: m(line.vat) })),
    status: statusFlags(i),
    billStyle: i.bill_style,
    invoiceMessage: i.invoice_message,
    invoiceUsageReportCustomerProfile: i.usage_report_profile,
    customerReference: i.customer_reference,
    purchaseOrderNumber: i.purchase_order_number,
    onlineBillType: i.online_bill_type,
    emailBillType: i.email_bill_type,
    postBillType: i.post_bill_type,
    faxBillType: i.fax_bill_type,
    billTypes: i.bill_types,
    xeroID: i.xero_id,
    currency: account.currency,
    created: i.created_at.toISOString(),
    updated: i.updated_at.toISOString(),
  };
}

export const billingRunView = z
  .object({
    id: idString,
    cutoffDate: z.string(),
    status: z.enum(['running', 'completed', 'failed', 'interrupted']).meta({
      description:
        '`running` (the counts grow as batches commit), `completed`, `failed` (see `error`), or `interrupted`: the process running it stopped part-way (a crash, kill -9, a lost machine); the counts are what committed. POST /billingRuns/{id}/resume finishes a failed or interrupted run.',
    }),
    customersBilled: z.number().int().meta({ description: 'Customers whose invoice the run completed' }),
    invoicesCompleted: z
      .number()
      .int()
      .meta({ description: 'Invoices the run completed for its cut-off: those it made (invoicesCreated) and the customers\' existing unsent invoices' }),
    invoicesCreated: z.number().int().meta({ description: 'Invoices the run made (the others it completed already existed, unsent)' }),
    error: z.string().nullable(),
    started: z.string(),
    finished: z.string().nullable(),
  })
  .meta({ id: 'BillingRun' });

export function toBillingRunView(r: BillingRunRow): z.infer<typeof billingRunView> {
  return {
    id: String(r.id),
    cutoffDate: r.cutoff_date,
    status: r.status,
    customersBilled: r.customers_billed,
    invoicesCompleted: r.invoices_completed,
    invoicesCreated: r.invoices_created,
    error: r.error,
    started: r.started_at.toISOString(),
    finished: iso(r.finished_at),
  };
}

// ---- rate cards, rates, calls

export const rateCardView = z
  .object({ id: idString, name: z.string(), isDefault: z.boolean(), created: z.string(), updated: z.string() })
  .meta({ id: 'RateCard' });

export function toRateCardView(r: RateCardRow): z.infer<typeof rateCardView> {
  return { id: String(r.id), name: r.name, isDefault: r.is_default, created: r.created_at.toISOString(), updated: r.updated_at.toISOString() };
}

export const rateView = z
  .object({
    id: idString,
    rateCardID: idString,
    prefix: z.string(),
    destination: z.string(),
    band: z.enum(['all', 'peak', 'offpeak', 'weekend']),
    ratePerMinute: amount,
    connectionFee: amount,
    minimumCharge: amount,
    initialIncrementS: z.number().int(),
    subsequentIncrementS: z.number().int(),
    costPerMinute: amount.nullable(),
    effectiveFrom: z.string().nullable().meta({ description: "null: from the start of time (a card's first rates, loaded without a date)" }),
    effectiveTo: z.string().nullable().meta({ description: 'Exclusive; null while in force' }),
  })
  .meta({ id: 'Rate' });

export function toRateView(r: RateRow): z.infer<typeof rateView> {
  return {
    id: String(r.id),
    rateCardID: String(r.rate_card_id),
    prefix: r.prefix,
    destination: r.destination,
    band: r.band,
    ratePerMinute: formatDecimal(r.rate_per_minute),
    connectionFee: formatDecimal(r.connection_fee),
    minimumCharge: formatDecimal(r.minimum_charge),
    initialIncrementS: r.initial_increment_s,
    subsequentIncrementS: r.subsequent_increment_s,
    costPerMinute: decimalOrNull(r.cost_per_minute),
    effectiveFrom: r.effective_from,
    effectiveTo: r.effective_to,
  };
}

export const callView = z
  .object({
    id: idString,
    callID: z.string().meta({ description: 'The call id of the source (call_id at ingestion)' }),
    completeCallID: z.string().meta({ description: 'The call record id that links its rows in the call transactions feed (32 characters, 0-9A-F)' }),
    from: z.string(),
    to: z.string(),
    startTime: z.string(),
    durationS: z.number().int(),
    status: z.enum(['completed', 'missed', 'busy', 'failed']),
    direction: z.enum(['inbound', 'outbound']),
    carrier: z.string().nullable(),
    customerID: idString.nullable(),
    featureID: idString.nullable(),
    ratingStatus: z.enum(['rated', 'free', 'unrated', 'unallocated', 'internal']),
    ratingError: z.string().nullable(),
    rateID: idString.nullable(),
    destination: z.string().nullable(),
    band: z.string().nullable(),
    billableS: z.number().int().nullable(),
    charge: amount.nullable().meta({ description: 'To the micro-unit (6 decimals)' }),
    cost: amount.nullable(),
    billedCharge: amount.nullable(),
    invoiceID: idString.nullable(),
    recordingURL: z.string().nullable(),
    transcriptionURL: z.string().nullable(),
    confidenceScore: z.string().nullable(),
    voiceAgentID: z.string().nullable(),
    created: z.string(),
  })
  .meta({ id: 'Call' });

export function toCallView(c: CallRow): z.infer<typeof callView> {
  return {
    id: String(c.id),
    callID: c.source_call_id,
    completeCallID: formatCompleteCallId(c.complete_call_id),
    from: c.from_number,
    to: c.to_number,
    startTime: c.start_time.toISOString(),
    durationS: c.duration_s,
    status: c.status,
    direction: c.direction,
    carrier: c.carrier,
    customerID: idOrNull(c.customer_id),
    featureID: idOrNull(c.feature_id),
    ratingStatus: c.rating_status,
    ratingError: c.rating_error,
    rateID: idOrNull(c.rate_id),
    destination: c.destination,
    band: c.band,
    billableS: c.billable_s,
    charge: c.charge,
    cost: c.cost,
    billedCharge: c.billed_charge,
    invoiceID: idOrNull(c.invoice_id),
    recordingURL: c.recording_url,
    transcriptionURL: c.transcription_url,
    confidenceScore: c.confidence_score === null ? null : formatDecimal(c.confidence_score),
    voiceAgentID: c.voice_agent_id,
    created: c.created_at.toISOString(),
  };
}

export const rejectionView = z
  .object({ id: idString, source: z.string(), line: z.number().int().nullable(), raw: z.string(), reason: z.string(), created: z.string() })
  .meta({ id: 'RejectedRow' });

export function toRejectionView(r: RejectedRow): z.infer<typeof rejectionView> {
  return { id: String(r.id), source: r.source, line: r.line, raw: r.raw, reason: r.reason, created: r.created_at.toISOString() };
}

// ---- delivery settings: bill styles, message templates, attachments, usage report profiles, discount plans

export const billStyleView = z
  .object({
    id: idString.nullable().meta({ description: 'null for a built-in style' }),
    name: z.string(),
    base: z.enum(['full', 'summary']).meta({ description: 'full: summary, charges, VAT, call summary and optional itemised calls; summary: totals, VAT and payment details' }),
    itemiseCalls: z.boolean().meta({ description: 'List every call (full styles)' }),
    showCallSummary: z.boolean().meta({ description: 'The call summary by destination (full styles)' }),
    builtIn: z.boolean(),
    created: z.string().nullable(),
    updated: z.string().nullable(),
  })
  .meta({ id: 'BillStyle' });

export function toBillStyleView(s: BillStyleRow): z.infer<typeof billStyleView> {
  return {
    id: String(s.id),
    name: s.name,
    base: s.base,
    itemiseCalls: s.itemise_calls,
    showCallSummary: s.show_call_summary,
    builtIn: false,
    created: s.created_at.toISOString(),
    updated: s.updated_at.toISOString(),
  };
}

export function toBuiltInBillStyleView(s: BillStyle): z.infer<typeof billStyleView> {
  return { id: null, name: s.name, base: s.base, itemiseCalls: s.itemiseCalls, showCallSummary: s.showCallSummary, builtIn: true, created: null, updated: null };
}

export const messageTemplateView = z
  .object({
    id: idString.nullable().meta({ description: 'null for the built-in Standard message' }),
    name: z.string(),
    subject: z.string(),
    body: z.string(),
    builtIn: z.boolean(),
    created: z.string().nullable(),
    updated: z.string().nullable(),
  })
  .meta({ id: 'MessageTemplate' });

export function toMessageTemplateView(t: MessageTemplateRow): z.infer<typeof messageTemplateView> {
  return { id: String(t.id), name: t.name, subject: t.subject, body: t.body, builtIn: false, created: t.created_at.toISOString(), updated: t.updated_at.toISOString() };
}

export function toBuiltInTemplateView(t: MessageTemplate): z.infer<typeof messageTemplateView> {
  return { id: null, name: t.name, subject: t.subject, body: t.body, builtIn: true, created: null, updated: null };
}

export const attachmentView = z
  .object({
    id: idString,
    name: z.string().meta({ description: 'What the email action\'s `attachments` parameter names' }),
    filename: z.string(),
    contentType: z.string(),
    size: z.number().int().meta({ description: 'Bytes' }),
    created: z.string(),
    updated: z.string(),
  })
  .meta({ id: 'Attachment' });

export function toAttachmentView(a: AttachmentInfo): z.infer<typeof attachmentView> {
  return { id: String(a.id), name: a.name, filename: a.filename, contentType: a.content_type, size: a.size, created: a.created_at.toISOString(), updated: a.updated_at.toISOString() };
}

const USAGE_KIND_WIRE = { calls_by_feature: 'callsByFeature', call_detail: 'callDetail' } as const;
export const USAGE_KIND_FROM_WIRE = { callsByFeature: 'calls_by_feature', callDetail: 'call_detail' } as const;

export const usageReportProfileView = z
  .object({
    id: idString.nullable().meta({ description: 'null for a built-in profile' }),
    name: z.string().meta({ description: "What the email action's `invoiceUsageReportCustomerProfileID` names" }),
    kind: z.enum(['callsByFeature', 'callDetail']).meta({ description: 'callsByFeature: a CSV line per feature (calls, billed_minutes, charge); callDetail: a CSV line per call' }),
    builtIn: z.boolean(),
    created: z.string().nullable(),
    updated: z.string().nullable(),
  })
  .meta({ id: 'UsageReportProfile' });

export function toUsageReportProfileView(p: UsageReportProfileRow): z.infer<typeof usageReportProfileView> {
  return { id: String(p.id), name: p.name, kind: USAGE_KIND_WIRE[p.kind], builtIn: false, created: p.created_at.toISOString(), updated: p.updated_at.toISOString() };
}

export function toBuiltInUsageReportView(p: UsageReportProfile): z.infer<typeof usageReportProfileView> {
  return { id: null, name: p.name, kind: USAGE_KIND_WIRE[p.kind], builtIn: true, created: null, updated: null };
}

export const discountRuleView = z
  .object({
    kind: z.enum(['freeMinutes', 'freeAmount', 'percentOff']),
    minutes: z.number().int().optional().meta({ description: 'freeMinutes: call minutes free per invoice' }),
    amount: amount.optional().meta({ description: 'freeAmount: money off per invoice' }),
    percent: z.string().optional().meta({ description: 'percentOff: percent off every charge of `type`' }),
    type: z.string().optional().meta({ description: 'freeAmount, percentOff: the charge type (calls, recurring, oneOff…)' }),
    destinations: z.array(z.string()).optional().meta({ description: 'freeMinutes, freeAmount on calls: only destinations beginning with these' }),
    description: z.string().optional().meta({ description: 'The line on the bill' }),
  })
  .meta({ id: 'DiscountRule' });

export const discountPlanView = z
  .object({ id: idString, name: z.string(), rules: z.array(discountRuleView), created: z.string(), updated: z.string() })
  .meta({ id: 'DiscountPlan' });

export function toDiscountPlanView(p: DiscountPlanRow): z.infer<typeof discountPlanView> {
  return { id: String(p.id), name: p.name, rules: p.rules as z.infer<typeof discountRuleView>[], created: p.created_at.toISOString(), updated: p.updated_at.toISOString() };
}
