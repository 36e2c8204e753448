// Billing transactions: every field of the transactions document.
import { z } from 'zod';
import type { AccountRow } from '../../../accounts/repo.ts';
import type { BillingTransactionRow } from '../../../invoices/transactions-repo.ts';
import {
  currencyMinorDigits,
  formatAmount,
  formatAmountAtLeast,
  formatDecimal,
} from '../../../money/money.ts';
import {
  COUNT_FIELDS,
  DATE_FIELDS,
  SIDE_AMOUNT_FIELDS,
  TEXT_FIELDS,
} from '../../../invoices/transaction-fields.ts';
import { idOrNull } from '../../kit/views/format.ts';
import { amount, idString } from '../schemas.ts';

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

export function toTransactionView(
  t: BillingTransactionRow,
  account: Pick<AccountRow, 'currency'>,
): z.infer<typeof transactionView> {
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
    view[field] =
      value === null
        ? null
        : field === COMMISSION_PROFILE_VALUE
          ? Number(value)
          : formatAmountAtLeast(value, minorDigits);
  }
  for (const [field, column] of Object.entries(DATE_FIELDS)) view[field] = row[column] ?? null;
  for (const [field, column] of Object.entries(COUNT_FIELDS)) view[field] = row[column] ?? null;
  view.created = t.created_at.toISOString();
  view.updated = t.updated_at.toISOString();
  return view as z.infer<typeof transactionView>;
}
