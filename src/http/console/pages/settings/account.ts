// The account: the details printed on bills (and the default bill style), and the logo, served to the page
// and uploaded by console.js as the raw image.
import { KeyLevel } from '../../../../api-keys/levels.ts';
import { updateAccount } from '../../../../accounts/update-account.ts';
import {
  LOGO_TYPES,
  MAX_LOGO_BYTES,
  removeAccountLogo,
  setAccountLogo,
} from '../../../../accounts/set-logo.ts';
import { diff } from '../../../../audit/record.ts';
import { DomainError, notFound } from '../../../../shared/errors.ts';
import { secure } from '../../../kit/page.ts';
import type { ZodApp } from '../../../kit/app-type.ts';
import { actionButton, csrfField, errorBox, h, okBox } from '../../html.ts';
import { withMessage, type ConsoleKit, type Me } from '../../kit.ts';

/** The account's details as a form (read-only below admin); `styleNames` fills the default bill style. */
export function accountSection(m: Me, admin: boolean, styleNames: string[]): string {
  const a = m.account;
  const off = admin ? '' : ' disabled';
  const field = (id: string, label: string, value: string | null | undefined, extra = '') =>
    `<div><label for="acc-${id}">${label}</label><input id="acc-${id}" name="${id}" value="${h(value ?? '')}" ${extra}${off}></div>`;
  return `<section class="card" id="account"><h2>Account</h2><p class="muted">Printed at the top of every bill and used in emails.</p><form method="post" action="/console/settings/account">${csrfField(m.csrf)}<div class="filters">
${field('name', 'Name', a.name, 'required maxlength="200"')}${field('email', 'Email', a.email, 'type="email" maxlength="254"')}${field('phone', 'Phone', a.phone, 'maxlength="30"')}${field('emailFrom', 'Emails from', a.email_from, 'type="email" maxlength="254"')}
${field('vatNumber', 'VAT number', a.vat_number, 'maxlength="50"')}${field('companyNumber', 'Company number', a.company_number, 'maxlength="50"')}
${field('line1', 'Address line 1', a.address_line1, 'maxlength="200" autocomplete="address-line1"')}${field('line2', 'Address line 2', a.address_line2, 'maxlength="200" autocomplete="address-line2"')}${field('city', 'City', a.city, 'maxlength="100"')}${field('region', 'Region', a.region, 'maxlength="100"')}${field('postcode', 'Postcode', a.postcode, 'maxlength="20"')}${field('country', 'Country', a.country, 'maxlength="2" placeholder="GB"')}
${field('timezone', 'Time zone (IANA)', a.timezone, 'maxlength="64" placeholder="Europe/London"')}${field('currency', 'Currency', a.currency, 'maxlength="3" placeholder="GBP"')}
<div><label for="acc-defaultBillStyle">Default bill style</label><select id="acc-defaultBillStyle" name="defaultBillStyle"${off}>${styleNames.map((n) => `<option${n.toLowerCase() === a.default_bill_style.toLowerCase() ? ' selected' : ''}>${h(n)}</option>`).join('')}</select></div>
</div><label for="acc-paymentDetails">Payment details on bills</label><textarea id="acc-paymentDetails" name="paymentDetails" maxlength="500" rows="3"${off}>${h(a.payment_details ?? '')}</textarea>
${admin ? '<button type="submit">Save account</button>' : ''}</form></section>`;
}

/** The logo printed on bills, with the upload form for admins. */
export function logoSection(m: Me, admin: boolean): string {
  const a = m.account;
  return `<section class="card" id="logo"><h2>Logo</h2>${
    a.logo_content_type
      ? `<p><img class="logo" src="/console/settings/logo?v=${a.updated_at.getTime()}" alt="The logo printed on bills"></p>`
      : '<p class="muted empty">No logo yet: bills carry the account name alone.</p>'
  }${
    admin
      ? `<form method="post" action="/console/settings/logo" data-upload="logo-report" data-type="file">${csrfField(m.csrf)}<label for="logo-file">PNG or JPEG, at most 1 MB; printed at the top of every bill</label><input id="logo-file" name="file" type="file" accept="image/png,image/jpeg" required><progress max="100" value="0" hidden aria-label="Upload progress"></progress><button type="submit">Upload logo</button></form><div id="logo-report" tabindex="-1" aria-live="polite"></div>${a.logo_content_type ? actionButton('/console/settings/logo/remove', 'Remove logo', m.csrf, { danger: true }) : ''}`
      : ''
  }</section>`;
}

export function accountPages(app: ZodApp, kit: ConsoleKit): void {
  const { ctx } = kit;

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
}
