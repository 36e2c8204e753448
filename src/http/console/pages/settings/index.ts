// Settings: the account (details printed on bills, the logo), bill styles and message templates with their
// previews, API keys (a new key shown once, in the answer to the post that made it), and users (invite by an
// emailed set-up link, change role, disable, enable, remove; only owners touch owners, and the account
// always keeps one enabled owner). One file per group; the settings page draws a section from each.
import type { ZodApp } from '../../../kit/app-type.ts';
import type { ConsoleKit } from '../../kit.ts';
import { accountPages } from './account.ts';
import { apiKeyPages } from './api-keys.ts';
import { billStylePages } from './bill-styles.ts';
import { templatePages } from './message-templates.ts';
import { overviewPages } from './overview.ts';
import { userPages } from './users.ts';

export function settingsPages(app: ZodApp, kit: ConsoleKit): void {
  const settingsPage = overviewPages(app, kit);
  accountPages(app, kit);
  billStylePages(app, kit);
  templatePages(app, kit);
  apiKeyPages(app, kit, settingsPage);
  userPages(app, kit);
}
