// The shapes of the JSON columns the code reads as data (the database knows only "jsonb"); the generated
// schema types (schema.generated.ts, see scripts/db-types.ts) name them. Other JSON columns read as unknown.

/** invoices.vat_breakdown: one entry per VAT rate, amounts as decimal strings. */
export interface VatBreakdownRow {
  rate: string;
  net: string;
  vat: string;
}

/** invoices.recurring_baseline: feature id -> the feature's billed_until before this invoice first charged it. */
export type RecurringBaseline = Record<string, string | null>;
