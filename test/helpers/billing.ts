// Shared checks for the billing integration tests (transactions, invoices, billing runs, billing cycle):
// the field lists of documents 001 and 004, exact money arithmetic, and reads of the database behind the API.
import { Decimal } from 'decimal.js';
import { expect } from 'vitest';
import type { Api, Harness, Res } from './harness.ts';
import { findTransaction, findTransactions } from '../../src/invoices/transactions-repo.ts';
import { invoiceLines } from '../../src/invoices/invoice-charges-repo.ts';

/** Every field of document 001's table, in the document's order. */
export const DOC_001_TRANSACTION_FIELDS = [
  'transactionType',
  'transactionDescription',
  'transactionNotes',
  'site',
  'campaign',
  'transactionCode',
  'featureCount',
  'transactionCarrier',
  'transactionSource',
  'transactionRefundedID',
  'transactionDate',
  'transactionBillDate',
  'transactionStartDate',
  'transactionEndDate',
  'transactionValue',
  'transactionVATRate',
  'transactionValueCarrier',
  'transactionValueCDR',
  'transactionCallCount',
  'transactionCallMinutes',
  'transactionCommissionProfile',
  'commissionHolder',
  'transactionValueCommission',
  'transactionValueCommissionTargetContribution',
  'transactionValueCommissionTargetContributionOneOff',
  'transactionValueCommissionTargetContributionRecurring',
  'transactionValueCommissionTargetContributionCalls',
  'commissionHolderID2',
  'transactionValueCommission2',
  'transactionValueCommissionTargetContribution2',
  'transactionValueCommissionTargetContributionOneOff2',
  'transactionValueCommissionTargetContributionRecurring2',
  'transactionValueCommissionTargetContributionCalls2',
  'transactionCommissionProfileCommissionType',
  'transactionCommissionProfileCommissionValue',
  'id',
] as const;

/** Every field of document 004's table, in the document's order. */
export const DOC_004_INVOICE_FIELDS = [
  'invoiceNumber',
  'billingRun',
  'invoiceDate',
  'cutoffDate',
  'transactionCutoffDate',
  'dueDate',
  'paidDate',
  'paymentMethod',
  'invoiceAmount',
  'invoiceVAT',
  'invoiceReverseVAT',
  'total',
  'paidAmount',
  'outstanding',
  'invoiceCallCount',
  'invoiceCallMinutes',
  'invoiceChargesOneOff',
  'invoiceChargesRecurring',
  'invoiceChargesCalls',
  'invoiceChargesRefunds',
  'invoiceChargesLate',
  'invoiceChargesInterest',
  'invoiceChargesCarrierProvided',
  'invoiceChargesManualBilling',
  'invoiceChargesLowUsage',
  'invoiceChargesManual',
  'invoiceChargesNonCall',
  'status',
  'billStyle',
  'invoiceMessage',
  'invoiceUsageReportCustomerProfile',
  'customerReference',
  'purchaseOrderNumber',
  'onlineBillType',
  'emailBillType',
  'postBillType',
  'faxBillType',
  'id',
  'customerID',
  'billTypes',
] as const;

/** The charge categories an invoice's net amount is made of (document 004 plus discounts). */
export const CATEGORY_FIELDS = [
  'invoiceChargesOneOff',
  'invoiceChargesRecurring',
  'invoiceChargesCalls',
  'invoiceChargesRefunds',
  'invoiceChargesLate',
  'invoiceChargesInterest',
  'invoiceChargesCarrierProvided',
  'invoiceChargesManualBilling',
  'invoiceChargesLowUsage',
  'invoiceChargesManual',
  'invoiceChargesDiscount',
] as const;

export const ZERO_CATEGORIES = Object.fromEntries(CATEGORY_FIELDS.map((f) => [f, '0.00'])) as Record<
  (typeof CATEGORY_FIELDS)[number],
  string
>;

/** Exact decimal arithmetic for expected values (never floats). */
export function dec(value: string | number): Decimal {
  return new Decimal(value);
}

/** A decimal string (or NUMERIC from the database) at 2 places: "10.000000" -> "10.00". */
export function m2(value: string | number | Decimal): string {
  return new Decimal(value).toFixed(2);
}

export function sum(values: (string | number | Decimal)[]): Decimal {
  return values.reduce<Decimal>((a, v) => a.plus(v), new Decimal(0));
}

/**
 * The invariants every invoice view must satisfy: categories sum to the net amount, the VAT lines cover the
 * net amount and sum to the VAT due, net + VAT = total, outstanding = total - paid, non-call = net - calls.
 */
export function expectInvoiceAddsUp(invoice: any): void {
  const net = dec(invoice.invoiceAmount);
  expect(m2(sum(CATEGORY_FIELDS.map((f) => invoice[f])))).toBe(m2(net));
  expect(m2(sum(invoice.vatBreakdown.map((l: any) => l.net)))).toBe(m2(net));
  const vatDue = sum(invoice.vatBreakdown.map((l: any) => l.vat));
  expect(m2(dec(invoice.invoiceVAT).plus(invoice.invoiceReverseVAT))).toBe(m2(vatDue));
  expect(invoice.total).toBe(m2(net.plus(invoice.invoiceVAT)));
  expect(invoice.outstanding).toBe(m2(dec(invoice.total).minus(invoice.paidAmount)));
  expect(invoice.invoiceChargesNonCall).toBe(m2(net.minus(invoice.invoiceChargesCalls)));
  for (const line of invoice.vatBreakdown) {
    // VAT per rate group, rounded half-up to the penny.
    expect(line.vat).toBe(
      dec(line.net).times(line.rate).dividedBy(100).toDecimalPlaces(2, Decimal.ROUND_HALF_UP).toFixed(2),
    );
  }
}

/** Checks an invoice view's totals against the transactions the database holds for it. */
export async function expectInvoiceMatchesDatabase(
  h: Harness,
  accountId: number,
  invoice: any,
): Promise<void> {
  // The invoice's lines as billing reads them (invoice_id written, or in the invoice's range of charges).
  const rows = await invoiceLines(h.ctx.db, accountId, Number(invoice.id));
  expect(invoice.invoiceAmount).toBe(m2(sum(rows.map((r) => r.value))));
  const stored = await dbInvoice(h, accountId, Number(invoice.id));
  expect(m2(stored!.invoice_amount)).toBe(invoice.invoiceAmount);
  expect(m2(stored!.invoice_vat)).toBe(invoice.invoiceVAT);
  expect(m2(stored!.total)).toBe(invoice.total);
}

export async function dbInvoice(h: Harness, accountId: number, invoiceId: number) {
  return h.ctx.db
    .selectFrom('invoices')
    .selectAll()
    .where('account_id', '=', accountId)
    .where('id', '=', invoiceId)
    .executeTakeFirst();
}

/** A charge as the repository reads it: invoice_id is the invoice it is on, written or by range. */
export async function dbTransaction(h: Harness, accountId: number, id: number) {
  return findTransaction(h.ctx.db, accountId, id);
}

/** The account's charges in id order, as the repository reads them (see dbTransaction). */
export async function dbTransactions(h: Harness, accountId: number) {
  const ids = await h.ctx.db
    .selectFrom('billing_transactions')
    .select('id')
    .where('account_id', '=', accountId)
    .execute();
  const rows = await findTransactions(
    h.ctx.db,
    accountId,
    ids.map((r) => r.id),
  );
  return rows.sort((a, b) => a.id - b.id);
}

export async function dbInvoices(h: Harness, accountId: number) {
  return h.ctx.db
    .selectFrom('invoices')
    .selectAll()
    .where('account_id', '=', accountId)
    .orderBy('id')
    .execute();
}

/** Expects a backend error body in document 004's shape. */
export function expectError(
  res: { status: number; body: any },
  status: number,
  errorCode: number,
  hint?: RegExp | string,
): void {
  expect({ status: res.status, error_code: res.body?.error_code }).toEqual({ status, error_code: errorCode });
  expect(Object.keys(res.body).sort()).toEqual(['error', 'error_code', 'hint']);
  expect(typeof res.body.error).toBe('string');
  if (hint !== undefined) expect(res.body.hint).toMatch(hint);
}

/** Posts and expects a status, returning the body. */
export async function post(api: Api, path: string, body: unknown, status = 201): Promise<any> {
  const res = await api.post(path, body);
  if (res.status !== status)
    throw new Error(`POST ${path}: expected ${status}, got ${res.status} ${res.text}`);
  return res.body;
}

export async function approve(api: Api, invoiceId: string, body?: unknown): Promise<any> {
  return post(api, `/invoices/${invoiceId}?action=approve`, body, 200);
}

/** Follows a list's Link headers to the end; returns every row. */
export async function getAll(api: Api, path: string): Promise<any[]> {
  const rows: any[] = [];
  let next: string | undefined = path;
  for (let pages = 0; next !== undefined; pages++) {
    if (pages > 100) throw new Error('too many pages');
    const res: Res = await api.get(next);
    if (res.status !== 200) throw new Error(`GET ${next}: ${res.status} ${res.text}`);
    rows.push(...res.body);
    const link: string | null = res.headers.get('link');
    const match: RegExpExecArray | null = link
      ? /^<\/backend\/api\/v1([^>]+)>; rel="next"$/.exec(link)
      : null;
    next = match ? match[1] : undefined;
  }
  return rows;
}
