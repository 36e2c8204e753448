// Bill styles, with a preview: the PDF a customer would get in that style, with sample figures.
import { KeyLevel } from '../../../../api-keys/levels.ts';
import { createBillStyle, deleteBillStyle } from '../../../../delivery/manage-bill-styles.ts';
import { previewBill } from '../../../../delivery/preview.ts';
import { BUILT_IN_BILL_STYLES, resolveBillStyle } from '../../../../delivery-settings/bill-styles.ts';
import type { BillStyleRow } from '../../../../delivery-settings/settings-repo.ts';
import { DomainError, notFound } from '../../../../shared/errors.ts';
import { secure } from '../../../kit/page.ts';
import { pathId } from '../../../kit/route-helpers.ts';
import type { ZodApp } from '../../../kit/app-type.ts';
import { formField, pageQuery } from '../../../kit/form.ts';
import { actionButton, csrfField, h, table } from '../../html.ts';
import type { ConsoleKit, Me } from '../../kit.ts';

const BILL_STYLE_BASES = ['full', 'summary'] as const;

/** The built-in and the account's bill styles, each with its preview; the new style form at `documents`. */
export function billStylesSection(m: Me, styles: BillStyleRow[], documents: boolean): string {
  const a = m.account;
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
  return `<section class="card" id="bill-styles"><h2>Bill styles</h2>${table(
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
  }</section>`;
}

export function billStylePages(app: ZodApp, kit: ConsoleKit): void {
  const { ctx } = kit;

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
}
