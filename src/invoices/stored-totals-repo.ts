// An invoice's stored totals as completing reads them: one JSON text per invoice (see jsonRowSql), amounts as
// text, exact. Shared by the invoices' repository (reading them) and invoice-charges-repo.ts (answering
// them for the invoices it makes while summing their charges).
import type { InvoiceRow } from '../db/schema.ts';
import { fromJsonRow, jsonRowSql } from '../db/sql.ts';
import type { ChargeCategory } from './totals.ts';

/** The columns completing an invoice reads: who it is for and its stored totals. */
export const STORED_TOTALS_COLUMNS = [
  'id',
  'customer_id',
  'charges_one_off',
  'charges_recurring',
  'charges_calls',
  'charges_refunds',
  'charges_late',
  'charges_interest',
  'charges_carrier_provided',
  'charges_manual_billing',
  'charges_low_usage',
  'charges_manual',
  'charges_discount',
  'vat_breakdown',
  'call_count',
  'call_minutes',
] as const satisfies readonly (keyof InvoiceRow)[];
export type InvoiceTotalsRow = Pick<InvoiceRow, (typeof STORED_TOTALS_COLUMNS)[number]>;

/** The column of each charge category. */
export const CATEGORY_COLUMNS: Record<ChargeCategory, keyof InvoiceTotalsRow> = {
  oneOff: 'charges_one_off',
  recurring: 'charges_recurring',
  calls: 'charges_calls',
  refunds: 'charges_refunds',
  late: 'charges_late',
  interest: 'charges_interest',
  carrierProvided: 'charges_carrier_provided',
  manualBilling: 'charges_manual_billing',
  lowUsage: 'charges_low_usage',
  manual: 'charges_manual',
  discount: 'charges_discount',
};

/** The stored totals read as one JSON text per invoice (see jsonRowSql): amounts as text, exact. */
export function totalsJsonSql(alias: string) {
  return jsonRowSql(alias, STORED_TOTALS_COLUMNS, TOTALS_AS_TEXT);
}
const TOTALS_AS_TEXT = new Set(STORED_TOTALS_COLUMNS.filter((c) => c.startsWith('charges_')));

export function totalsFromJson(text: string): InvoiceTotalsRow {
  return fromJsonRow<InvoiceTotalsRow>(text, STORED_TOTALS_COLUMNS);
}
