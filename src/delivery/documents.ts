// Bills as documents: an approved invoice's bill is rendered once per style and kept, so what a customer
// downloads today is what they were sent; `recreate` renders it again (after a template change). An unsent
// invoice's bill is a draft, rendered on request and never kept.
import type { Executor } from '../context.ts';
import type { AccountRow } from '../accounts/repo.ts';
import type { CustomerRow } from '../customers/repo.ts';
import type { InvoiceRow } from '../invoices/repo.ts';
import { DomainError } from '../shared/errors.ts';
import { buildBillModel } from './bill/model.ts';
import { renderBill } from './bill/render.ts';
import { type BillStyle, resolveBillStyle } from '../delivery-settings/bill-styles.ts';
import { findDocument, saveDocument, storedDocumentStyles } from './repo.ts';

export interface BillDocument {
  pdf: Buffer;
  style: BillStyle;
  filename: string;
}

export function billFilename(invoice: Pick<InvoiceRow, 'invoice_number' | 'id'>): string {
  const name = invoice.invoice_number ? `Invoice-${invoice.invoice_number}` : `Draft-invoice-${invoice.id}`;
  return `${name.replace(/[^\w.-]+/g, '-')}.pdf`;
}

export async function billDocument(
  db: Executor,
  account: AccountRow,
  customer: CustomerRow,
  invoice: InvoiceRow,
  styleName: string | undefined,
  now: Date,
): Promise<BillDocument> {
  const style = await resolveBillStyle(db, account.id, styleName ?? account.default_bill_style);
  const filename = billFilename(invoice);
  if (invoice.approved_at === null) {
    return {
      pdf: await renderBill(await buildBillModel(db, account, customer, invoice, style)),
      style,
      filename,
    };
  }
  const stored = await findDocument(db, account.id, invoice.id, style.name);
  if (stored) return { pdf: stored, style, filename };
  const pdf = await renderBill(await buildBillModel(db, account, customer, invoice, style));
  await saveDocument(db, account.id, invoice.id, style.name, pdf, now);
  return { pdf, style, filename };
}

/** Renders an approved invoice's bills again: every style kept for it, and the account's default. */
export async function recreateDocuments(
  db: Executor,
  account: AccountRow,
  customer: CustomerRow,
  invoice: InvoiceRow,
  now: Date,
): Promise<string[]> {
  if (invoice.approved_at === null) {
    throw new DomainError(
      'recreate_failed',
      `invoice ${invoice.id} is not approved: its bill is a draft, made when asked for`,
    );
  }
  const styles = new Set([
    ...(await storedDocumentStyles(db, account.id, invoice.id)),
    account.default_bill_style,
  ]);
  const done: string[] = [];
  for (const name of styles) {
    try {
      const style = await resolveBillStyle(db, account.id, name);
      const pdf = await renderBill(await buildBillModel(db, account, customer, invoice, style));
      await saveDocument(db, account.id, invoice.id, style.name, pdf, now);
      done.push(style.name);
    } catch (error) {
      throw new DomainError(
        'recreate_failed',
        `the ${name} bill could not be rendered: ${error instanceof Error ? error.message : String(error)}`,
      );
    }
  }
  return done;
}
