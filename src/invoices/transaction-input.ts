import type { AccountRow } from '../accounts/repo.ts';
import type { BillingTransactionRow, BillingTransactionUpdate } from './transactions-repo.ts';
import { isIsoDate, type IsoDate } from '../shared/dates.ts';
import { invalid } from '../shared/errors.ts';
import { currencyMinorDigits, formatAmount, formatDecimal, isDecimalString, money } from '../money/money.ts';
import { parseVatRate } from '../shared/vat.ts';
import {
  COUNT_FIELDS,
  type CountField,
  DATE_FIELDS,
  type DateField,
  MAX_TEXT_LENGTH,
  SIDE_AMOUNT_FIELDS,
  type SideAmountField,
  TEXT_FIELDS,
  type TextField,
} from './transaction-fields.ts';
import {
  CREDIT_TYPES,
  isTransactionType,
  TRANSACTION_TYPES,
  type TransactionType,
} from '../shared/transaction-types.ts';

type Amount = string | number;

/** The descriptive fields of a charge, keyed as the fields table (fields.ts) names them. */
export type TransactionDetails = { [K in TextField]?: string | null } & {
  [K in SideAmountField]?: Amount | null;
} & {
  [K in DateField]?: IsoDate | null;
} & { [K in CountField]?: number | null };

/**
 * A charge as the use cases take it. Its own fields have domain names (errors name them too: `value: …`);
 * each surface maps its wire names (the backend's transactionValue…) to these.
 */
export type TransactionInput = TransactionDetails & {
  type?: string;
  value?: Amount;
  vatRate?: Amount;
  /** The charge this one refunds; null or '' for none. */
  refundedId?: string | number | null;
};

const MAX_COUNT = 1_000_000_000;

function amountText(value: Amount): string {
  return typeof value === 'number' ? String(value) : value.trim();
}

/**
 * Checks the fields given and maps them to columns. `value` must be exact to the currency's
 * minor unit: it lands on a bill, and a bill must add up. Refunds and discounts are credits: a positive
 * value given for them is stored negated.
 */
export function transactionColumns(
  input: TransactionInput,
  account: Pick<AccountRow, 'currency'>,
  typeForValue: TransactionType,
): BillingTransactionUpdate {
  const out: Record<string, unknown> = {};
  if (input.type !== undefined) {
    if (!isTransactionType(input.type)) {
      throw invalid('type', `must be one of ${TRANSACTION_TYPES.join(', ')}`);
    }
    out.transaction_type = input.type;
  }
  if (input.value !== undefined) {
    const digits = currencyMinorDigits(account.currency);
    const text = amountText(input.value);
    if (!isDecimalString(text, digits)) {
      throw invalid(
        'value',
        `must be an amount with at most ${digits} decimal places for ${account.currency}, e.g. "12.50"`,
      );
    }
    const value = money(text);
    out.value = formatAmount(
      CREDIT_TYPES.has(typeForValue) && value.isPositive() ? value.negated() : value,
      digits,
    );
  }
  if (input.vatRate !== undefined) out.vat_rate = parseVatRate(input.vatRate, 'vatRate');
  if (input.refundedId !== undefined) {
    const id = input.refundedId;
    if (id === null || id === '') out.refunded_id = null;
    else {
      const n = Number(id);
      if (!Number.isSafeInteger(n) || n <= 0) throw invalid('refundedId', 'must be the id of a transaction');
      out.refunded_id = n;
    }
  }
  for (const [field, column] of Object.entries(TEXT_FIELDS) as [TextField, string][]) {
    const value = input[field];
    if (value === undefined) continue;
    if (value !== null && value.length > MAX_TEXT_LENGTH)
      throw invalid(field, `must be at most ${MAX_TEXT_LENGTH} characters`);
    out[column] = value;
  }
  for (const [field, column] of Object.entries(SIDE_AMOUNT_FIELDS) as [SideAmountField, string][]) {
    const value = input[field];
    if (value === undefined) continue;
    if (value === null) {
      out[column] = null;
      continue;
    }
    const text = amountText(value);
    if (!isDecimalString(text))
      throw invalid(field, 'must be a decimal amount with at most 6 decimal places');
    out[column] = formatDecimal(text);
  }
  for (const [field, column] of Object.entries(DATE_FIELDS) as [DateField, string][]) {
    const value = input[field];
    if (value === undefined) continue;
    if (value !== null && !isIsoDate(value)) throw invalid(field, 'must be a date YYYY-MM-DD');
    if (value === null && (field === 'transactionDate' || field === 'transactionBillDate'))
      throw invalid(field, 'cannot be empty');
    out[column] = value;
  }
  for (const [field, column] of Object.entries(COUNT_FIELDS) as [CountField, string][]) {
    const value = input[field];
    if (value === undefined) continue;
    if (value !== null && (!Number.isInteger(value) || value < 0 || value > MAX_COUNT)) {
      throw invalid(field, 'must be a whole number, zero or more');
    }
    out[column] = value;
  }
  return out;
}

/** Checks a transaction as it will be stored (after defaults and merging with the current row). */
export function checkTransactionRow(row: Pick<BillingTransactionRow, 'start_date' | 'end_date'>): void {
  if (row.start_date && row.end_date && row.end_date < row.start_date) {
    throw invalid('transactionEndDate', 'must not be before transactionStartDate');
  }
}

/** The stored value of a credit type is never positive, whatever the order fields were changed in. */
export function normaliseCreditSign(type: TransactionType, value: string, minorDigits: number): string {
  const v = money(value);
  return CREDIT_TYPES.has(type) && v.isPositive() ? formatAmount(v.negated(), minorDigits) : value;
}
