// The invoices document's `email` and `emailCdrs` actions. Both check everything first (so every mistake
// is a 400 naming it), then queue the email in the outbox, then try to send it at once: success is
// reported as such; a failure is 500601/500602 and the email stays queued and is retried with backoff.
// The action's audit entry, when the caller gives one, is written in the transaction that queues the email:
// it commits before the SMTP server is called, or neither does.
import type { Ctx, Executor } from '../context.ts';
import { recordAudit, type AuditChange } from '../audit/record.ts';
import { findAccount } from '../accounts/repo.ts';
import { findCustomer } from '../customers/repo.ts';
import type { InvoiceRow } from '../invoices/repo.ts';
import { findInvoice } from '../invoices/repo.ts';
import { enqueue, findJob } from '../outbox/repo.ts';
import { parseEmailList } from '../shared/contact.ts';
import { DomainError, notFound } from '../shared/errors.ts';
import { resolveBillStyle } from '../delivery-settings/bill-styles.ts';
import { findAttachments } from '../delivery-settings/settings-repo.ts';
import { resolveTemplate } from '../delivery-settings/templates.ts';
import { resolveUsageReportProfile } from '../delivery-settings/usage-reports.ts';
import { countCallsOnInvoice } from '../calls/repo.ts';

export interface EmailInvoiceInput {
  email?: string | string[] | undefined;
  billStyle?: string | undefined;
  message?: string | undefined;
  attachments?: string[] | undefined;
  invoiceUsageReportCustomerProfileID?: string | undefined;
}

export interface InvoiceEmailJob {
  invoiceId: number;
  to: string[];
  billStyle: string;
  message: string;
  attachments: string[];
  usageReport: string | null;
}

export interface CdrEmailJob {
  invoiceId: number;
  to: string[];
}

function recipients(given: string | string[] | undefined, customerEmail: string | null): string[] {
  let list: string[];
  try {
    // No addresses given (absent, "" or []): the customer's, as the invoices document says.
    list = given !== undefined ? parseEmailList(given, 'email') : [];
    if (list.length === 0) list = parseEmailList(customerEmail ?? '', 'email');
  } catch (error) {
    throw new DomainError('invalid_email_address', (error as Error).message, 'email');
  }
  if (list.length === 0) {
    throw new DomainError(
      'missing_parameter',
      'email: the customer has no email address; give one or more addresses',
      'email',
    );
  }
  return [...new Set(list.map((a) => a.toLowerCase()))];
}

async function approvedInvoice(
  db: Executor,
  accountId: number,
  invoiceId: number,
  what: string,
): Promise<InvoiceRow> {
  const invoice = await findInvoice(db, accountId, invoiceId);
  if (!invoice) throw notFound('Invoice', invoiceId);
  if (invoice.approved_at === null)
    throw new DomainError('invoice_raised', `invoice ${invoiceId} must be approved before ${what}`);
  return invoice;
}

async function sendNow(
  ctx: Ctx,
  accountId: number,
  jobId: number,
  failure: 'email_failed' | 'cdr_email_failed',
): Promise<'sent' | 'queued'> {
  const result = await ctx.services.deliverNow?.(accountId, jobId);
  if (result === undefined) {
    // Not tried now: the same email is already queued and waiting for its next attempt (or being sent by
    // the worker this moment). If its last attempt failed, asking again reports that failure, not success.
    const job = await findJob(ctx.db, accountId, jobId);
    if (job?.status === 'pending' && job.attempts > 0 && job.last_error !== null) {
      throw new DomainError(
        failure,
        `sending failed: ${job.last_error}. The email stays queued; the next attempt is at ${job.next_attempt_at.toISOString()}.`,
      );
    }
    return 'queued';
  }
  if (!result.delivered) {
    throw new DomainError(
      failure,
      `sending failed: ${result.error ?? 'unknown error'}. The email stays queued and will be retried.`,
    );
  }
  return 'sent';
}

export async function emailInvoice(
  ctx: Ctx,
  accountId: number,
  invoiceId: number,
  input: EmailInvoiceInput,
  audit?: AuditChange,
): Promise<{ message: string }> {
  const { job, invoice } = await ctx.db.transaction().execute(async (trx) => {
    const account = await findAccount(trx, accountId);
    if (!account) throw notFound('Account', accountId);
    const invoice = await approvedInvoice(trx, accountId, invoiceId, 'it can be emailed');
    const customer = (await findCustomer(trx, accountId, invoice.customer_id))!;
    const to = recipients(input.email, customer.email);
    const style = await resolveBillStyle(
      trx,
      accountId,
      input.billStyle ?? invoice.email_bill_type ?? invoice.bill_style ?? account.default_bill_style,
    );
    const template = await resolveTemplate(
      trx,
      accountId,
      input.message ?? invoice.invoice_message ?? undefined,
    );
    const attachmentNames = [...new Set(input.attachments ?? [])];
    const { missing } = await findAttachments(trx, accountId, attachmentNames);
    if (missing.length > 0)
      throw new DomainError('unknown_attachment', `no attachment named "${missing[0]}"`, 'attachments');
    const profileName =
      input.invoiceUsageReportCustomerProfileID ?? invoice.usage_report_profile ?? undefined;
    const profile = profileName ? await resolveUsageReportProfile(trx, accountId, profileName) : null;
    const payload: InvoiceEmailJob = {
      invoiceId,
      to,
      billStyle: style.name,
      message: template.name,
      attachments: attachmentNames,
      usageReport: profile?.name ?? null,
    };
    const job = await enqueue(trx, {
      accountId,
      kind: 'invoice_email',
      payload,
      dedupeKey: `invoice-email:${invoiceId}:${[...to].sort().join(',')}:${style.name}`,
      now: ctx.now(),
    });
    if (audit) await recordAudit(ctx, accountId, audit, trx);
    return { job, invoice };
  });
  const outcome = await sendNow(ctx, accountId, job.id, 'email_failed');
  const who = (await jobRecipients(ctx, accountId, invoiceId, input)).join(', ');
  return {
    message:
      outcome === 'sent'
        ? `Invoice ${invoice.invoice_number} emailed to ${who}`
        : `Invoice ${invoice.invoice_number} queued for email to ${who}`,
  };
}

export async function emailCdrs(
  ctx: Ctx,
  accountId: number,
  invoiceId: number,
  input: { email?: string | string[] | undefined },
  audit?: AuditChange,
): Promise<{ message: string }> {
  const { job, invoice, to } = await ctx.db.transaction().execute(async (trx) => {
    const invoice = await approvedInvoice(trx, accountId, invoiceId, 'its call records can be emailed');
    if ((await countCallsOnInvoice(trx, accountId, invoiceId)) === 0) {
      throw new DomainError('no_cdrs', `invoice ${invoice.invoice_number} has no calls`);
    }
    const customer = (await findCustomer(trx, accountId, invoice.customer_id))!;
    const to = recipients(input.email, customer.email);
    const payload: CdrEmailJob = { invoiceId, to };
    const job = await enqueue(trx, {
      accountId,
      kind: 'cdr_email',
      payload,
      dedupeKey: `cdr-email:${invoiceId}:${[...to].sort().join(',')}`,
      now: ctx.now(),
    });
    if (audit) await recordAudit(ctx, accountId, audit, trx);
    return { job, invoice, to };
  });
  const outcome = await sendNow(ctx, accountId, job.id, 'cdr_email_failed');
  return {
    message:
      outcome === 'sent'
        ? `Call records of invoice ${invoice.invoice_number} emailed to ${to.join(', ')}`
        : `Call records of invoice ${invoice.invoice_number} queued for email to ${to.join(', ')}`,
  };
}

async function jobRecipients(
  ctx: Ctx,
  accountId: number,
  invoiceId: number,
  input: EmailInvoiceInput,
): Promise<string[]> {
  const invoice = await findInvoice(ctx.db, accountId, invoiceId);
  const customer = invoice ? await findCustomer(ctx.db, accountId, invoice.customer_id) : undefined;
  return recipients(input.email, customer?.email ?? null);
}
