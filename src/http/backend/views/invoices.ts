// Invoices: every field of the invoices document, with the response schema for the OpenAPI document.
import { z } from 'zod';
import type { AccountRow } from '../../../accounts/repo.ts';
import type { InvoiceRow } from '../../../invoices/repo.ts';
import { invoiceData } from '../../../invoices/invoice-data.ts';
import { amount, idString } from '../schemas.ts';

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
    invoiceCallMinutes: z.number().int().meta({
      description:
        'Billed minutes: the seconds the calls were billed for (increments applied), rounded to whole minutes',
    }),
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

/** The invoice as data (invoices/invoice-data.ts); the webhooks send the same value. */
export function toInvoiceView(
  i: InvoiceRow,
  account: Pick<AccountRow, 'currency'>,
): z.infer<typeof invoiceView> {
  return invoiceData(i, account);
}
