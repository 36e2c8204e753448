// The way an import reads a switch's records: the account's settings (PATCH /account: cdrTimezone,
// cdrCountry, cdrInternationalPrefixes, cdrTechPrefixes, cdrExtensionMaxDigits, cdrInternalCalls), each
// overridden for one import by the CLI's options or the request's query.
import type { AccountRow } from '../../accounts/repo.ts';
import { isValidTimeZone } from '../../shared/dates.ts';
import { invalid } from '../../shared/errors.ts';
import {
  checkCountry,
  checkExtensionMaxDigits,
  checkInternationalPrefixes,
  checkTechPrefixes,
  DEFAULT_INTERNATIONAL_PREFIXES,
  type NumberPlan,
} from '../../shared/number-plan.ts';

export type InternalCalls = 'refuse' | 'store';

/** Overrides for one import, as text (a CLI option, a query parameter); lists comma-separated. */
export interface SwitchOverrides {
  timezone?: string | undefined;
  country?: string | undefined;
  internationalPrefixes?: string | undefined;
  techPrefixes?: string | undefined;
  extensionMaxDigits?: string | number | undefined;
  internalCalls?: string | undefined;
}

export interface SwitchOptions {
  /** The zone of local times without an offset. */
  timeZone: string;
  plan: NumberPlan;
  internalCalls: InternalCalls;
}

type AccountSwitchColumns = Pick<
  AccountRow,
  | 'timezone'
  | 'cdr_timezone'
  | 'cdr_country'
  | 'cdr_international_prefixes'
  | 'cdr_tech_prefixes'
  | 'cdr_extension_max_digits'
  | 'cdr_internal_calls'
>;

/** The account's way, with the overrides checked and applied; throws invalid_input naming the override. */
export function switchOptionsFor(
  account: AccountSwitchColumns,
  overrides: SwitchOverrides = {},
): SwitchOptions {
  let timeZone = account.cdr_timezone ?? account.timezone;
  if (overrides.timezone !== undefined && overrides.timezone !== '') {
    if (!isValidTimeZone(overrides.timezone))
      throw invalid('timezone', `"${overrides.timezone}" is not an IANA timezone (e.g. Europe/London)`);
    timeZone = overrides.timezone;
  }
  const country =
    overrides.country !== undefined && overrides.country !== ''
      ? checkCountry(overrides.country, 'country')
      : account.cdr_country;
  const internationalPrefixes =
    overrides.internationalPrefixes !== undefined
      ? checkInternationalPrefixes(overrides.internationalPrefixes, 'internationalPrefixes')
      : (account.cdr_international_prefixes ?? DEFAULT_INTERNATIONAL_PREFIXES);
  const techPrefixes =
    overrides.techPrefixes !== undefined
      ? checkTechPrefixes(overrides.techPrefixes, 'techPrefixes')
      : account.cdr_tech_prefixes;
  const extensionMaxDigits =
    overrides.extensionMaxDigits !== undefined && overrides.extensionMaxDigits !== ''
      ? checkExtensionMaxDigits(overrides.extensionMaxDigits, 'extensionMaxDigits')
      : account.cdr_extension_max_digits;
  let internalCalls: InternalCalls = account.cdr_internal_calls;
  if (overrides.internalCalls !== undefined && overrides.internalCalls !== '') {
    if (overrides.internalCalls !== 'refuse' && overrides.internalCalls !== 'store')
      throw invalid('internalCalls', `"${overrides.internalCalls}" must be refuse or store`);
    internalCalls = overrides.internalCalls;
  }
  return {
    timeZone,
    plan: { country, internationalPrefixes, techPrefixes, extensionMaxDigits },
    internalCalls,
  };
}
