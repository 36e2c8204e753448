// Names of an account's bill styles, message templates, attachments and usage report profiles: what the
// `email` action takes (billStyle, message, attachments, invoiceUsageReportCustomerProfileID). Unique in
// the account without regard to case, and never a built-in's name.
import type { Executor } from '../context.ts';
import { DomainError, invalid } from '../shared/errors.ts';
import { findIdByName } from '../delivery-settings/settings-repo.ts';
import { invoiceNaming } from '../invoices/reports-repo.ts';

export const MAX_NAME_LENGTH = 100;

export function checkName(value: string, field = 'name'): string {
  const name = value.trim();
  if (name.length === 0 || name.length > MAX_NAME_LENGTH)
    throw invalid(field, `must be 1 to ${MAX_NAME_LENGTH} characters`);
  // eslint-disable-next-line no-control-regex -- refusing control characters in a name is the point
  if (/[\u0000-\u001f,;]/.test(name))
    throw invalid(field, 'must not contain commas, semicolons or control characters');
  return name;
}

/** Refuses a name that is built in or taken by another row of the same kind (409). */
export async function checkNameFree(
  db: Executor,
  table: 'bill_styles' | 'message_templates' | 'attachments' | 'usage_report_profiles',
  accountId: number,
  name: string,
  builtIn: readonly string[],
  exceptId?: number,
): Promise<void> {
  if (builtIn.some((b) => b.toLowerCase() === name.toLowerCase())) {
    throw new DomainError('conflict', `"${name}" is a built-in name (${builtIn.join(', ')}); choose another`);
  }
  const existing = await findIdByName(db, table, accountId, name);
  if (existing !== undefined && existing !== exceptId)
    throw new DomainError('conflict', `the name "${name}" is already used (id ${existing})`);
}

/**
 * Refuses (409) to delete a preset an invoice names: the invoice (frozen once approved) could no longer be
 * rendered, emailed or downloaded.
 */
export async function checkNotNamedByInvoices(
  db: Executor,
  kind: 'bill_styles' | 'message_templates' | 'usage_report_profiles',
  accountId: number,
  name: string,
): Promise<void> {
  const invoice = await invoiceNaming(db, accountId, kind, name);
  if (invoice)
    throw new DomainError(
      'conflict',
      `"${name}" is named by invoice ${invoice.id}; it cannot be deleted while invoices use it`,
    );
}
