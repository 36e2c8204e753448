// An account's named email messages: a subject and a body with {{placeholders}}, chosen by the `email`
// action's `message` parameter. "Standard" is built in.
import type { Ctx } from '../context.ts';
import { invalid, notFound } from '../shared/errors.ts';
import { checkName, checkNameFree, checkNotNamedByInvoices } from './names.ts';
import {
  deleteNamed,
  findMessageTemplate,
  insertMessageTemplate,
  type MessageTemplateRow,
  updateMessageTemplate as updateRow,
} from '../delivery-settings/settings-repo.ts';
import { PLACEHOLDERS, STANDARD_TEMPLATE } from '../delivery-settings/templates.ts';
import { renameInInvoices } from '../invoices/reports-repo.ts';

export interface MessageTemplateInput {
  name?: string;
  subject?: string;
  body?: string;
}

const MAX_SUBJECT = 200;
const MAX_BODY = 20_000;

/** A placeholder that is not one of ours is a typo the customer would see: refused, naming it. */
function checkPlaceholders(text: string, field: string): void {
  for (const match of text.matchAll(/\{\{\s*(\w*)\s*\}\}/g)) {
    if (!(PLACEHOLDERS as readonly string[]).includes(match[1]!)) {
      throw invalid(
        field,
        `unknown placeholder ${match[0]}; known: ${PLACEHOLDERS.map((p) => `{{${p}}}`).join(', ')}`,
      );
    }
  }
}

function checkSubject(value: string): string {
  const subject = value.trim();
  if (subject.length === 0 || subject.length > MAX_SUBJECT)
    throw invalid('subject', `must be 1 to ${MAX_SUBJECT} characters`);
  if (/[\r\n]/.test(subject)) throw invalid('subject', 'must be one line');
  checkPlaceholders(subject, 'subject');
  return subject;
}

function checkBody(value: string): string {
  if (value.trim().length === 0 || value.length > MAX_BODY)
    throw invalid('body', `must be 1 to ${MAX_BODY} characters`);
  checkPlaceholders(value, 'body');
  return value.replace(/\r\n/g, '\n');
}

export async function createMessageTemplate(
  ctx: Ctx,
  accountId: number,
  input: Required<MessageTemplateInput>,
): Promise<MessageTemplateRow> {
  const name = checkName(input.name);
  const subject = checkSubject(input.subject);
  const body = checkBody(input.body);
  return ctx.db.transaction().execute(async (trx) => {
    await checkNameFree(trx, 'message_templates', accountId, name, [STANDARD_TEMPLATE.name]);
    const now = ctx.now();
    return insertMessageTemplate(trx, {
      account_id: accountId,
      name,
      subject,
      body,
      created_at: now,
      updated_at: now,
    });
  });
}

export async function updateMessageTemplate(
  ctx: Ctx,
  accountId: number,
  id: number,
  input: MessageTemplateInput,
): Promise<MessageTemplateRow> {
  const name = input.name === undefined ? undefined : checkName(input.name);
  const subject = input.subject === undefined ? undefined : checkSubject(input.subject);
  const body = input.body === undefined ? undefined : checkBody(input.body);
  return ctx.db.transaction().execute(async (trx) => {
    const current = await findMessageTemplate(trx, accountId, id);
    if (!current) throw notFound('Message template', id);
    if (name !== undefined)
      await checkNameFree(trx, 'message_templates', accountId, name, [STANDARD_TEMPLATE.name], id);
    const updated = await updateRow(trx, accountId, id, {
      ...(name !== undefined ? { name } : {}),
      ...(subject !== undefined ? { subject } : {}),
      ...(body !== undefined ? { body } : {}),
      updated_at: ctx.now(),
    });
    if (!updated) throw notFound('Message template', id);
    if (name !== undefined && name !== current.name)
      await renameInInvoices(trx, accountId, 'message_templates', current.name, name);
    return updated;
  });
}

export async function deleteMessageTemplate(ctx: Ctx, accountId: number, id: number): Promise<void> {
  await ctx.db.transaction().execute(async (trx) => {
    const template = await findMessageTemplate(trx, accountId, id);
    if (!template) throw notFound('Message template', id);
    await checkNotNamedByInvoices(trx, 'message_templates', accountId, template.name);
    await deleteNamed(trx, 'message_templates', accountId, id);
  });
}
