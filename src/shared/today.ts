import type { AccountRow } from '../accounts/repo.ts';
import { dateInZone, firstOfMonth, type IsoDate } from './dates.ts';

/** Today's date in the account's timezone. */
export function accountToday(account: Pick<AccountRow, 'timezone'>, now: Date): IsoDate {
  return dateInZone(now, account.timezone);
}

/** The default invoice cut-off: the first day of the current month in the account's timezone. */
export function defaultCutoff(account: Pick<AccountRow, 'timezone'>, now: Date): IsoDate {
  return firstOfMonth(accountToday(account, now));
}
