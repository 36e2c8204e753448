// What an account keeps for delivering invoices: its logo, named bill styles, message templates,
// attachments and usage report profiles (the names the `email` action takes). Reading needs any key;
// changing needs level 4 (invoices), the logo level 5 (account settings).
import { z } from 'zod';
import { KeyLevel } from '../../../api-keys/levels.ts';
import { MAX_LOGO_BYTES, removeAccountLogo, setAccountLogo } from '../../../accounts/set-logo.ts';
import type { Ctx } from '../../../context.ts';
import { BUILT_IN_BILL_STYLES } from '../../../delivery-settings/bill-styles.ts';
import {
  createAttachment,
  deleteAttachment,
  MAX_ATTACHMENT_BYTES,
  replaceAttachment,
} from '../../../delivery/manage-attachments.ts';
import { createBillStyle, deleteBillStyle, updateBillStyle } from '../../../delivery/manage-bill-styles.ts';
import {
  createMessageTemplate,
  deleteMessageTemplate,
  updateMessageTemplate,
} from '../../../delivery/manage-message-templates.ts';
import {
  createUsageReportProfile,
  deleteUsageReportProfile,
  updateUsageReportProfile,
} from '../../../delivery/manage-usage-report-profiles.ts';
import {
  attachmentContent,
  findAttachment,
  findBillStyle,
  findMessageTemplate,
  findUsageReportProfile,
  listAttachments,
  listBillStyles,
  listMessageTemplates,
  listUsageReportProfiles,
} from '../../../delivery-settings/settings-repo.ts';
import { PLACEHOLDERS, STANDARD_TEMPLATE } from '../../../delivery-settings/templates.ts';
import { BUILT_IN_USAGE_REPORTS } from '../../../delivery-settings/usage-reports.ts';
import { DomainError, notFound } from '../../../shared/errors.ts';
import { principalOf } from '../../auth.ts';
import { loadAccount, type ZodApp } from '../../kit/app-type.ts';
import { pathId, sendPage } from '../../kit/route-helpers.ts';
import { deletedBody, errorBody, idParams, pageQuery } from '../schemas.ts';
import {
  attachmentView,
  billStyleView,
  messageTemplateView,
  toAttachmentView,
  toBillStyleView,
  toBuiltInBillStyleView,
  toBuiltInTemplateView,
  toBuiltInUsageReportView,
  toMessageTemplateView,
  toUsageReportProfileView,
  USAGE_KIND_FROM_WIRE,
  usageReportProfileView,
} from '../views/delivery.ts';
import { accountView, toAccountView } from '../../kit/views/accounts.ts';

const name = z.string().max(200);
const fileBody = z.any().meta({ type: 'string', format: 'binary' });
const KIB = 1024;

function bufferBody(body: unknown): Buffer {
  if (body === undefined) return Buffer.alloc(0);
  if (!Buffer.isBuffer(body)) throw new DomainError('malformed_request', 'the body must be the file itself');
  return body;
}

/** Built-in entries are listed first, on the first page only (they have no id to page by). */
function withBuiltIns<T>(after: number | undefined, builtIns: T[], rows: T[]): T[] {
  return after === undefined ? [...builtIns, ...rows] : rows;
}

export function deliverySettingsRoutes(app: ZodApp, ctx: Ctx): void {
  // ---- the logo: raw image bodies, in a scope of their own so that the rest of the API stays JSON
  void app.register(async (files: ZodApp) => {
    files.removeAllContentTypeParsers();
    files.addContentTypeParser('*', { parseAs: 'buffer' }, (_request, body, done) => done(null, body));

    files.put(
      '/account/logo',
      {
        bodyLimit: MAX_LOGO_BYTES,
        config: { level: KeyLevel.expert },
        schema: {
          tags: ['Account'],
          operationId: 'uploadAccountLogo',
          summary: 'Upload the logo printed on bills',
          description: `The body is the image itself, PNG or JPEG (Content-Type image/png or image/jpeg), at most ${MAX_LOGO_BYTES / KIB} KB. Replaces any earlier logo. Bills already rendered keep the old one until \`recreate\`.`,
          consumes: ['image/png', 'image/jpeg'],
          body: fileBody,
          response: { 200: accountView, 400: errorBody, 413: errorBody, 415: errorBody },
        },
      },
      async (request) =>
        toAccountView(
          await setAccountLogo(ctx, principalOf(request).accountId, {
            contentType: request.headers['content-type'],
            content: bufferBody(request.body),
          }),
        ),
    );

    files.post(
      '/attachments',
      {
        bodyLimit: MAX_ATTACHMENT_BYTES,
        config: { level: KeyLevel.invoices },
        schema: {
          tags: ['Delivery settings'],
          operationId: 'uploadAttachment',
          summary: 'Upload a named attachment',
          description: `A document the email action can attach by name (terms and conditions, a price list…). The body is the file itself with its Content-Type, at most ${MAX_ATTACHMENT_BYTES / KIB / KIB} MB. \`name\` is required and unique in the account (409 if taken); \`filename\` is what the recipient sees (default: the name with an extension for the type).`,
          consumes: ['*/*'],
          querystring: z.object({ name: name.optional(), filename: z.string().max(200).optional() }),
          body: fileBody,
          response: { 201: attachmentView, 400: errorBody, 409: errorBody, 413: errorBody },
        },
      },
      async (request, reply) => {
        const created = await createAttachment(ctx, principalOf(request).accountId, {
          name: request.query.name,
          filename: request.query.filename,
          contentType: request.headers['content-type'] ?? '',
          content: bufferBody(request.body),
        });
        return reply.status(201).send(toAttachmentView(created));
      },
    );

    files.put(
      '/attachments/:id',
      {
        bodyLimit: MAX_ATTACHMENT_BYTES,
        config: { level: KeyLevel.invoices },
        schema: {
          tags: ['Delivery settings'],
          operationId: 'replaceAttachment',
          summary: "Replace an attachment's file",
          description:
            'The body is the new file with its Content-Type; `name` and `filename` change them too when given.',
          consumes: ['*/*'],
          params: idParams,
          querystring: z.object({ name: name.optional(), filename: z.string().max(200).optional() }),
          body: fileBody,
          response: { 200: attachmentView, 400: errorBody, 404: errorBody, 409: errorBody, 413: errorBody },
        },
      },
      async (request) =>
        toAttachmentView(
          await replaceAttachment(
            ctx,
            principalOf(request).accountId,
            pathId(request.params.id, 'Attachment'),
            {
              name: request.query.name,
              filename: request.query.filename,
              contentType: request.headers['content-type'] ?? '',
              content: bufferBody(request.body),
            },
          ),
        ),
    );
  });

  app.get(
    '/account/logo',
    {
      schema: {
        tags: ['Account'],
        operationId: 'getAccountLogo',
        summary: 'The logo printed on bills (the image)',
        response: { 200: fileBody, 404: errorBody },
      },
    },
    async (request, reply) => {
      const account = await loadAccount(ctx, principalOf(request).accountId);
      if (!account.logo || !account.logo_content_type)
        throw new DomainError('not_found', 'the account has no logo');
      return reply
        .type(account.logo_content_type)
        .header('cache-control', 'no-store')
        .send(Buffer.from(account.logo));
    },
  );

  app.delete(
    '/account/logo',
    {
      config: { level: KeyLevel.expert },
      schema: {
        tags: ['Account'],
        operationId: 'deleteAccountLogo',
        summary: 'Remove the logo',
        response: { 200: accountView },
      },
    },
    async (request) => toAccountView(await removeAccountLogo(ctx, principalOf(request).accountId)),
  );

  // ---- attachments (reading and deleting; uploads above)
  const attachmentTags = ['Delivery settings'];
  app.get(
    '/attachments',
    {
      schema: {
        tags: attachmentTags,
        operationId: 'listAttachments',
        summary: "The account's attachments",
        querystring: z.object(pageQuery),
        response: { 200: z.array(attachmentView) },
      },
    },
    async (request, reply) =>
      sendPage(
        request,
        reply,
        await listAttachments(ctx.db, principalOf(request).accountId, request.query),
        toAttachmentView,
      ),
  );
  app.get(
    '/attachments/:id',
    {
      schema: {
        tags: attachmentTags,
        operationId: 'getAttachment',
        summary: 'An attachment',
        params: idParams,
        response: { 200: attachmentView, 404: errorBody },
      },
    },
    async (request) => {
      const id = pathId(request.params.id, 'Attachment');
      const found = await findAttachment(ctx.db, principalOf(request).accountId, id);
      if (!found) throw notFound('Attachment', id);
      return toAttachmentView(found);
    },
  );
  app.get(
    '/attachments/:id/content',
    {
      schema: {
        tags: attachmentTags,
        operationId: 'getAttachmentContent',
        summary: "An attachment's file",
        params: idParams,
        response: { 200: fileBody, 404: errorBody },
      },
    },
    async (request, reply) => {
      const id = pathId(request.params.id, 'Attachment');
      const file = await attachmentContent(ctx.db, principalOf(request).accountId, id);
      if (!file) throw notFound('Attachment', id);
      return reply
        .type(file.content_type)
        .header(
          'content-disposition',
          `attachment; filename="${file.filename.replace(/[^\x20-\x7e]/g, '_')}"`,
        )
        .send(file.content);
    },
  );
  app.delete(
    '/attachments/:id',
    {
      config: { level: KeyLevel.invoices },
      schema: {
        tags: attachmentTags,
        operationId: 'deleteAttachment',
        summary: 'Delete an attachment',
        params: idParams,
        response: { 200: deletedBody, 404: errorBody },
      },
    },
    async (request) => {
      const id = pathId(request.params.id, 'Attachment');
      await deleteAttachment(ctx, principalOf(request).accountId, id);
      return { success: true as const, message: `Attachment ${id} deleted` };
    },
  );

  // ---- bill styles
  const styleTags = ['Delivery settings'];
  const styleFields = {
    base: z.enum(['full', 'summary']).optional().meta({
      description:
        'full (default): summary, charges, VAT by rate, call summary; summary: totals, VAT and payment details',
    }),
    itemiseCalls: z
      .boolean()
      .optional()
      .meta({ description: 'List every call (full styles; default false)' }),
    showCallSummary: z
      .boolean()
      .optional()
      .meta({ description: 'Show calls by destination (full styles; default true)' }),
  };
  app.get(
    '/billStyles',
    {
      schema: {
        tags: styleTags,
        operationId: 'listBillStyles',
        summary: 'Bill styles: the built-in Full, Itemised and Summary, then your own',
        querystring: z.object(pageQuery),
        response: { 200: z.array(billStyleView) },
      },
    },
    async (request, reply) => {
      const page = await listBillStyles(ctx.db, principalOf(request).accountId, request.query);
      const views = sendPage(request, reply, page, toBillStyleView);
      return withBuiltIns(request.query.after, BUILT_IN_BILL_STYLES.map(toBuiltInBillStyleView), views);
    },
  );
  app.post(
    '/billStyles',
    {
      config: { level: KeyLevel.invoices },
      schema: {
        tags: styleTags,
        operationId: 'createBillStyle',
        summary: 'Add a named bill style',
        description:
          'Names are unique in the account without regard to case, and cannot be a built-in name (409).',
        body: z.object({ name, ...styleFields }).strict(),
        response: { 201: billStyleView, 400: errorBody, 409: errorBody },
      },
    },
    async (request, reply) =>
      reply
        .status(201)
        .send(toBillStyleView(await createBillStyle(ctx, principalOf(request).accountId, request.body))),
  );
  app.get(
    '/billStyles/:id',
    {
      schema: {
        tags: styleTags,
        operationId: 'getBillStyle',
        summary: 'A bill style',
        params: idParams,
        response: { 200: billStyleView, 404: errorBody },
      },
    },
    async (request) => {
      const id = pathId(request.params.id, 'Bill style');
      const style = await findBillStyle(ctx.db, principalOf(request).accountId, id);
      if (!style) throw notFound('Bill style', id);
      return toBillStyleView(style);
    },
  );
  app.patch(
    '/billStyles/:id',
    {
      config: { level: KeyLevel.invoices },
      schema: {
        tags: styleTags,
        operationId: 'updateBillStyle',
        summary: 'Change a bill style',
        description: 'Kept bills are not re-rendered: use the recreate action on an invoice for that.',
        params: idParams,
        body: z.object({ name: name.optional(), ...styleFields }).strict(),
        response: { 200: billStyleView, 400: errorBody, 404: errorBody, 409: errorBody },
      },
    },
    async (request) =>
      toBillStyleView(
        await updateBillStyle(
          ctx,
          principalOf(request).accountId,
          pathId(request.params.id, 'Bill style'),
          request.body,
        ),
      ),
  );
  app.delete(
    '/billStyles/:id',
    {
      config: { level: KeyLevel.invoices },
      schema: {
        tags: styleTags,
        operationId: 'deleteBillStyle',
        summary: 'Delete a bill style',
        description: "The account's defaultBillStyle cannot be deleted (409).",
        params: idParams,
        response: { 200: deletedBody, 404: errorBody, 409: errorBody },
      },
    },
    async (request) => {
      const id = pathId(request.params.id, 'Bill style');
      await deleteBillStyle(ctx, principalOf(request).accountId, id);
      return { success: true as const, message: `Bill style ${id} deleted` };
    },
  );

  // ---- message templates
  const templateTags = ['Delivery settings'];
  const placeholderText = `Placeholders: ${PLACEHOLDERS.map((p) => `{{${p}}}`).join(', ')}; any other {{…}} is refused (400001).`;
  app.get(
    '/messageTemplates',
    {
      schema: {
        tags: templateTags,
        operationId: 'listMessageTemplates',
        summary: 'Email message templates: the built-in Standard, then your own',
        querystring: z.object(pageQuery),
        response: { 200: z.array(messageTemplateView) },
      },
    },
    async (request, reply) => {
      const page = await listMessageTemplates(ctx.db, principalOf(request).accountId, request.query);
      return withBuiltIns(
        request.query.after,
        [toBuiltInTemplateView(STANDARD_TEMPLATE)],
        sendPage(request, reply, page, toMessageTemplateView),
      );
    },
  );
  app.post(
    '/messageTemplates',
    {
      config: { level: KeyLevel.invoices },
      schema: {
        tags: templateTags,
        operationId: 'createMessageTemplate',
        summary: 'Add a named email message',
        description: `The email action's \`message\` parameter picks it by name. ${placeholderText}`,
        body: z.object({ name, subject: z.string().max(1000), body: z.string().max(50_000) }).strict(),
        response: { 201: messageTemplateView, 400: errorBody, 409: errorBody },
      },
    },
    async (request, reply) =>
      reply
        .status(201)
        .send(
          toMessageTemplateView(
            await createMessageTemplate(ctx, principalOf(request).accountId, request.body),
          ),
        ),
  );
  app.get(
    '/messageTemplates/:id',
    {
      schema: {
        tags: templateTags,
        operationId: 'getMessageTemplate',
        summary: 'A message template',
        params: idParams,
        response: { 200: messageTemplateView, 404: errorBody },
      },
    },
    async (request) => {
      const id = pathId(request.params.id, 'Message template');
      const template = await findMessageTemplate(ctx.db, principalOf(request).accountId, id);
      if (!template) throw notFound('Message template', id);
      return toMessageTemplateView(template);
    },
  );
  app.patch(
    '/messageTemplates/:id',
    {
      config: { level: KeyLevel.invoices },
      schema: {
        tags: templateTags,
        operationId: 'updateMessageTemplate',
        summary: 'Change a message template',
        description: placeholderText,
        params: idParams,
        body: z
          .object({
            name: name.optional(),
            subject: z.string().max(1000).optional(),
            body: z.string().max(50_000).optional(),
          })
          .strict(),
        response: { 200: messageTemplateView, 400: errorBody, 404: errorBody, 409: errorBody },
      },
    },
    async (request) =>
      toMessageTemplateView(
        await updateMessageTemplate(
          ctx,
          principalOf(request).accountId,
          pathId(request.params.id, 'Message template'),
          request.body,
        ),
      ),
  );
  app.delete(
    '/messageTemplates/:id',
    {
      config: { level: KeyLevel.invoices },
      schema: {
        tags: templateTags,
        operationId: 'deleteMessageTemplate',
        summary: 'Delete a message template',
        params: idParams,
        response: { 200: deletedBody, 404: errorBody },
      },
    },
    async (request) => {
      const id = pathId(request.params.id, 'Message template');
      await deleteMessageTemplate(ctx, principalOf(request).accountId, id);
      return { success: true as const, message: `Message template ${id} deleted` };
    },
  );

  // ---- usage report profiles
  const profileTags = ['Delivery settings'];
  const kind = z
    .enum(['callsByFeature', 'callDetail'])
    .meta({ description: 'callsByFeature: a CSV line per feature; callDetail: a CSV line per call' });
  app.get(
    '/usageReportProfiles',
    {
      schema: {
        tags: profileTags,
        operationId: 'listUsageReportProfiles',
        summary: 'Usage report profiles: the built-in CallsByFeature and CallDetail, then your own',
        querystring: z.object(pageQuery),
        response: { 200: z.array(usageReportProfileView) },
      },
    },
    async (request, reply) => {
      const page = await listUsageReportProfiles(ctx.db, principalOf(request).accountId, request.query);
      return withBuiltIns(
        request.query.after,
        BUILT_IN_USAGE_REPORTS.map(toBuiltInUsageReportView),
        sendPage(request, reply, page, toUsageReportProfileView),
      );
    },
  );
  app.post(
    '/usageReportProfiles',
    {
      config: { level: KeyLevel.invoices },
      schema: {
        tags: profileTags,
        operationId: 'createUsageReportProfile',
        summary: 'Add a named usage report profile',
        description:
          "The email action's `invoiceUsageReportCustomerProfileID` picks it by name and attaches the CSV.",
        body: z.object({ name, kind }).strict(),
        response: { 201: usageReportProfileView, 400: errorBody, 409: errorBody },
      },
    },
    async (request, reply) =>
      reply.status(201).send(
        toUsageReportProfileView(
          await createUsageReportProfile(ctx, principalOf(request).accountId, {
            name: request.body.name,
            kind: USAGE_KIND_FROM_WIRE[request.body.kind],
          }),
        ),
      ),
  );
  app.get(
    '/usageReportProfiles/:id',
    {
      schema: {
        tags: profileTags,
        operationId: 'getUsageReportProfile',
        summary: 'A usage report profile',
        params: idParams,
        response: { 200: usageReportProfileView, 404: errorBody },
      },
    },
    async (request) => {
      const id = pathId(request.params.id, 'Usage report profile');
      const profile = await findUsageReportProfile(ctx.db, principalOf(request).accountId, id);
      if (!profile) throw notFound('Usage report profile', id);
      return toUsageReportProfileView(profile);
    },
  );
  app.patch(
    '/usageReportProfiles/:id',
    {
      config: { level: KeyLevel.invoices },
      schema: {
        tags: profileTags,
        operationId: 'updateUsageReportProfile',
        summary: 'Change a usage report profile',
        params: idParams,
        body: z.object({ name: name.optional(), kind: kind.optional() }).strict(),
        response: { 200: usageReportProfileView, 400: errorBody, 404: errorBody, 409: errorBody },
      },
    },
    async (request) =>
      toUsageReportProfileView(
        await updateUsageReportProfile(
          ctx,
          principalOf(request).accountId,
          pathId(request.params.id, 'Usage report profile'),
          {
            name: request.body.name,
            kind: request.body.kind === undefined ? undefined : USAGE_KIND_FROM_WIRE[request.body.kind],
          },
        ),
      ),
  );
  app.delete(
    '/usageReportProfiles/:id',
    {
      config: { level: KeyLevel.invoices },
      schema: {
        tags: profileTags,
        operationId: 'deleteUsageReportProfile',
        summary: 'Delete a usage report profile',
        params: idParams,
        response: { 200: deletedBody, 404: errorBody },
      },
    },
    async (request) => {
      const id = pathId(request.params.id, 'Usage report profile');
      await deleteUsageReportProfile(ctx, principalOf(request).accountId, id);
      return { success: true as const, message: `Usage report profile ${id} deleted` };
    },
  );
}
