// Email messages: the built-in "Standard" message, and named templates an account adds. A template has a
// subject and a body with {{placeholders}}: accountName, customerName, invoiceNumber, invoiceDate,
// dueDate, total, outstanding, currency. Unknown placeholders are left as they are.
import type { Executor } from '../context.ts';
import { DomainError } from '../shared/errors.ts';
import { findMessageTemplateByName } from './settings-repo.ts';

/** The placeholders a template may use. */
export const PLACEHOLDERS = [
  'accountName',
  'customerName',
  'invoiceNumber',
  'invoiceDate',
  'dueDate',
  'total',
  'outstanding',
  'currency',
  'customerReference',
  'purchaseOrderNumber',
] as const;

export interface MessageTemplate {
  name: string;
  subject: string;
  body: string;
}

export const STANDARD_TEMPLATE: MessageTemplate = {
  name: 'Standard',
  subject: 'Invoice {{invoiceNumber}} from {{accountName}}',
  body: [
    'Dear {{customerName}},',
    '',
    'Please find attached invoice {{invoiceNumber}} dated {{invoiceDate}} for {{currency}} {{total}}.',
    'The amount of {{currency}} {{outstanding}} is due by {{dueDate}}.',
    '',
    'Kind regards,',
    '{{accountName}}',
  ].join('\n'),
};

export const CDR_TEMPLATE: MessageTemplate = {
  name: 'Call records',
  subject: 'Call records for invoice {{invoiceNumber}} from {{accountName}}',
  body: [
    'Dear {{customerName}},',
    '',
    'Please find attached the call records for invoice {{invoiceNumber}}.',
    '',
    'Kind regards,',
    '{{accountName}}',
  ].join('\n'),
};

export async function resolveTemplate(
  db: Executor,
  accountId: number,
  name: string | undefined,
  field = 'message',
): Promise<MessageTemplate> {
  if (name === undefined || name.trim().toLowerCase() === STANDARD_TEMPLATE.name.toLowerCase())
    return STANDARD_TEMPLATE;
  const row = await findMessageTemplateByName(db, accountId, name.trim());
  if (!row)
    throw new DomainError(
      'unknown_message_template',
      `${field === 'message' ? '' : `${field}: `}no message template named "${name}"`,
      field,
    );
  return { name: row.name, subject: row.subject, body: row.body };
}

export function fillTemplate(text: string, values: Record<string, string>): string {
  return text.replace(/\{\{\s*(\w+)\s*\}\}/g, (whole, key: string) => values[key] ?? whole);
}
