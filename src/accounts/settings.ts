import type { Insertable } from 'kysely';
import type { AccountsTable } from '../db/schema.ts';
import { canonicalTimeZone, isValidTimeZone } from '../shared/dates.ts';
import { invalid } from '../shared/errors.ts';
import { isSupportedCurrency } from '../shared/money.ts';
import { parseVatRate } from '../shared/vat.ts';

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
}

type AccountColumns = Partial<Omit<Insertable<AccountsTable>, 'id' | 'created_at' | 'updated_at'>>;

/** Checks account settings and turns them into columns. Only the fields given are returned. */
export function validateAccountSettings(input: AccountSettingsInput): AccountColumns {
  const out: AccountColumns = {};
  if (input.name !== undefined) {
    const name = input.name.trim();
    if (name.length === 0 || name.length > 200) throw invalid('name', 'must be 1 to 200 characters');
    out.name = name;
  }
  if (input.timezone !== undefined) {
    if (!isValidTimeZone(input.timezone)) throw invalid('timezone', `"${input.timezone}" is not an IANA timezone (e.g. Europe/London)`);
    // The canonical form fixes the case ("europe/london" -> "Europe/London"). Beyond case, keep the name as
    // given: ICU maps some current IANA names to retired aliases (Asia/Kolkata -> Asia/Calcutta,
    // Europe/Kyiv -> Europe/Kiev), which would show the user a name they did not choose.
    const canonical = canonicalTimeZone(input.timezone);
    out.timezone = canonical.toLowerCase() === input.timezone.toLowerCase() ? canonical : input.timezone;
  }
  if (input.currency !== undefined) {
    const currency = input.currency.toUpperCase();
    if (!isSupportedCurrency(currency)) throw invalid('currency', `"${input.currency}" is not an ISO 4217 currency code`);
    out.currency = currency;
  }
  if (input.defaultVatRate !== undefined) out.default_vat_rate = parseVatRate(input.defaultVatRate, 'defaultVatRate');
  if (input.paymentTermsDays !== undefined) {
    if (!Number.isInteger(input.paymentTermsDays) || input.paymentTermsDays < 0 || input.paymentTermsDays > 365) {
      throw invalid('paymentTermsDays', 'must be a whole number of days from 0 to 365');
    }
    out.payment_terms_days = input.paymentTermsDays;
  }
  if (input.invoicePrefix !== undefined) {
    if (input.invoicePrefix.length > 20 || /\s/.test(input.invoicePrefix)) throw invalid('invoicePrefix', 'must be at most 20 characters, no spaces');
    out.invoice_prefix = input.invoicePrefix;
  }
  if (input.invoiceNextNumber !== undefined) {
    if (!Number.isSafeInteger(input.invoiceNextNumber) || input.invoiceNextNumber < 1) throw invalid('invoiceNextNumber', 'must be a positive integer');
    out.invoice_next_number = input.invoiceNextNumber;
  }
  if (input.modules !== undefined) {
    for (const m of input.modules) {
      if (!(ACCOUNT_MODULES as readonly string[]).includes(m)) throw invalid('modules', `unknown module "${m}"; known: ${ACCOUNT_MODULES.join(', ')}`);
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
    if (!/^([01]\d|2[0-3]):[0-5]\d$/.test(value)) throw invalid(field, 'must be a local time HH:MM, e.g. "08:00"');
    out[column] = value;
  }
  if (out.peak_start !== undefined && out.peak_end !== undefined && out.peak_start >= out.peak_end) {
    throw invalid('peakEnd', 'must be after peakStart');
  }
  return out;
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
