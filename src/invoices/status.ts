import type { InvoiceRow } from './repo.ts';
import { money } from '../money/money.ts';

/** Status flags an invoice can carry. `printed` and `delivered` are set by users; the rest by Ringbill. */
export const STATUS_FLAGS = [
  'unsent',
  'approved',
  'emailed',
  'downloaded',
  'printed',
  'delivered',
  'paid',
] as const;
export type StatusFlag = (typeof STATUS_FLAGS)[number];
export const USER_FLAGS = ['printed', 'delivered'] as const satisfies readonly StatusFlag[];

export function statusFlags(invoice: InvoiceRow): StatusFlag[] {
  const flags: StatusFlag[] = [invoice.approved_at ? 'approved' : 'unsent'];
  if (invoice.emailed_at) flags.push('emailed');
  if (invoice.downloaded_at) flags.push('downloaded');
  if (invoice.printed_at) flags.push('printed');
  if (invoice.delivered_at) flags.push('delivered');
  if (
    invoice.approved_at &&
    money(invoice.total).greaterThan(0) &&
    money(invoice.paid_amount).greaterThanOrEqualTo(invoice.total)
  ) {
    flags.push('paid');
  }
  return flags;
}

export function outstanding(invoice: Pick<InvoiceRow, 'total' | 'paid_amount'>): string {
  return money(invoice.total).minus(invoice.paid_amount).toFixed();
}

/** Everything on the invoice except call charges. */
export function nonCallCharges(invoice: Pick<InvoiceRow, 'invoice_amount' | 'charges_calls'>): string {
  return money(invoice.invoice_amount).minus(invoice.charges_calls).toFixed();
}
