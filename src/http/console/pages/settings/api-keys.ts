// API keys (admins): the account's keys, a new key shown once (in the answer to the post that made it, the
// settings page itself), and revoking one.
import { createApiKey } from '../../../../api-keys/create-key.ts';
import { KeyLevel } from '../../../../api-keys/levels.ts';
import type { ApiKeyRow } from '../../../../api-keys/repo.ts';
import { revokeApiKey } from '../../../../api-keys/revoke-key.ts';
import { pathId } from '../../../kit/route-helpers.ts';
import type { ZodApp } from '../../../kit/app-type.ts';
import { formField, namedForm } from '../../../kit/form.ts';
import { actionButton, csrfField, h, table, when } from '../../html.ts';
import type { ConsoleKit, Me } from '../../kit.ts';
import { type SettingsPage } from './shared.ts';

/** The account's API keys, with the form that makes a new one. */
export function apiKeysSection(m: Me, keys: ApiKeyRow[]): string {
  return `<section class="card" id="keys"><h2>API keys</h2>${table(
    'API keys',
    [
      { title: 'Key' },
      { title: 'Name' },
      { title: 'Level', amount: true },
      { title: 'Created' },
      { title: '' },
    ],
    keys.map((k) => [
      `${k.id} <span class="muted">${h(k.key_prefix)}…</span>`,
      h(k.name),
      String(k.level),
      when(k.created_at, m.account.timezone),
      k.revoked_at
        ? `revoked ${when(k.revoked_at, m.account.timezone)}`
        : actionButton(`/console/settings/keys/${k.id}/revoke`, `Revoke key ${k.id}`, m.csrf, {
            danger: true,
          }),
    ]),
    'No API keys.',
  )}<form method="post" action="/console/settings/keys" class="filters">${csrfField(m.csrf)}<div><label for="key-name">Name</label><input id="key-name" name="name" maxlength="200"></div><div><label for="key-level">Level</label><select id="key-level" name="level"><option value="1">1 read</option><option value="2">2 charges</option><option value="3">3 customers</option><option value="4">4 invoices</option><option value="5">5 expert</option></select></div><div><button type="submit">Create API key</button></div></form></section>`;
}

export function apiKeyPages(app: ZodApp, kit: ConsoleKit, settingsPage: SettingsPage): void {
  const { ctx } = kit;

  app.post(
    '/console/settings/keys',
    { schema: { hide: true, body: namedForm({ level: formField, name: formField }) } },
    async (request, reply) => {
      const m = await kit.me(request, reply);
      if (!m) return reply;
      kit.need(m, KeyLevel.expert);
      const b = request.body;
      const created = await createApiKey(ctx, m.accountId, {
        level: Number(b.level ?? 1),
        name: b.name?.trim() || null,
      });
      await kit.audit(m, request.ip, {
        action: 'create',
        resource: 'apiKeys',
        resourceId: created.row.id,
        changes: {
          level: created.row.level,
          name: created.row.name,
        },
      });
      return settingsPage(
        reply,
        m,
        { ok: `API key ${created.row.id} created` },
        { what: `API key ${created.row.id}`, value: created.key },
      );
    },
  );

  kit.action('/console/settings/keys/:id/revoke', KeyLevel.expert, async (m, _b, p) => {
    const id = pathId(p.id!, 'API key');
    await revokeApiKey(ctx, m.accountId, id);
    return {
      redirect: '/console/settings',
      message: `API key ${id} revoked`,
      audit: { action: 'revoke', resource: 'apiKeys', resourceId: id },
    };
  });
}
