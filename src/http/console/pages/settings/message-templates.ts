// Message templates: the subject and text of invoice emails, in an editor with a preview (the email as the
// customer would read it).
import type { FastifyReply } from 'fastify';
import { KeyLevel } from '../../../../api-keys/levels.ts';
import { diff } from '../../../../audit/record.ts';
import {
  createMessageTemplate,
  deleteMessageTemplate,
  updateMessageTemplate,
} from '../../../../delivery/manage-message-templates.ts';
import { previewMessage } from '../../../../delivery/preview.ts';
import { findMessageTemplate, type MessageTemplateRow } from '../../../../delivery-settings/settings-repo.ts';
import { PLACEHOLDERS, STANDARD_TEMPLATE } from '../../../../delivery-settings/templates.ts';
import { notFound } from '../../../../shared/errors.ts';
import { pathId } from '../../../kit/route-helpers.ts';
import type { ZodApp } from '../../../kit/app-type.ts';
import { formField, idParams, messagesQuery, namedForm, type PageMessages } from '../../../kit/form.ts';
import { actionButton, csrfField, errorBox, h, okBox, table } from '../../html.ts';
import type { ConsoleKit, Me } from '../../kit.ts';

/** The standard and the account's templates, each opening in the editor (read-only, as a preview, without `documents`). */
export function templatesSection(templates: MessageTemplateRow[], documents: boolean): string {
  return `<section class="card" id="templates"><h2>Message templates</h2><p class="muted">The subject and text of invoice emails; placeholders: ${PLACEHOLDERS.map((p) => `<code>{{${p}}}</code>`).join(' ')}</p>${table(
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
  )}${documents ? '<p><a class="button" href="/console/settings/templates/new">New message template</a></p>' : ''}</section>`;
}

export function templatePages(app: ZodApp, kit: ConsoleKit): void {
  const { ctx } = kit;

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
}
