import type { AccountRow } from '../accounts/repo.ts';
import type { FeatureRow, FeatureUpdate } from './repo.ts';
import { normaliseOptionalPhone } from '../shared/contact.ts';
import { isIsoDate, type IsoDate } from '../shared/dates.ts';
import { invalid } from '../shared/errors.ts';
import { currencyMinorDigits, formatAmount, isDecimalString, money } from '../money/money.ts';
import { parseVatRate } from '../shared/vat.ts';
import type { BillingMode, Frequency } from './recurring.ts';
import { rateCardIdOf } from '../customers/input.ts';

export interface FeatureInput {
  name?: string;
  phoneNumber?: string | null;
  recurringValue?: string | number | null;
  recurringFrequency?: Frequency | null;
  billing?: BillingMode;
  startDate?: IsoDate | null;
  endDate?: IsoDate | null;
  vatRate?: string | number | null;
  /** The rate card for this feature's calls, over the customer's; null: the customer's. */
  rateCardID?: string | number | null;
}

/** Maps the fields given to columns, checking each on its own. */
export function featureColumns(input: FeatureInput, account: Pick<AccountRow, 'currency'>): FeatureUpdate {
  const out: FeatureUpdate = {};
  if (input.name !== undefined) {
    const name = input.name.trim();
    if (name.length === 0 || name.length > 200) throw invalid('name', 'must be 1 to 200 characters');
    out.name = name;
  }
  const phone = normaliseOptionalPhone(input.phoneNumber, 'phoneNumber');
  if (phone !== undefined) out.phone_number = phone;
  if (input.recurringValue !== undefined) {
    if (input.recurringValue === null) out.recurring_value = null;
    else {
      const digits = currencyMinorDigits(account.currency);
      const text =
        typeof input.recurringValue === 'number' ? String(input.recurringValue) : input.recurringValue.trim();
      if (!isDecimalString(text, digits))
        throw invalid(
          'recurringValue',
          `must be an amount with at most ${digits} decimal places, e.g. "15.00"`,
        );
      const value = money(text);
      if (value.isNegative())
        throw invalid(
          'recurringValue',
          'must be zero or more; credit a customer with a refund or discount charge',
        );
      out.recurring_value = formatAmount(value, digits);
    }
  }
  if (input.recurringFrequency !== undefined) out.recurring_frequency = input.recurringFrequency;
  if (input.billing !== undefined) out.billing = input.billing;
  for (const field of ['startDate', 'endDate'] as const) {
    const value = input[field];
    if (value === undefined) continue;
    if (value !== null && !isIsoDate(value)) throw invalid(field, 'must be a date YYYY-MM-DD');
    out[field === 'startDate' ? 'start_date' : 'end_date'] = value;
  }
  if (input.vatRate !== undefined)
    out.vat_rate = input.vatRate === null ? null : parseVatRate(input.vatRate, 'vatRate');
  const rateCardId = rateCardIdOf(input.rateCardID, 'rateCardID');
  if (rateCardId !== undefined) out.rate_card_id = rateCardId;
  return out;
}

/** Checks the feature as it will be stored, after defaults and merging. */
export function checkFeature(
  feature: Pick<FeatureRow, 'recurring_value' | 'recurring_frequency' | 'start_date' | 'end_date'>,
): void {
  if (feature.recurring_value !== null) {
    if (feature.recurring_frequency === null)
      throw invalid('recurringFrequency', 'is required with a recurring charge');
    if (feature.start_date === null) throw invalid('startDate', 'is required with a recurring charge');
  }
  if (feature.start_date && feature.end_date && feature.end_date < feature.start_date) {
    throw invalid('endDate', 'must not be before startDate');
  }
}
