// Settings: the account (details printed on bills, the logo), API keys (a new key shown once, in the answer
// to the post that made it), and users (invite by an emailed set-up link, change role, disable, enable,
// remove; only owners touch owners, and the account always keeps one enabled owner).
import type { FastifyReply } from 'fastify';
import { createApiKey } from '../../../api-keys/create-key.ts';
import { KeyLevel } from '../../../api-keys/levels.ts';
import { listApiKeys } from '../../../api-keys/repo.ts';
import { revokeApiKey } from '../../../api-keys/revoke-key.ts';
import { updateAccount } from '../../../accounts/update-account.ts';
import { diff } from '../../../audit/record.ts';
import {
  changeUserRole,
  createConsoleUser,
  removeUser,
  setUserDisabled,
} from '../../../console-users/manage-users.ts';
import { listUsers } from '../../../console-users/repo.ts';
import { CONSOLE_ROLES, mayManageRole, ROLE_LABEL } from '../../../console-users/roles.ts';
import { LOGO_TYPES, MAX_LOGO_BYTES, removeAccountLogo, setAccountLogo } from '../../../accounts/set-logo.ts';
import { createBillStyle, deleteBillStyle } from '../../../delivery/manage-bill-styles.ts';
import {
  createMessageTemplate,
  deleteMessageTemplate,
  updateMessageTemplate,
} from '../../../delivery/manage-message-templates.ts';
import { previewBill, previewMessage } from '../../../delivery/preview.ts';
import { BUILT_IN_BILL_STYLES, resolveBillStyle } from '../../../delivery-settings/bill-styles.ts';
import {
  findMessageTemplate,
  listBillStyles,
  listMessageTemplates,
} from '../../../delivery-settings/settings-repo.ts';
import { PLACEHOLDERS, STANDARD_TEMPLATE } from '../../../delivery-settings/templates.ts';
import { DomainError, notFound } from '../../../shared/errors.ts';
import { secure } from '../../kit/page.ts';
import { pathId } from '../../kit/route-helpers.ts';
import type { ZodApp } from '../../kit/app-type.ts';
import {
  formField,
  idParams,
  messagesQuery,
  namedForm,
  pageQuery,
  type PageMessages,
} from '../../kit/form.ts';
import { actionButton, csrfField, errorBox, h, okBox, table } from '../html.ts';
import { withMessage, type ConsoleKit, type Me } from '../kit.ts';

function when(d: Date | null | undefined): string {
  return d ? d.toISOString().slice(0, 16).replace('T', ' ') : '';
}

export function settingsPages(app: ZodApp, kit: ConsoleKit): void {
  const { ctx } = kit;
  const BILL_STYLE_BASES = ['full', 'summary'] as const;

  const settingsPage = async (
    reply: FastifyReply,
    m: Me,
    q: PageMessages,
    shown?: { what: string; value: string },
  ) => {
    const a = m.account;
    const admin = kit.may(m, KeyLevel.expert);
    const keys = admin ? await listApiKeys(ctx.db, m.accountId) : [];
    const users = await listUsers(ctx.db, m.accountId);
    const styles = (await listBillStyles(ctx.db, m.accountId, { limit: 100 })).rows;
    const templates = (await listMessageTemplates(ctx.db, m.accountId, { limit: 100 })).rows;
    const off = admin ? '' : ' disabled';
    // Bill styles and message templates: the API's level for them (invoices), so billing users too.
    const documents = kit.may(m, KeyLevel.invoices);
    const field = (id: string, label: string, value: string | null | undefined, extra = '') =>
      `<div><label for="acc-${id}">${label}</label><input id="acc-${id}" name="${id}" value="${h(value ?? '')}" ${extra}${off}></div>`;
    const styleNames = [...BUILT_IN_BILL_STYLES.map((s) => s.name), ...styles.map((s) => s.name)];
    const styleRows: string[][] = [
      ...BUILT_IN_BILL_STYLES.map((s) => ({ ...s, id: undefined as number | undefined })),
      ...styles.map((s) => ({
        id: s.id,
        name: s.name,
        base: s.base,
        itemiseCalls: s.itemise_calls,
        showCallSummary: s.show_call_summary,
      })),
    ].map((s) => [
      `${h(s.name)}${s.id === undefined ? ' <span class="muted">built in</span>' : ''}${s.name.toLowerCase() === a.default_bill_style.toLowerCase() ? ' <span class="badge good">default</span>' : ''}`,
      s.base === 'full' ? 'Full' : 'Summary',
      s.itemiseCalls ? 'yes' : 'no',
      s.showCallSummary ? 'yes' : 'no',
      `<div class="actions"><a class="button secondary" href="/console/settings/bill-styles/preview?${new URLSearchParams({ style: s.name })}">Preview ${h(s.name)}</a>${
        documents && s.id !== undefined
          ? actionButton(`/console/settings/bill-styles/${s.id}/delete`, `Delete ${s.name}`, m.csrf, {
              danger: true,
            })
          : ''
      }</div>`,
    ]);
    return kit.page(reply, m, {
      title: 'Settings',
      page: 'settings',
      body: `<h1>Settings</h1>${errorBox(q.error)}${okBox(q.ok)}${shown ? `<div class="alert ok" role="status">${h(shown.what)}, shown this once: store it now.<div class="secret" data-field="secret">${h(shown.value)}</div></div>` : ''}
<nav class="subnav" aria-label="Settings sections"><a href="#account">Account</a> <a href="#logo">Logo</a> <a href="#bill-styles">Bill styles</a> <a href="#templates">Message templates</a>${admin ? ' <a href="#keys">API keys</a>' : ''} <a href="#users">Users</a></nav>
<section class="card" id="account"><h2>Account</h2><p class="muted">Printed at the top of every bill and used in emails.</p><form method="post" action="/console/settings/account">${csrfField(m.csrf)}<div class="filters">
${field('name', 'Name', a.name, 'required maxlength="200"')}${field('email', 'Email', a.email, 'type="email" maxlength="254"')}${field('phone', 'Phone', a.phone, 'maxlength="30"')}${field('emailFrom', 'Emails from', a.email_from, 'type="email" maxlength="254"')}
${field('vatNumber', 'VAT number', a.vat_number, 'maxlength="50"')}${field('companyNumber', 'Company number', a.company_number, 'maxlength="50"')}
${field('line1', 'Address line 1', a.address_line1, 'maxlength="200" autocomplete="address-line1"')}${field('line2', 'Address line 2', a.address_line2, 'maxlength="200" autocomplete="address-line2"')}${field('city', 'City', a.city, 'maxlength="100"')}${field('region', 'Region', a.region, 'maxlength="100"')}${field('postcode', 'Postcode', a.postcode, 'maxlength="20"')}${field('country', 'Country', a.country, 'maxlength="2" placeholder="GB"')}
${field('timezone', 'Time zone (IANA)', a.timezone, 'maxlength="64" placeholder="Europe/London"')}${field('currency', 'Currency', a.currency, 'maxlength="3" placeholder="GBP"')}
<div><label for="acc-defaultBillStyle">Default bill style</label><select id="acc-defaultBillStyle" name="defaultBillStyle"${off}>${styleNames.map((n) => `<option${n.toLowerCase() === a.default_bill_style.toLowerCase() ? ' selected' : ''}>${h(n)}</option>`).join('')}</select></div>
</div><label for="acc-paymentDetails">Payment details on bills</label><textarea id="acc-paymentDetails" name="paymentDetails" maxlength="500" rows="3"${off}>${h(a.payment_details ?? '')}</textarea>
${admin ? '<button type="submit">Save account</button>' : ''}</form></section>
<section class="card" id="logo"><h2>Logo</h2>${
        a.logo_content_type
          ? `<p><img class="logo" src="/console/settings/logo?v=${a.updated_at.getTime()}" alt="The logo printed on bills"></p>`
          : '<p class="muted empty">No logo yet: bills carry the account name alone.</p>'
      }${
        admin
          ? `<form method="post" action="/console/settings/logo" data-upload="logo-report" data-type="file">${csrfField(m.csrf)}<label for="logo-file">PNG or JPEG, at most 1 MB; printed at the top of every bill</label><input id="logo-file" name="file" type="file" accept="image/png,image/jpeg" required><progress max="100" value="0" hidden aria-label="Upload progress"></progress><button type="submit">Upload logo</button></form><div id="logo-report" tabindex="-1" aria-live="polite"></div>${a.logo_content_type ? actionButton('/console/settings/logo/remove', 'Remove logo', m.csrf, { danger: true }) : ''}`
          : ''
      }</section>
<section class="card" id="bill-styles"><h2>Bill styles</h2>${table(
        'Bill styles',
        [
          { title: 'Name' },
          { title: 'Based on' },
          { title: 'Every call listed' },
          { title: 'Call summary' },
          { title: '' },
        ],
        styleRows,
        'No bill styles.',
      )}${
        documents
          ? `<form method="post" action="/console/settings/bill-styles">${csrfField(m.csrf)}<h3>New bill style</h3><div class="filters"><div><label for="bs-name">Name</label><input id="bs-name" name="name" required maxlength="100"></div><div><label for="bs-base">Based on</label><select id="bs-base" name="base"><option value="full">Full: every line</option><option value="summary">Summary: totals, VAT and payment details</option></select></div></div>
<div class="checks"><label><input type="checkbox" name="itemiseCalls" value="1"> List every call</label> <label><input type="checkbox" name="showCallSummary" value="1" checked> Call summary by destination</label></div><button type="submit">Create bill style</button></form>`
          : ''
      }</section>
<section class="card" id="templates"><h2>Message templates</h2><p class="muted">The subject and text of invoice emails; placeholders: ${PLACEHOLDERS.map((p) => `<code>{{${p}}}</code>`).join(' ')}</p>${table(
        'Message templates',
        [{ title: 'Name' }, { title: 'Subject' }, { title: '' }],
        [
          [
            `${h(STANDARD_TEMPLATE.name)} <span class="muted">built in</span>`,
            h(STANDARD_TEMPLATE.subject),
            `<a class="button secondary" href="/console/settings/templates/standard">Preview ${h(STANDARD_TEMPLATE.name)}</a>`,
          ],
          ...templates.map((t) => [
            h(t.name),
            h(t.subject),
            `<a class="button secondary" href="/console/settings/templates/${t.id}">${documents ? 'Edit' : 'Preview'} ${h(t.name)}</a>`,
          ]),
        ],
        'No templates.',
      )}${documents ? '<p><a class="button" href="/console/settings/templates/new">New message template</a></p>' : ''}</section>
${
  admin
    ? `<section class="card" id="keys"><h2>API keys</h2>${table(
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
            ? `revoked ${h(when(k.revoked_at))}`
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
      }<p class="muted">${CONSOLE_ROLES.map((r) => `<strong>${h(ROLE_LABEL[r])}</strong>`).join(', ')}: viewers read; billing users add charges, customers and invoices, bill styles and message templates; admins also manage the account's details, webhooks, API keys and users; owners also manage other owners.</p></section>`,
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
        companyNumber: opt(b.companyNumber),
        address: {
          line1: opt(b.line1),
          line2: opt(b.line2),
          city: opt(b.city),
          region: opt(b.region),
          postcode: opt(b.postcode),
          country: opt(b.country),
        },
        timezone: String(b.timezone ?? before.timezone).trim(),
        currency: String(b.currency ?? before.currency).trim(),
        paymentDetails: opt(b.paymentDetails),
        emailFrom: opt(b.emailFrom),
        ...(b.defaultBillStyle ? { defaultBillStyle: b.defaultBillStyle } : {}),
      });
      const pick = (r: typeof after) => ({
        name: r.name,
        email: r.email,
        phone: r.phone,
        vatNumber: r.vat_number,
        companyNumber: r.company_number,
        address: [r.address_line1, r.address_line2, r.city, r.region, r.postcode, r.country]
          .filter(Boolean)
          .join(', '),
        timezone: r.timezone,
        currency: r.currency,
        paymentDetails: r.payment_details,
        emailFrom: r.email_from,
        defaultBillStyle: r.default_bill_style,
      });
      return {
        redirect: '/console/settings#account',
        message: 'Account saved',
        audit: {
          action: 'update',
          resource: 'account',
          resourceId: m.accountId,
          changes: diff(pick(before), pick(after)),
        },
      };
    },
    () => '/console/settings#account',
  );

  // ---- the logo: served to the page, uploaded by console.js as the raw image (its own content type)

  for (const type of LOGO_TYPES)
    app.addContentTypeParser(
      type,
      { parseAs: 'buffer', bodyLimit: MAX_LOGO_BYTES + 1024 },
      (_request, body, done) => done(null, body),
    );

  app.get('/console/settings/logo', { schema: { hide: true } }, async (request, reply) => {
    const m = await kit.me(request, reply);
    if (!m) return reply;
    if (!m.account.logo || !m.account.logo_content_type) throw notFound('Logo', m.accountId);
    return secure(reply)
      .header('cache-control', 'private, max-age=300')
      .type(m.account.logo_content_type)
      .send(Buffer.from(m.account.logo));
  });

  app.post('/console/settings/logo', { schema: { hide: true } }, async (request, reply) => {
    const m = await kit.me(request, reply);
    if (!m) return reply;
    kit.need(m, KeyLevel.expert);
    const fragment = !!request.headers['hx-request'];
    const content = Buffer.isBuffer(request.body) ? request.body : Buffer.alloc(0);
    try {
      if (content.length === 0)
        throw new DomainError('invalid_input', 'choose a PNG or JPEG file (the upload needs JavaScript)');
      const updated = await setAccountLogo(ctx, m.accountId, {
        contentType: request.headers['content-type'],
        content,
      });
      await kit.audit(m, request.ip, {
        action: 'update',
        resource: 'account',
        resourceId: m.accountId,
        changes: {
          logo: {
            from: m.account.logo_content_type,
            to: `${updated.logo_content_type} (${content.length} bytes)`,
          },
        },
      });
    } catch (error) {
      if (!(error instanceof DomainError) || error.code === 'forbidden') throw error;
      if (fragment) return reply.status(400).type('text/html; charset=utf-8').send(errorBox(error.message));
      return secure(reply).redirect(withMessage('/console/settings#logo', 'error', error.message), 303);
    }
    if (fragment)
      return secure(reply)
        .type('text/html; charset=utf-8')
        .send(
          `${okBox('Logo saved: bills printed from now on carry it')}<p><img class="logo" src="/console/settings/logo?v=${Date.now()}" alt="The logo printed on bills"></p>`,
        );
    return secure(reply).redirect(withMessage('/console/settings#logo', 'ok', 'Logo saved'), 303);
  });

  kit.action('/console/settings/logo/remove', KeyLevel.expert, async (m) => {
    await removeAccountLogo(ctx, m.accountId);
    return {
      redirect: '/console/settings#logo',
      message: 'Logo removed',
      audit: {
        action: 'update',
        resource: 'account',
        resourceId: m.accountId,
        changes: { logo: { from: m.account.logo_content_type, to: null } },
      },
    };
  });

  // ---- bill styles, with a preview: the PDF a customer would get in that style, with sample figures

  kit.action(
    '/console/settings/bill-styles',
    KeyLevel.invoices,
    async (m, b) => {
      const base = BILL_STYLE_BASES.find((x) => x === b.base) ?? 'full';
      const style = await createBillStyle(ctx, m.accountId, {
        name: String(b.name ?? ''),
        base,
        itemiseCalls: b.itemiseCalls === '1',
        showCallSummary: b.showCallSummary === '1',
      });
      return {
        redirect: '/console/settings#bill-styles',
        message: `Bill style ${style.name} created`,
        audit: {
          action: 'create',
          resource: 'billStyles',
          resourceId: style.id,
          changes: {
            name: style.name,
            base: style.base,
            itemiseCalls: style.itemise_calls,
            showCallSummary: style.show_call_summary,
          },
        },
      };
    },
    () => '/console/settings#bill-styles',
  );

  kit.action(
    '/console/settings/bill-styles/:id/delete',
    KeyLevel.invoices,
    async (m, _b, p) => {
      const id = pathId(p.id!, 'Bill style');
      await deleteBillStyle(ctx, m.accountId, id);
      return {
        redirect: '/console/settings#bill-styles',
        message: 'Bill style deleted',
        audit: { action: 'delete', resource: 'billStyles', resourceId: id },
      };
    },
    () => '/console/settings#bill-styles',
  );

  const PreviewQuery = pageQuery({ style: formField, download: formField });
  app.get(
    '/console/settings/bill-styles/preview',
    { schema: { hide: true, querystring: PreviewQuery } },
    async (request, reply) => {
      const m = await kit.me(request, reply);
      if (!m) return reply;
      const style = String(request.query.style ?? m.account.default_bill_style);
      const resolved = await resolveBillStyle(ctx.db, m.accountId, style, 'style').catch((e: unknown) => {
        if (e instanceof DomainError) throw notFound('Bill style', style);
        throw e;
      });
      const src = `/console/settings/bill-styles/preview.pdf?${new URLSearchParams({ style: resolved.name })}`;
      return kit.page(reply, m, {
        title: `Bill style ${resolved.name}`,
        page: 'settings',
        body: `<p><a href="/console/settings#bill-styles">Settings</a> › Bill styles</p><h1>Preview: ${h(resolved.name)}</h1><section class="card"><p class="muted">A sample invoice in this style, with your account's details and logo: the same renderer as the bills customers get.</p><p><a class="button secondary" href="${h(src)}&amp;download=1">Download the PDF</a></p><iframe class="pdf" title="Preview of bill style ${h(resolved.name)}" src="${h(src)}"></iframe></section>`,
      });
    },
  );

  app.get(
    '/console/settings/bill-styles/preview.pdf',
    { schema: { hide: true, querystring: PreviewQuery } },
    async (request, reply) => {
      const m = await kit.me(request, reply);
      if (!m) return reply;
      const q = request.query;
      const style = String(q.style ?? m.account.default_bill_style);
      const pdf = await previewBill(ctx.db, m.account, style, ctx.now()).catch((e: unknown) => {
        if (e instanceof DomainError && e.code === 'unknown_bill_style') throw notFound('Bill style', style);
        throw e;
      });
      return secure(reply)
        .header('x-frame-options', 'SAMEORIGIN')
        .header('content-security-policy', "default-src 'none'; frame-ancestors 'self'")
        .type('application/pdf')
        .header(
          'content-disposition',
          `${q.download === '1' ? 'attachment' : 'inline'}; filename="Preview-${style.replace(/[^\w.-]+/g, '-')}.pdf"`,
        )
        .send(pdf);
    },
  );

  // ---- message templates: an editor with a preview (the email as the customer would read it)

  const templatePage = (
    reply: FastifyReply,
    m: Me,
    t: { id: number | 'new' | 'standard'; name: string; subject: string; body: string },
    q: PageMessages,
    preview?: ReturnType<typeof previewMessage>,
    status = 200,
  ) => {
    const admin = kit.may(m, KeyLevel.invoices) && t.id !== 'standard';
    const shown = preview ?? previewMessage(m.account, t, ctx.now());
    const off = admin ? '' : ' readonly';
    const action = t.id === 'new' ? '/console/settings/templates' : `/console/settings/templates/${t.id}`;
    return kit.page(
      reply,
      m,
      {
        title: t.id === 'new' ? 'New message template' : `Message template ${t.name}`,
        page: 'settings',
        body: `<p><a href="/console/settings#templates">Settings</a> › Message templates</p><h1>${t.id === 'new' ? 'New message template' : h(t.name)}</h1>${errorBox(q.error)}${okBox(q.ok)}
<div class="grid"><section class="card"><h2>Template</h2><form method="post" action="${action}">${csrfField(m.csrf)}
<label for="t-name">Name</label><input id="t-name" name="name" required maxlength="100" value="${h(t.name)}"${off}>
<label for="t-subject">Subject</label><input id="t-subject" name="subject" required maxlength="200" value="${h(t.subject)}"${off}>
<label for="t-body">Text</label><textarea id="t-body" name="body" required maxlength="20000" rows="12"${off}>${h(t.body)}</textarea>
<p class="muted">Placeholders: ${PLACEHOLDERS.map((p) => `<code>{{${p}}}</code>`).join(' ')}</p>
<div class="actions"><button type="submit" class="secondary" formaction="/console/settings/templates/preview">Preview</button>${admin ? `<button type="submit">${t.id === 'new' ? 'Create template' : 'Save template'}</button>` : ''}</div>
<input type="hidden" name="id" value="${h(String(t.id))}"></form>${
          admin && typeof t.id === 'number'
            ? actionButton(`/console/settings/templates/${t.id}/delete`, `Delete ${t.name}`, m.csrf, {
                danger: true,
              })
            : ''
        }</section>
<section class="card" id="preview" aria-labelledby="preview-title"><h2 id="preview-title">Preview</h2><p class="muted">A sample invoice for a sample customer, filled in as the email is sent.</p>${
          shown.unknown.length
            ? `<div class="alert error" role="alert">Not placeholders (they would reach the customer as written): ${h(shown.unknown.join(', '))}</div>`
            : ''
        }<dl><dt>Subject</dt><dd data-field="preview-subject">${h(shown.subject)}</dd></dl><pre class="mail" data-field="preview-text">${h(shown.text)}</pre></section></div>`,
      },
      status,
    );
  };

  app.get(
    '/console/settings/templates/:id',
    { schema: { hide: true, params: idParams, querystring: messagesQuery } },
    async (request, reply) => {
      const m = await kit.me(request, reply);
      if (!m) return reply;
      const q = request.query;
      if (request.params.id === 'standard')
        return templatePage(reply, m, { id: 'standard', ...STANDARD_TEMPLATE }, q);
      if (request.params.id === 'new') {
        kit.need(m, KeyLevel.invoices);
        return templatePage(
          reply,
          m,
          { id: 'new', name: '', subject: STANDARD_TEMPLATE.subject, body: STANDARD_TEMPLATE.body },
          q,
        );
      }
      const id = pathId(request.params.id, 'Message template');
      const t = await findMessageTemplate(ctx.db, m.accountId, id);
      if (!t) throw notFound('Message template', id);
      return templatePage(reply, m, { id, name: t.name, subject: t.subject, body: t.body }, q);
    },
  );

  // The preview posts the form as it stands (nothing is saved) and answers the editor with the preview.
  const TemplateForm = namedForm({ id: formField, name: formField, subject: formField, body: formField });
  app.post(
    '/console/settings/templates/preview',
    { schema: { hide: true, body: TemplateForm } },
    async (request, reply) => {
      const m = await kit.me(request, reply);
      if (!m) return reply;
      const b = request.body;
      const rawId = String(b.id ?? 'new');
      const id: number | 'new' | 'standard' =
        rawId === 'standard' ? 'standard' : /^\d{1,15}$/.test(rawId) ? Number(rawId) : 'new';
      if (typeof id === 'number' && !(await findMessageTemplate(ctx.db, m.accountId, id)))
        throw notFound('Message template', id);
      const t = {
        id,
        name: String(b.name ?? '').slice(0, 100),
        subject: String(b.subject ?? '').slice(0, 200),
        body: String(b.body ?? '').slice(0, 20_000),
      };
      return templatePage(reply, m, t, {}, previewMessage(m.account, t, ctx.now()));
    },
  );

  const templateInput = (b: Record<string, string>) => ({
    name: String(b.name ?? ''),
    subject: String(b.subject ?? ''),
    body: String(b.body ?? ''),
  });

  kit.action(
    '/console/settings/templates',
    KeyLevel.invoices,
    async (m, b) => {
      const t = await createMessageTemplate(ctx, m.accountId, templateInput(b));
      return {
        redirect: `/console/settings/templates/${t.id}`,
        message: `Message template ${t.name} created`,
        audit: {
          action: 'create',
          resource: 'messageTemplates',
          resourceId: t.id,
          changes: { name: t.name, subject: t.subject },
        },
      };
    },
    () => '/console/settings/templates/new',
  );

  kit.action(
    '/console/settings/templates/:id',
    KeyLevel.invoices,
    async (m, b, p) => {
      const id = pathId(p.id!, 'Message template');
      const before = await findMessageTemplate(ctx.db, m.accountId, id);
      if (!before) throw notFound('Message template', id);
      const after = await updateMessageTemplate(ctx, m.accountId, id, templateInput(b));
      const pick = (t: typeof after) => ({ name: t.name, subject: t.subject, body: t.body });
      return {
        redirect: `/console/settings/templates/${id}`,
        message: 'Message template saved',
        audit: {
          action: 'update',
          resource: 'messageTemplates',
          resourceId: id,
          changes: diff(pick(before), pick(after)),
        },
      };
    },
    (p) => `/console/settings/templates/${p.id}`,
  );

  kit.action(
    '/console/settings/templates/:id/delete',
    KeyLevel.invoices,
    async (m, _b, p) => {
      const id = pathId(p.id!, 'Message template');
      await deleteMessageTemplate(ctx, m.accountId, id);
      return {
        redirect: '/console/settings#templates',
        message: 'Message template deleted',
        audit: { action: 'delete', resource: 'messageTemplates', resourceId: id },
      };
    },
    (p) => `/console/settings/templates/${p.id}`,
  );

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
