// Alerts and contacts: alert thresholds, the automatic top-up, and who may sign in.
import type { AlertKind } from '../../../alerts/repo.ts';
import type { PortalSessionRow } from '../../../portal/repo.ts';
import {
  portalAddAlert,
  portalAddContact,
  portalAlerts,
  portalBalance,
  portalContacts,
  portalRemoveAlert,
  portalRemoveContact,
  portalSetAutoTopUp,
} from '../../../portal/customer-data.ts';
import { DomainError } from '../../../shared/errors.ts';
import { formatAmount, money as toMoney } from '../../../money/money.ts';
import { roundForDisplay } from '../../../money/rounding.ts';
import { secure } from '../../kit/page.ts';
import type { ZodApp } from '../../kit/app-type.ts';
import { formBody, messagesQuery, pathParams } from '../../kit/form.ts';
import { csrfField, errorBox, h, layout, table } from '../html.ts';
import { fmt, sendPage, type PortalKit } from '../kit.ts';

export function settingsPages(app: ZodApp, kit: PortalKit): void {
  const { ctx, requireSession, frame } = kit;

  app.get(
    '/portal/settings',
    { schema: { hide: true, querystring: messagesQuery } },
    async (request, reply) => {
      const session = await requireSession(request, reply);
      if (!session) return reply;
      const f = await frame(session, 'settings', 'Alerts and contacts');
      const alerts = await portalAlerts(ctx, session);
      const contacts = await portalContacts(ctx, session);
      const balance = await portalBalance(ctx, session);
      const q = request.query;
      const ALERT_LABEL: Record<string, string> = {
        low_balance: 'Available balance below',
        spend_daily: 'Spend in a day reaches',
        spend_monthly: 'Spend in a month reaches',
        credit_used: 'Credit used reaches (%)',
      };
      return sendPage(reply, 200, (nonce) =>
        layout({
          ...f,
          nonce,
          body: `<h1>Alerts and contacts</h1>${errorBox(q.error)}
<section class="card"><h2>Alerts</h2><p class="muted">We email you when one is reached (once each time).</p>${table(
            'Your alerts',
            [{ title: 'When' }, { title: 'Threshold', amount: true }, { title: '' }],
            alerts.map((a) => [
              h(ALERT_LABEL[a.kind]),
              h(
                a.kind === 'credit_used'
                  ? `${toMoney(a.threshold).toFixed()}%`
                  : fmt(a.threshold, f.currency),
              ),
              `<form method="post" action="/portal/alerts/${a.id}/delete">${csrfField(f.csrf)}<button type="submit" class="link">Remove<span class="muted"> alert ${a.id}</span></button></form>`,
            ]),
            'No alerts yet.',
          )}
<form method="post" action="/portal/alerts">${csrfField(f.csrf)}<label for="type">Alert me when</label><select id="type" name="type">${Object.entries(
            ALERT_LABEL,
          )
            .map(([k, v]) => `<option value="${k}">${h(v)}</option>`)
            .join('')}</select>
<label for="threshold">Threshold</label><input id="threshold" name="threshold" inputmode="decimal" required maxlength="12" placeholder="5.00"><button type="submit">Add alert</button></form></section>
${balance.customer.billing_mode === 'prepaid' ? autoTopUpSection(balance, f.csrf, f.currency) : ''}
<section class="card"><h2>Who may sign in</h2>${table(
            'Contacts who may sign in',
            [{ title: 'Email' }, { title: '' }],
            contacts.map((c) => [
              h(c.email),
              `<form method="post" action="/portal/contacts/${c.id}/delete">${csrfField(f.csrf)}<button type="submit" class="link">Remove<span class="muted"> ${h(c.email)}</span></button></form>`,
            ]),
            'Only the addresses on your account may sign in.',
          )}
<form method="post" action="/portal/contacts">${csrfField(f.csrf)}<label for="email">Add an email address</label><input id="email" name="email" type="email" required maxlength="254"><button type="submit">Add</button></form></section>`,
        }),
      );
    },
  );

  /** The automatic top-up: the card saved when paying a top-up, the threshold and the amount. */
  const autoTopUpSection = (b: Awaited<ReturnType<typeof portalBalance>>, csrf: string, currency: string) => {
    const row = b.row;
    const last4 = row?.auto_top_up_card_last4 ?? null;
    const card = row?.auto_top_up_card_token
      ? `<p data-field="autoTopUpCard">Your saved card${last4 ? ` ending ${h(last4)}` : ''} is charged when your balance falls below the threshold.</p>`
      : `<p data-field="autoTopUpCard">No card saved yet: <a href="/portal#top-up">top up by card</a> and tick “Save this card for automatic top-ups”.</p>`;
    const value = (v: string | null | undefined) =>
      v == null ? '' : h(formatAmount(roundForDisplay(toMoney(v), 2), 2));
    return `<section class="card" id="auto-top-up"><h2>Automatic top-up</h2>${card}
<form method="post" action="/portal/auto-top-up">${csrfField(csrf)}<label for="auto-threshold">When my balance falls below (${h(currency)})</label><input id="auto-threshold" name="threshold" inputmode="decimal" required maxlength="12" placeholder="5.00" value="${value(row?.auto_top_up_threshold)}">
<label for="auto-amount">Top up by (${h(currency)})</label><input id="auto-amount" name="amount" inputmode="decimal" required maxlength="12" placeholder="20.00" value="${value(row?.auto_top_up_amount)}">
<label class="choice"><input type="checkbox" name="enabled" value="true"${row?.auto_top_up_enabled ? ' checked' : ''}> Top up automatically</label><button type="submit">Save</button></form></section>`;
  };

  const settingsAction = (
    path: string,
    act: (
      session: PortalSessionRow,
      body: Record<string, string>,
      params: Record<string, string>,
    ) => Promise<unknown>,
  ) =>
    app.post(path, { schema: { hide: true, params: pathParams, body: formBody } }, async (request, reply) => {
      const session = await requireSession(request, reply);
      if (!session) return reply;
      try {
        await act(session, request.body, request.params);
      } catch (error) {
        if (!(error instanceof DomainError) || error.code === 'not_found') throw error;
        return secure(reply).redirect(`/portal/settings?error=${encodeURIComponent(error.message)}`, 303);
      }
      return secure(reply).redirect('/portal/settings', 303);
    });
  const idOf = (v: string | undefined) => (/^\d{1,15}$/.test(v ?? '') ? Number(v) : 0);
  settingsAction('/portal/alerts', (s, b) =>
    portalAddAlert(ctx, s, {
      type: String(b.type ?? '') as AlertKind,
      threshold: String(b.threshold ?? '').trim(),
      channels: ['email'],
    }),
  );
  settingsAction('/portal/alerts/:id/delete', (s, _b, p) => portalRemoveAlert(ctx, s, idOf(p.id)));
  settingsAction('/portal/contacts', (s, b) => portalAddContact(ctx, s, String(b.email ?? '')));
  settingsAction('/portal/contacts/:id/delete', (s, _b, p) => portalRemoveContact(ctx, s, idOf(p.id)));
  settingsAction('/portal/auto-top-up', (s, b) =>
    portalSetAutoTopUp(ctx, s, {
      enabled: b.enabled === 'true' || b.enabled === 'on',
      threshold: String(b.threshold ?? '').trim(),
      amount: String(b.amount ?? '').trim(),
    }),
  );
}
