// Settings: the account (details printed on bills, the logo), API keys (a new key shown once, in the answer
// to the post that made it), and users (invite by an emailed set-up link, change role, disable, enable,
// remove; only owners touch owners, and the account always keeps one enabled owner).
import type { FastifyInstance, FastifyReply } from 'fastify';
import { createApiKey } from '../../../api-keys/create-key.ts';
import { KeyLevel } from '../../../api-keys/levels.ts';
import { listApiKeys } from '../../../api-keys/repo.ts';
import { revokeApiKey } from '../../../api-keys/revoke-key.ts';
import { updateAccount } from '../../../accounts/update-account.ts';
import { diff, recordAudit } from '../../../audit/record.ts';
import {
  changeUserRole,
  createConsoleUser,
  removeUser,
  setUserDisabled,
} from '../../../console-users/manage-users.ts';
import { listUsers } from '../../../console-users/repo.ts';
import { CONSOLE_ROLES, mayManageRole, ROLE_LABEL } from '../../../console-users/roles.ts';
import { pathId } from '../../kit/route-helpers.ts';
import { actionButton, csrfField, errorBox, h, okBox, table } from '../html.ts';
import type { ConsoleKit, Me } from '../kit.ts';

function when(d: Date | null | undefined): string {
  return d ? d.toISOString().slice(0, 16).replace('T', ' ') : '';
}

export function settingsPages(app: FastifyInstance, kit: ConsoleKit): void {
  const { ctx } = kit;
  const audit = (
    m: Me,
    ip: string,
    action: string,
    resource: string,
    resourceId: string | number | null,
    changes?: Record<string, unknown>,
  ) =>
    recordAudit(ctx, m.accountId, {
      actor: { type: 'user', id: m.user.id, name: m.user.email },
      action,
      resource,
      resourceId,
      ip,
      surface: 'console',
      changes,
    });

  const settingsPage = async (
    reply: FastifyReply,
    m: Me,
    q: Record<string, string>,
    shown?: { what: string; value: string },
  ) => {
    const a = m.account;
    const admin = kit.may(m, KeyLevel.expert);
    const keys = admin ? await listApiKeys(ctx.db, m.accountId) : [];
    const users = await listUsers(ctx.db, m.accountId);
    const field = (id: string, label: string, value: string | null | undefined, extra = '') =>
      `<div><label for="acc-${id}">${label}</label><input id="acc-${id}" name="${id}" value="${h(value ?? '')}" ${extra}${admin ? '' : ' disabled'}></div>`;
    return kit.page(reply, m, {
      title: 'Settings',
      page: 'settings',
      body: `<h1>Settings</h1>${errorBox(q.error)}${okBox(q.ok)}${shown ? `<div class="alert ok" role="status">${h(shown.what)}, shown this once: store it now.<div class="secret" data-field="secret">${h(shown.value)}</div></div>` : ''}
<section class="card"><h2>Account</h2><form method="post" action="/console/settings/account">${csrfField(m.csrf)}<div class="filters">
${field('name', 'Name', a.name, 'required maxlength="200"')}${field('email', 'Email', a.email, 'type="email" maxlength="254"')}${field('phone', 'Phone', a.phone, 'maxlength="30"')}${field('vatNumber', 'VAT number', a.vat_number, 'maxlength="50"')}
${field('timezone', 'Time zone', a.timezone, 'maxlength="64"')}${field('currency', 'Currency', a.currency, 'maxlength="3"')}${field('paymentDetails', 'Payment details on bills', a.payment_details, 'maxlength="500"')}${field('emailFrom', 'Emails from', a.email_from, 'maxlength="254"')}
</div>${admin ? '<button type="submit">Save account</button>' : ''}</form><p class="muted">Bill styles, message templates, attachments and the logo: <a href="/docs">the API</a> (PUT /account/logo, /billStyles, /messageTemplates).</p></section>
${
  admin
    ? `<section class="card"><h2>API keys</h2>${table(
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
          h(when(k.created_at)),
          k.revoked_at
            ? 'revoked'
            : actionButton(`/console/settings/keys/${k.id}/revoke`, `Revoke key ${k.id}`, m.csrf, {
                danger: true,
              }),
        ]),
        'No API keys.',
      )}<form method="post" action="/console/settings/keys" class="filters">${csrfField(m.csrf)}<div><label for="key-name">Name</label><input id="key-name" name="name" maxlength="200"></div><div><label for="key-level">Level</label><select id="key-level" name="level"><option value="1">1 read</option><option value="2">2 charges</option><option value="3">3 customers</option><option value="4">4 invoices</option><option value="5">5 expert</option></select></div><div><button type="submit">Create API key</button></div></form></section>`
    : ''
}
<section class="card" id="users"><h2>Users</h2>${table(
        'Console users',
        [{ title: 'Name' }, { title: 'Email' }, { title: 'Role' }, { title: 'State' }, { title: '' }],
        users.map((u) => {
          const manage = admin && u.id !== m.user.id && mayManageRole(m.user.role, u.role);
          return [
            h(u.name),
            h(u.email),
            manage
              ? `<form method="post" action="/console/settings/users/${u.id}/role" class="actions">${csrfField(m.csrf)}<label class="skip" for="role-${u.id}">Role of ${h(u.email)}</label><select id="role-${u.id}" name="role">${CONSOLE_ROLES.filter(
                  (r) => mayManageRole(m.user.role, r),
                )
                  .map((r) => `<option${r === u.role ? ' selected' : ''}>${r}</option>`)
                  .join('')}</select><button type="submit" class="secondary">Set role</button></form>`
              : h(u.role),
            u.disabled_at
              ? '<span class="badge bad">disabled</span>'
              : u.password_hash
                ? '<span class="badge good">active</span>'
                : '<span class="badge">invited</span>',
            manage
              ? `<div class="actions">${actionButton(`/console/settings/users/${u.id}/${u.disabled_at ? 'enable' : 'disable'}`, u.disabled_at ? 'Enable' : 'Disable', m.csrf, { secondary: true })}${actionButton(`/console/settings/users/${u.id}/remove`, 'Remove', m.csrf, { danger: true })}</div>`
              : '',
          ];
        }),
        'No users.',
      )}${
        admin
          ? `<form method="post" action="/console/settings/users" class="filters">${csrfField(m.csrf)}<div><label for="inv-email">Email</label><input id="inv-email" name="email" type="email" required maxlength="254"></div><div><label for="inv-name">Name</label><input id="inv-name" name="name" maxlength="200"></div><div><label for="inv-role">Role</label><select id="inv-role" name="role">${CONSOLE_ROLES.filter(
              (r) => mayManageRole(m.user.role, r),
            )
              .map((r) => `<option value="${r}">${h(ROLE_LABEL[r])}</option>`)
              .join('')}</select></div><div><button type="submit">Invite user</button></div></form>`
          : ''
      }</section>`,
    });
  };

  app.get('/console/settings', { schema: { hide: true } }, async (request, reply) => {
    const m = await kit.me(request, reply);
    if (!m) return reply;
    return settingsPage(reply, m, request.query as Record<string, string>);
  });

  kit.action(
    '/console/settings/account',
    KeyLevel.expert,
    async (m, b) => {
      const opt = (v: string | undefined) => (v?.trim() ? v.trim() : null);
      const before = m.account;
      const after = await updateAccount(ctx, m.accountId, {
        name: String(b.name ?? '').trim(),
        email: opt(b.email),
        phone: opt(b.phone),
        vatNumber: opt(b.vatNumber),
        timezone: String(b.timezone ?? before.timezone).trim(),
        currency: String(b.currency ?? before.currency).trim(),
        paymentDetails: opt(b.paymentDetails),
        emailFrom: opt(b.emailFrom),
      });
      const pick = (r: typeof after) => ({
        name: r.name,
        email: r.email,
        phone: r.phone,
        vatNumber: r.vat_number,
        timezone: r.timezone,
        currency: r.currency,
        paymentDetails: r.payment_details,
        emailFrom: r.email_from,
      });
      return {
        redirect: '/console/settings',
        message: 'Account saved',
        audit: {
          action: 'update',
          resource: 'account',
          resourceId: m.accountId,
          changes: diff(pick(before), pick(after)),
        },
      };
    },
    () => '/console/settings',
  );

  app.post('/console/settings/keys', { schema: { hide: true } }, async (request, reply) => {
    const m = await kit.me(request, reply);
    if (!m) return reply;
    kit.need(m, KeyLevel.expert);
    const b = (request.body ?? {}) as Record<string, string>;
    const created = await createApiKey(ctx, m.accountId, {
      level: Number(b.level ?? 1),
      name: b.name?.trim() || null,
    });
    await audit(m, request.ip, 'create', 'apiKeys', created.row.id, {
      level: created.row.level,
      name: created.row.name,
    });
    return settingsPage(
      reply,
      m,
      { ok: `API key ${created.row.id} created` },
      { what: `API key ${created.row.id}`, value: created.key },
    );
  });

  kit.action('/console/settings/keys/:id/revoke', KeyLevel.expert, async (m, _b, p) => {
    const id = pathId(p.id!, 'API key');
    await revokeApiKey(ctx, m.accountId, id);
    return {
      redirect: '/console/settings',
      message: `API key ${id} revoked`,
      audit: { action: 'revoke', resource: 'apiKeys', resourceId: id },
    };
  });

  kit.action(
    '/console/settings/users',
    KeyLevel.expert,
    async (m, b, _p, request) => {
      const { user } = await createConsoleUser(
        ctx,
        m.accountId,
        { email: String(b.email ?? ''), name: b.name, role: String(b.role ?? 'viewer') },
        { actorRole: m.user.role, emailBaseUrl: kit.baseUrl(request) },
      );
      return {
        redirect: '/console/settings#users',
        message: `${user.email} invited: a set-up link is on its way by email`,
        audit: {
          action: 'create',
          resource: 'users',
          resourceId: user.id,
          changes: { email: user.email, role: user.role },
        },
      };
    },
    () => '/console/settings#users',
  );

  kit.action(
    '/console/settings/users/:id/role',
    KeyLevel.expert,
    async (m, b, p) => {
      const id = pathId(p.id!, 'User');
      const { before, after } = await changeUserRole(
        ctx,
        m.accountId,
        { id: m.user.id, role: m.user.role },
        id,
        String(b.role ?? ''),
      );
      return {
        redirect: '/console/settings#users',
        message: `${after.email} is now ${after.role}`,
        audit: {
          action: 'update',
          resource: 'users',
          resourceId: id,
          changes: { role: { from: before.role, to: after.role } },
        },
      };
    },
    () => '/console/settings#users',
  );

  for (const verb of ['disable', 'enable', 'remove'] as const) {
    kit.action(
      `/console/settings/users/:id/${verb}`,
      KeyLevel.expert,
      async (m, _b, p) => {
        const id = pathId(p.id!, 'User');
        const user =
          verb === 'remove'
            ? await removeUser(ctx, m.accountId, { id: m.user.id, role: m.user.role }, id)
            : await setUserDisabled(
                ctx,
                m.accountId,
                { id: m.user.id, role: m.user.role },
                id,
                verb === 'disable',
              );
        return {
          redirect: '/console/settings#users',
          message: `${user.email} ${verb === 'remove' ? 'removed' : `${verb}d`}`,
          audit: { action: verb, resource: 'users', resourceId: id, changes: { email: user.email } },
        };
      },
      () => '/console/settings#users',
    );
  }
}
