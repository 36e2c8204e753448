// The settings page, /console/settings: one section per group (the account, its logo, bill styles,
// message templates, API keys for admins, users), each drawn by its group's file from what is read here.
import { KeyLevel } from '../../../../api-keys/levels.ts';
import { listApiKeys } from '../../../../api-keys/repo.ts';
import { listUsers } from '../../../../console-users/repo.ts';
import { BUILT_IN_BILL_STYLES } from '../../../../delivery-settings/bill-styles.ts';
import { listBillStyles, listMessageTemplates } from '../../../../delivery-settings/settings-repo.ts';
import type { ZodApp } from '../../../kit/app-type.ts';
import { messagesQuery } from '../../../kit/form.ts';
import { errorBox, h, okBox } from '../../html.ts';
import type { ConsoleKit } from '../../kit.ts';
import { accountSection, logoSection } from './account.ts';
import { apiKeysSection } from './api-keys.ts';
import { billStylesSection } from './bill-styles.ts';
import { templatesSection } from './message-templates.ts';
import type { SettingsPage } from './shared.ts';
import { usersSection } from './users.ts';

/** Registers GET /console/settings and returns its renderer (the API key post answers with it). */
export function overviewPages(app: ZodApp, kit: ConsoleKit): SettingsPage {
  const { ctx } = kit;

  const settingsPage: SettingsPage = async (reply, m, q, shown) => {
    const admin = kit.may(m, KeyLevel.expert);
    const keys = admin ? await listApiKeys(ctx.db, m.accountId) : [];
    const users = await listUsers(ctx.db, m.accountId);
    const styles = (await listBillStyles(ctx.db, m.accountId, { limit: 100 })).rows;
    const templates = (await listMessageTemplates(ctx.db, m.accountId, { limit: 100 })).rows;
    // Bill styles and message templates: the API's level for them (invoices), so billing users too.
    const documents = kit.may(m, KeyLevel.invoices);
    const styleNames = [...BUILT_IN_BILL_STYLES.map((s) => s.name), ...styles.map((s) => s.name)];
    return kit.page(reply, m, {
      title: 'Settings',
      page: 'settings',
      body: `<h1>Settings</h1>${errorBox(q.error)}${okBox(q.ok)}${shown ? `<div class="alert ok" role="status">${h(shown.what)}, shown this once: store it now.<div class="secret" data-field="secret">${h(shown.value)}</div></div>` : ''}
<nav class="subnav" aria-label="Settings sections"><a href="#account">Account</a> <a href="#logo">Logo</a> <a href="#bill-styles">Bill styles</a> <a href="#templates">Message templates</a>${admin ? ' <a href="#keys">API keys</a>' : ''} <a href="#users">Users</a></nav>
${accountSection(m, admin, styleNames)}
${logoSection(m, admin)}
${billStylesSection(m, styles, documents)}
${templatesSection(templates, documents)}
${admin ? apiKeysSection(m, keys) : ''}
${usersSection(m, users, admin)}`,
    });
  };

  app.get(
    '/console/settings',
    { schema: { hide: true, querystring: messagesQuery } },
    async (request, reply) => {
      const m = await kit.me(request, reply);
      if (!m) return reply;
      return settingsPage(reply, m, request.query);
    },
  );

  return settingsPage;
}
