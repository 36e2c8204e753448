import type { Ctx, Executor } from '../context.ts';
import { resolveBillStyle } from '../delivery-settings/bill-styles.ts';
import { resolveTemplate } from '../delivery-settings/templates.ts';
import { resolveUsageReportProfile } from '../delivery-settings/usage-reports.ts';
import type { InvoiceRow, InvoiceUpdate } from './repo.ts';
import { isIsoDate, type IsoDate } from '../shared/dates.ts';
import { DomainError, invalid, notFound } from '../shared/errors.ts';
import { lockInvoice, updateInvoice as updateRow } from './repo.ts';
import { statusFlags, USER_FLAGS } from './status.ts';

export interface InvoiceInput {
  billStyle?: string | null;
  invoiceMessage?: string | null;
  invoiceUsageReportCustomerProfile?: string | null;
  customerReference?: string | null;
  purchaseOrderNumber?: string | null;
  onlineBillType?: string | null;
  emailBillType?: string | null;
  postBillType?: string | null;
  faxBillType?: string | null;
  billTypes?: string[];
  paymentMethod?: string | null;
  dueDate?: IsoDate;
  status?: string[];
}

/** Fields that shape the bill: changeable only while the invoice is unsent. */
const PRESENTATION_FIELDS = {
  billStyle: 'bill_style',
  invoiceMessage: 'invoice_message',
  invoiceUsageReportCustomerProfile: 'usage_report_profile',
  customerReference: 'customer_reference',
  purchaseOrderNumber: 'purchase_order_number',
  onlineBillType: 'online_bill_type',
  emailBillType: 'email_bill_type',
  postBillType: 'post_bill_type',
  faxBillType: 'fax_bill_type',
  billTypes: 'bill_types',
} as const satisfies Partial<Record<keyof InvoiceInput, keyof InvoiceUpdate>>;

/**
 * Changes an invoice. While unsent, everything that shapes the bill can change. Once raised, the bill is
 * frozen: only the payment method, the due date and the `printed` / `delivered` flags can change.
 */
export async function updateInvoice(
  ctx: Ctx,
  accountId: number,
  invoiceId: number,
  input: InvoiceInput,
): Promise<InvoiceRow> {
  return ctx.db.transaction().execute(async (trx) => {
    const invoice = await lockInvoice(trx, accountId, invoiceId);
    if (!invoice) throw notFound('Invoice', invoiceId);
    const raised = invoice.approved_at !== null;
    const now = ctx.now();
    const changes: InvoiceUpdate = {};

    for (const [field, column] of Object.entries(PRESENTATION_FIELDS) as [
      keyof typeof PRESENTATION_FIELDS,
      string,
    ][]) {
      if (input[field] === undefined) continue;
      if (raised)
        throw new DomainError(
          'invoice_not_unsent',
          `${field} cannot change: invoice ${invoice.invoice_number} is approved`,
        );
      (changes as Record<string, unknown>)[column] = input[field];
    }
    await checkPresetNames(trx, accountId, input);
    if (input.paymentMethod !== undefined) changes.payment_method = input.paymentMethod;
    if (input.dueDate !== undefined) {
      if (!raised) throw invalid('dueDate', 'is set when the invoice is approved');
      if (!isIsoDate(input.dueDate)) throw invalid('dueDate', 'must be a date YYYY-MM-DD');
      if (invoice.invoice_date && input.dueDate < invoice.invoice_date)
        throw invalid('dueDate', 'cannot be before the invoice date');
      changes.due_date = input.dueDate;
    }
    if (input.status !== undefined) Object.assign(changes, flagChanges(invoice, input.status, now));

    if (Object.keys(changes).length === 0) return invoice;
    const updated = await updateRow(trx, accountId, invoiceId, { ...changes, updated_at: now });
    if (!updated) throw notFound('Invoice', invoiceId);
    return updated;
  });
}

/** Fields that name a bill style. */
const BILL_STYLE_FIELDS = [
  'billStyle',
  'onlineBillType',
  'emailBillType',
  'postBillType',
  'faxBillType',
] as const;

/**
 * The presets an invoice names must exist (the codes of the email action: 400703, 400704, 400706), or the
 * invoice, once approved and frozen, could no longer be rendered, emailed or downloaded.
 */
async function checkPresetNames(db: Executor, accountId: number, input: InvoiceInput): Promise<void> {
  for (const field of BILL_STYLE_FIELDS) {
    const name = input[field];
    if (name !== undefined && name !== null) await resolveBillStyle(db, accountId, name, field);
  }
  for (const [i, name] of (input.billTypes ?? []).entries())
    await resolveBillStyle(db, accountId, name, `billTypes.${i}`);
  if (input.invoiceMessage !== undefined && input.invoiceMessage !== null)
    await resolveTemplate(db, accountId, input.invoiceMessage, 'invoiceMessage');
  const profile = input.invoiceUsageReportCustomerProfile;
  if (profile !== undefined && profile !== null)
    await resolveUsageReportProfile(db, accountId, profile, 'invoiceUsageReportCustomerProfile');
}

/** `status` replaces the user-set flags; Ringbill's own flags may be listed but not changed. */
function flagChanges(invoice: InvoiceRow, wanted: string[], now: Date): InvoiceUpdate {
  const current = new Set<string>(statusFlags(invoice));
  for (const flag of wanted) {
    if (!(USER_FLAGS as readonly string[]).includes(flag) && !current.has(flag)) {
      throw invalid('status', `"${flag}" cannot be set by hand; only ${USER_FLAGS.join(' and ')} can`);
    }
  }
  const wants = new Set(wanted);
  if ((wants.has('printed') || wants.has('delivered')) && invoice.approved_at === null) {
    throw new DomainError(
      'invoice_raised',
      'an unsent invoice cannot be printed or delivered; approve it first',
    );
  }
  return {
    printed_at: wants.has('printed') ? (invoice.printed_at ?? now) : null,
    delivered_at: wants.has('delivered') ? (invoice.delivered_at ?? now) : null,
  };
}
