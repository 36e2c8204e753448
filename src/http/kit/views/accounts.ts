// The account and its API keys as the backend API shows them; the CLI prints the same (ringbill accounts create --json, ringbill keys create --json).
import { z } from 'zod';
import { addressFromColumns } from '../../../accounts/settings.ts';
import { DEFAULT_INTERNATIONAL_PREFIXES } from '../../../shared/number-plan.ts';
import type { AccountRow } from '../../../accounts/repo.ts';
import type { ApiKeyRow } from '../../../api-keys/repo.ts';
import { currencyMinorDigits, formatAmountAtLeast, formatDecimal } from '../../../money/money.ts';
import { amount, idString, postalAddressOut } from '../schemas.ts';
import { decimalOrNull, iso } from './format.ts';

/** A setting amount in the account's currency ("5.00"); finer values (never stored) printed as they are. */
function accountAmount(value: string | null, currency: string): string | null {
  if (value === null) return null;
  return formatAmountAtLeast(value, currencyMinorDigits(currency));
}

export const accountView = z
  .object({
    id: idString,
    name: z.string(),
    timezone: z.string(),
    currency: z.string(),
    defaultVatRate: z.string(),
    paymentTermsDays: z.number().int(),
    invoicePrefix: z.string(),
    invoiceNextNumber: z.number().int(),
    modules: z.array(z.string()),
    email: z.string().nullable(),
    phone: z.string().nullable(),
    vatNumber: z.string().nullable(),
    companyNumber: z.string().nullable(),
    address: postalAddressOut.nullable(),
    peakStart: z.string().meta({ description: 'Peak band starts (local time, Monday to Friday)' }),
    peakEnd: z.string().meta({ description: 'Peak band ends (local time)' }),
    paymentDetails: z.string().nullable().meta({ description: 'Printed on every bill under "How to pay"' }),
    emailFrom: z
      .string()
      .nullable()
      .meta({ description: "From address of invoice emails (default: the account's email)" }),
    defaultBillStyle: z.string().meta({ description: 'The bill style used when none is asked for' }),
    lateFee: amount
      .nullable()
      .meta({ description: 'Charged once for each invoice that becomes overdue; null: none' }),
    interestRate: z
      .string()
      .nullable()
      .meta({ description: 'Simple interest on overdue balances, percent a year; null: none' }),
    lowUsageMinimum: amount
      .nullable()
      .meta({ description: 'Minimum spend (net) per invoice; the shortfall is a low-usage fee' }),
    manualBillingFee: amount
      .nullable()
      .meta({ description: 'Fee on each invoice of a customer billed by post' }),
    logo: z
      .object({ contentType: z.string(), size: z.number().int() })
      .nullable()
      .meta({ description: 'The logo printed on bills (GET /account/logo serves it); null: none' }),
    cdrTimezone: z
      .string()
      .nullable()
      .meta({ description: "The switch's time zone for local times in its records; null: the account's" }),
    cdrCountry: z
      .string()
      .nullable()
      .meta({ description: 'The country whose national numbers the switch writes; null: none' }),
    cdrInternationalPrefixes: z
      .array(z.string())
      .meta({ description: 'Prefixes replaced by + (an international number follows)' }),
    cdrTechPrefixes: z.array(z.string()).meta({ description: 'Routing prefixes stripped from numbers' }),
    cdrExtensionMaxDigits: z
      .number()
      .int()
      .meta({ description: 'Digits-only numbers this short are internal extensions' }),
    cdrInternalCalls: z
      .enum(['refuse', 'store'])
      .meta({ description: 'Records that are not calls to bill are refused, or stored as internal calls' }),
    created: z.string(),
    updated: z.string(),
  })
  .meta({ id: 'Account' });

export function toAccountView(a: AccountRow): z.infer<typeof accountView> {
  return {
    id: String(a.id),
    name: a.name,
    timezone: a.timezone,
    currency: a.currency,
    defaultVatRate: formatDecimal(a.default_vat_rate),
    paymentTermsDays: a.payment_terms_days,
    invoicePrefix: a.invoice_prefix,
    invoiceNextNumber: a.invoice_next_number,
    modules: a.modules,
    email: a.email,
    phone: a.phone,
    vatNumber: a.vat_number,
    companyNumber: a.company_number,
    address: addressFromColumns(a),
    peakStart: a.peak_start.slice(0, 5),
    peakEnd: a.peak_end.slice(0, 5),
    paymentDetails: a.payment_details,
    emailFrom: a.email_from,
    defaultBillStyle: a.default_bill_style,
    lateFee: accountAmount(a.late_fee, a.currency),
    interestRate: decimalOrNull(a.interest_rate),
    lowUsageMinimum: accountAmount(a.low_usage_minimum, a.currency),
    manualBillingFee: accountAmount(a.manual_billing_fee, a.currency),
    logo: a.logo && a.logo_content_type ? { contentType: a.logo_content_type, size: a.logo.length } : null,
    cdrTimezone: a.cdr_timezone,
    cdrCountry: a.cdr_country,
    cdrInternationalPrefixes: a.cdr_international_prefixes ?? [...DEFAULT_INTERNATIONAL_PREFIXES],
    cdrTechPrefixes: a.cdr_tech_prefixes,
    cdrExtensionMaxDigits: a.cdr_extension_max_digits,
    cdrInternalCalls: a.cdr_internal_calls,
    created: a.created_at.toISOString(),
    updated: a.updated_at.toISOString(),
  };
}

export const apiKeyView = z
  .object({
    id: idString,
    name: z.string().nullable(),
    level: z.number().int(),
    prefix: z.string().meta({ description: 'The first characters of the key, to recognise it' }),
    timezone: z.string().meta({ description: "The account's timezone when the key was made" }),
    created: z.string(),
    revoked: z.string().nullable(),
  })
  .meta({ id: 'ApiKey' });

export function toApiKeyView(k: ApiKeyRow): z.infer<typeof apiKeyView> {
  return {
    id: String(k.id),
    name: k.name,
    level: k.level,
    prefix: k.key_prefix,
    timezone: k.timezone,
    created: k.created_at.toISOString(),
    revoked: iso(k.revoked_at),
  };
}
