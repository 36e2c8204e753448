// Users: invite by an emailed set-up link, change role, disable, enable, remove; only owners touch owners,
// and the account always keeps one enabled owner.
import { KeyLevel } from '../../../../api-keys/levels.ts';
import {
  changeUserRole,
  createConsoleUser,
  removeUser,
  setUserDisabled,
} from '../../../../console-users/manage-users.ts';
import type { ConsoleUserRow } from '../../../../console-users/repo.ts';
import { CONSOLE_ROLES, mayManageRole, ROLE_LABEL } from '../../../../console-users/roles.ts';
import { pathId } from '../../../kit/route-helpers.ts';
import type { ZodApp } from '../../../kit/app-type.ts';
import { actionButton, csrfField, h, table } from '../../html.ts';
import type { ConsoleKit, Me } from '../../kit.ts';

/** The account's console users; admins manage those their role may (never themselves) and invite. */
export function usersSection(m: Me, users: ConsoleUserRow[], admin: boolean): string {
  return `<section class="card" id="users"><h2>Users</h2>${table(
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
  }<p class="muted">${CONSOLE_ROLES.map((r) => `<strong>${h(ROLE_LABEL[r])}</strong>`).join(', ')}: viewers read; billing users add charges, customers and invoices, bill styles and message templates; admins also manage the account's details, webhooks, API keys and users; owners also manage other owners.</p></section>`;
}

export function userPages(app: ZodApp, kit: ConsoleKit): void {
  const { ctx } = kit;

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
