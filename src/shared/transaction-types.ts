// The preset transaction types: the invoice charge categories of the invoices document, plus discount.
// Each type lands in exactly one `invoiceCharges*` total.
export const TRANSACTION_TYPES = [
  'oneOff',
  'recurring',
  'calls',
  'refund',
  'lateFee',
  'interest',
  'carrierProvided',
  'manualBilling',
  'lowUsage',
  'manual',
  'discount',
] as const;

export type TransactionType = (typeof TRANSACTION_TYPES)[number];

export function isTransactionType(value: string): value is TransactionType {
  return (TRANSACTION_TYPES as readonly string[]).includes(value);
}

/** Types whose value is a credit: a positive amount given for them is stored negated. */
export const CREDIT_TYPES: ReadonlySet<TransactionType> = new Set(['refund', 'discount']);

/** Wording on a bill when a transaction has no description. */
export const TYPE_LABELS: Record<TransactionType, string> = {
  oneOff: 'One-off charge',
  recurring: 'Recurring charge',
  calls: 'Call charges',
  refund: 'Refund',
  lateFee: 'Late payment fee',
  interest: 'Interest',
  carrierProvided: 'Carrier provided charge',
  manualBilling: 'Manual billing fee',
  lowUsage: 'Low usage fee',
  manual: 'Manual charge',
  discount: 'Discount',
};
