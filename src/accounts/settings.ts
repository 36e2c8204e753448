import type { NewAccount } from './repo.ts';
import { canonicalTimeZone, isValidTimeZone } from '../shared/dates.ts';
import { invalid } from '../shared/errors.ts';
import { parseEmailList } from '../shared/contact.ts';
import { formatDecimal, isDecimalString, isSupportedCurrency, money } from '../money/money.ts';
import { parseVatRate } from '../shared/vat.ts';
import {
  checkCountry,
  checkExtensionMaxDigits,
  DEFAULT_EXTENSION_MAX_DIGITS,
  checkInternationalPrefixes,
  checkTechPrefixes,
} from '../shared/number-plan.ts';

/** Modules an account can switch on. */
export const ACCOUNT_MODULES = ['xero'] as const;

export interface PostalAddress {
  line1?: string | null;
  line2?: string | null;
  city?: string | null;
  region?: string | null;
  postcode?: string | null;
  country?: string | null;
}

export interface AccountSettingsInput {
  name?: string;
  timezone?: string;
  currency?: string;
  defaultVatRate?: string | number;
  paymentTermsDays?: number;
  invoicePrefix?: string;
  invoiceNextNumber?: number;
  modules?: string[];
  email?: string | null;
  phone?: string | null;
  vatNumber?: string | null;
  companyNumber?: string | null;
  address?: PostalAddress | null;
  /** Peak time band, local time "HH:MM" (Monday to Friday; the rest of the week is off-peak, weekends apart). */
  peakStart?: string;
  peakEnd?: string;
  /** Bank or payment details printed on every bill ("Pay by bank transfer to…"). */
  paymentDetails?: string | null;
  /** The From address of invoice emails (default: the account's email). */
  emailFrom?: string | null;
  /** The bill style used when none is asked for (checked against the styles by updateAccount). */
  defaultBillStyle?: string;
  /** A fixed fee charged once for each invoice that becomes overdue. */
  lateFee?: string | number | null;
  /** Simple interest on overdue balances, percent a year. */
  interestRate?: string | number | null;
  /** Minimum spend (net) per invoice; the shortfall is charged as a low-usage fee. */
  lowUsageMinimum?: string | number | null;
  /** A fee on each invoice of a customer billed by post. */
  manualBillingFee?: string | number | null;
  /** How the account's switch writes its records (see calls/formats/number-plan.ts); null restores the default. */
  cdrTimezone?: string | null;
  cdrCountry?: string | null;
  cdrInternationalPrefixes?: string[] | null;
  cdrTechPrefixes?: string[] | null;
  cdrExtensionMaxDigits?: number | null;
  cdrInternalCalls?: 'refuse' | 'store' | null;
}

/** The fee settings, with their columns: amounts in the account's currency. */
export const FEE_AMOUNT_FIELDS = {
  lateFee: 'late_fee',
  lowUsageMinimum: 'low_usage_minimum',
  manualBillingFee: 'manual_billing_fee',
} as const;

type AccountColumns = Partial<Omit<NewAccount, 'id' | 'created_at' | 'updated_at'>>;

/** Checks account settings and turns them into columns. Only the fields given are returned. */
export function validateAccountSettings(input: AccountSettingsInput): AccountColumns {
  const out: AccountColumns = {};
  if (input.name !== undefined) {
    const name = input.name.trim();
    if (name.length === 0 || name.length > 200) throw invalid('name', 'must be 1 to 200 characters');
    out.name = name;
  }
  if (input.timezone !== undefined) {
    if (!isValidTimeZone(input.timezone))
      throw invalid('timezone', `"${input.timezone}" is not an IANA timezone (e.g. Europe/London)`);
    // The canonical form fixes the case ("europe/london" -> "Europe/London"). Beyond case, keep the name as
    // given: ICU maps some current IANA names to retired aliases (Asia/Kolkata -> Asia/Calcutta,
    // Europe/Kyiv -> Europe/Kiev), which would show the user a name they did not choose.
    const canonical = canonicalTimeZone(input.timezone);
    out.timezone = canonical.toLowerCase() === input.timezone.toLowerCase() ? canonical : input.timezone;
  }
  if (input.currency !== undefined) {
    const currency = input.currency.toUpperCase();
    if (!isSupportedCurrency(currency))
      throw invalid('currency', `"${input.currency}" is not an ISO 4217 currency code`);
    out.currency = currency;
  }
  if (input.defaultVatRate !== undefined)
    out.default_vat_rate = parseVatRate(input.defaultVatRate, 'defaultVatRate');
  if (input.paymentTermsDays !== undefined) {
    if (
      !Number.isInteger(input.paymentTermsDays) ||
      input.paymentTermsDays < 0 ||
      input.paymentTermsDays > 365
    ) {
      throw invalid('paymentTermsDays', 'must be a whole number of days from 0 to 365');
    }
    out.payment_terms_days = input.paymentTermsDays;
  }
  if (input.invoicePrefix !== undefined) {
    if (input.invoicePrefix.length > 20 || /\s/.test(input.invoicePrefix))
      throw invalid('invoicePrefix', 'must be at most 20 characters, no spaces');
    out.invoice_prefix = input.invoicePrefix;
  }
  if (input.invoiceNextNumber !== undefined) {
    if (!Number.isSafeInteger(input.invoiceNextNumber) || input.invoiceNextNumber < 1)
      throw invalid('invoiceNextNumber', 'must be a positive integer');
    out.invoice_next_number = input.invoiceNextNumber;
  }
  if (input.modules !== undefined) {
    for (const m of input.modules) {
      if (!(ACCOUNT_MODULES as readonly string[]).includes(m))
        throw invalid('modules', `unknown module "${m}"; known: ${ACCOUNT_MODULES.join(', ')}`);
    }
    out.modules = [...new Set(input.modules)].sort();
  }
  if (input.email !== undefined) out.email = input.email;
  if (input.phone !== undefined) out.phone = input.phone;
  if (input.vatNumber !== undefined) out.vat_number = input.vatNumber;
  if (input.companyNumber !== undefined) out.company_number = input.companyNumber;
  if (input.address !== undefined) Object.assign(out, addressColumns(input.address));
  for (const [field, column] of [
    ['peakStart', 'peak_start'],
    ['peakEnd', 'peak_end'],
  ] as const) {
    const value = input[field];
    if (value === undefined) continue;
    if (!/^([01]\d|2[0-3]):[0-5]\d$/.test(value))
      throw invalid(field, 'must be a local time HH:MM, e.g. "08:00"');
    out[column] = value;
  }
  if (input.paymentDetails !== undefined) {
    const text = input.paymentDetails?.trim() ?? '';
    if (text.length > 2000) throw invalid('paymentDetails', 'must be at most 2000 characters');
    out.payment_details = text === '' ? null : text;
  }
  if (input.emailFrom !== undefined) {
    const address = input.emailFrom?.trim() ?? '';
    if (address !== '') {
      const list = parseEmailList(address, 'emailFrom');
      if (list.length !== 1) throw invalid('emailFrom', 'must be one email address');
    }
    out.email_from = address === '' ? null : address;
  }
  if (input.defaultBillStyle !== undefined) {
    const name = input.defaultBillStyle.trim();
    if (name.length === 0 || name.length > 100)
      throw invalid('defaultBillStyle', 'must be the name of a bill style');
    out.default_bill_style = name;
  }
  for (const [field, column] of Object.entries(FEE_AMOUNT_FIELDS) as [
    keyof typeof FEE_AMOUNT_FIELDS,
    (typeof FEE_AMOUNT_FIELDS)[keyof typeof FEE_AMOUNT_FIELDS],
  ][]) {
    const value = input[field];
    if (value === undefined) continue;
    out[column] = value === null ? null : parseFeeAmount(value, field);
  }
  if (input.interestRate !== undefined) {
    if (input.interestRate === null) out.interest_rate = null;
    else {
      const text =
        typeof input.interestRate === 'number' ? String(input.interestRate) : input.interestRate.trim();
      if (!isDecimalString(text, 4) || money(text).isNegative() || money(text).greaterThan(100)) {
        throw invalid('interestRate', 'must be a percentage a year from 0 to 100, such as "8" or "2.5"');
      }
      out.interest_rate = money(text).isZero() ? null : formatDecimal(text);
    }
  }
  Object.assign(out, switchRecordColumns(input));
  if (out.peak_start !== undefined && out.peak_end !== undefined && out.peak_start >= out.peak_end) {
    throw invalid('peakEnd', 'must be after peakStart');
  }
  return out;
}

/** The switch record settings given, as columns (null: back to the default). */
function switchRecordColumns(input: AccountSettingsInput): AccountColumns {
  const out: AccountColumns = {};
  if (input.cdrTimezone !== undefined) {
    if (input.cdrTimezone === null || input.cdrTimezone.trim() === '') out.cdr_timezone = null;
    else if (!isValidTimeZone(input.cdrTimezone))
      throw invalid('cdrTimezone', `"${input.cdrTimezone}" is not an IANA timezone (e.g. Europe/London)`);
    else {
      const canonical = canonicalTimeZone(input.cdrTimezone);
      out.cdr_timezone =
        canonical.toLowerCase() === input.cdrTimezone.toLowerCase() ? canonical : input.cdrTimezone;
    }
  }
  if (input.cdrCountry !== undefined)
    out.cdr_country =
      input.cdrCountry === null || input.cdrCountry.trim() === ''
        ? null
        : checkCountry(input.cdrCountry, 'cdrCountry');
  if (input.cdrInternationalPrefixes !== undefined) {
    out.cdr_international_prefixes =
      input.cdrInternationalPrefixes === null
        ? null
        : checkInternationalPrefixes(input.cdrInternationalPrefixes, 'cdrInternationalPrefixes');
  }
  if (input.cdrTechPrefixes !== undefined)
    out.cdr_tech_prefixes =
      input.cdrTechPrefixes === null ? [] : checkTechPrefixes(input.cdrTechPrefixes, 'cdrTechPrefixes');
  if (input.cdrExtensionMaxDigits !== undefined) {
    out.cdr_extension_max_digits =
      input.cdrExtensionMaxDigits === null
        ? DEFAULT_EXTENSION_MAX_DIGITS
        : checkExtensionMaxDigits(input.cdrExtensionMaxDigits, 'cdrExtensionMaxDigits');
  }
  if (input.cdrInternalCalls !== undefined) {
    if (
      input.cdrInternalCalls !== null &&
      input.cdrInternalCalls !== 'refuse' &&
      input.cdrInternalCalls !== 'store'
    )
      throw invalid('cdrInternalCalls', 'must be refuse or store');
    out.cdr_internal_calls = input.cdrInternalCalls ?? 'refuse';
  }
  return out;
}

/** A fee amount: a decimal of 0 or more (0 switches the fee off: stored as null). */
function parseFeeAmount(value: string | number, field: string): string | null {
  const text = typeof value === 'number' ? String(value) : value.trim();
  if (!isDecimalString(text) || money(text).isNegative())
    throw invalid(field, 'must be an amount of 0 or more, such as "5.00" (null or 0: no fee)');
  return money(text).isZero() ? null : formatDecimal(text);
}

export function addressColumns(address: PostalAddress | null) {
  return {
    address_line1: address?.line1 ?? null,
    address_line2: address?.line2 ?? null,
    city: address?.city ?? null,
    region: address?.region ?? null,
    postcode: address?.postcode ?? null,
    country: address?.country ?? null,
  };
}

export function addressFromColumns(row: {
  address_line1: string | null;
  address_line2: string | null;
  city: string | null;
  region: string | null;
  postcode: string | null;
  country: string | null;
}): PostalAddress | null {
  const address = {
    line1: row.address_line1,
    line2: row.address_line2,
    city: row.city,
    region: row.region,
    postcode: row.postcode,
    country: row.country,
  };
  return Object.values(address).every((v) => v === null) ? null : address;
}
