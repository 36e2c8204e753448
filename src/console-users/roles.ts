// Console roles, mapped onto the API's key levels (src/api-keys/levels.ts): a console user may do what an
// API key of that level may, through the same use cases and the same level checks.
//   viewer  -> level 1: read everything in the account, change nothing.
//   billing -> level 4: charges, customers and features, invoices (approve, email), billing runs, rate cards,
//              calls, payment requests.
//   admin   -> level 5: everything billing may, plus account settings, API keys, webhooks and users (not owners).
//   owner   -> level 5: everything, including making and removing owners.
import { KeyLevel } from '../api-keys/levels.ts';
import type { ConsoleRole } from './repo.ts';

export const CONSOLE_ROLES: readonly ConsoleRole[] = ['viewer', 'billing', 'admin', 'owner'];

export const ROLE_LEVEL: Readonly<Record<ConsoleRole, number>> = {
  viewer: KeyLevel.read,
  billing: KeyLevel.invoices,
  admin: KeyLevel.expert,
  owner: KeyLevel.expert,
};

export const ROLE_LABEL: Readonly<Record<ConsoleRole, string>> = {
  viewer: 'Viewer: reads everything, changes nothing',
  billing: 'Billing: customers, charges, calls, rate cards, billing runs, invoices, collections',
  admin: 'Admin: billing, plus settings, API keys, webhooks and users',
  owner: 'Owner: everything, including owners',
};

export function isConsoleRole(value: string): value is ConsoleRole {
  return (CONSOLE_ROLES as readonly string[]).includes(value);
}

/** Whether a user of role `actor` may give or take away role `target` (only owners manage owners). */
export function mayManageRole(actor: ConsoleRole, target: ConsoleRole): boolean {
  if (actor === 'owner') return true;
  return actor === 'admin' && target !== 'owner';
}
