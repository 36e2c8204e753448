// An invoice as data: every field of the invoices document (004), with the figures derived from the row
// (outstanding, non-call charges, status flags) and amounts as decimal strings in the currency's minor unit.
// The backend API's invoice view and the invoice webhooks' payload (invoice.approved, invoice.paid) are
// both this value, so the two cannot drift apart.
import type { AccountRow } from '../accounts/repo.ts';
import type { InvoiceRow } from './repo.ts';
import { currencyMinorDigits, formatAmount } from '../money/money.ts';
import { nonCallCharges, outstanding, statusFlags } from './status.ts';

export interface VatLineData {
  rate: string;
  net: string;
  vat: string;
}

export interface InvoiceData {
  id: string;
  customerID: string;
  invoiceNumber: string | null;
  billingRun: string | null;
  invoiceDate: string | null;
  cutoffDate: string | null;
  transactionCutoffDate: string | null;
  dueDate: string | null;
  paidDate: string | null;
  paymentMethod: string | null;
  invoiceAmount: string;
  invoiceVAT: string;
  invoiceReverseVAT: string;
  total: string;
  paidAmount: string;
  outstanding: string;
  invoiceCallCount: number;
  /** Billed minutes: the seconds the calls were billed for (increments applied), rounded to whole minutes. */
  invoiceCallMinutes: number;
  invoiceChargesOneOff: string;
  invoiceChargesRecurring: string;
  invoiceChargesCalls: string;
  invoiceChargesRefunds: string;
  invoiceChargesLate: string;
  invoiceChargesInterest: string;
  invoiceChargesCarrierProvided: string;
  invoiceChargesManualBilling: string;
  invoiceChargesLowUsage: string;
  invoiceChargesManual: string;
  invoiceChargesDiscount: string;
  invoiceChargesNonCall: string;
  vatBreakdown: VatLineData[];
  status: string[];
  billStyle: string | null;
  invoiceMessage: string | null;
  invoiceUsageReportCustomerProfile: string | null;
  customerReference: string | null;
  purchaseOrderNumber: string | null;
  onlineBillType: string | null;
  emailBillType: string | null;
  postBillType: string | null;
  faxBillType: string | null;
  billTypes: string[];
  xeroID: string | null;
  currency: string;
  /** ISO 8601 instants. */
  created: string;
  updated: string;
}

export function invoiceData(i: InvoiceRow, account: Pick<AccountRow, 'currency'>): InvoiceData {
  const digits = currencyMinorDigits(account.currency);
  const m = (v: string) => formatAmount(v, digits);
  return {
    id: String(i.id),
    customerID: String(i.customer_id),
    invoiceNumber: i.invoice_number,
    billingRun: i.billing_run_id === null ? null : String(i.billing_run_id),
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
