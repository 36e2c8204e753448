// Outbox handlers for email. Each builds the message when it is sent (so a retry after a restart sends
// the same thing), sends it, and records the invoice as emailed once the server has accepted it.
import type { Ctx } from '../context.ts';
import { findAccount } from '../accounts/repo.ts';
import { findCustomer } from '../customers/repo.ts';
import { findInvoice } from '../invoices/repo.ts';
import type { JobHandler } from '../outbox/worker.ts';
import { PermanentJobError } from '../outbox/worker.ts';
import { currencyMinorDigits, formatAmount } from '../money/money.ts';
import { outstanding } from '../invoices/status.ts';
import { billDocument } from './documents.ts';
import type { CdrEmailJob, InvoiceEmailJob } from './email-invoice.ts';
import { isPermanentMailError, type MailAttachment } from '../email/mailer.ts';
import { invoiceCalls } from '../calls/repo.ts';
import { featureLabels } from '../features/repo.ts';
import { markEmailed } from '../invoices/repo.ts';
import { findAttachments } from '../delivery-settings/settings-repo.ts';
import { CDR_TEMPLATE, fillTemplate, resolveTemplate } from '../delivery-settings/templates.ts';
import { cdrCsv, resolveUsageReportProfile, usageReportCsv } from '../delivery-settings/usage-reports.ts';
import type { AccountRow } from '../accounts/repo.ts';
import type { CustomerRow } from '../customers/repo.ts';
import type { InvoiceRow } from '../invoices/repo.ts';

/** Most calls a CSV attachment carries. */
const MAX_CSV_CALLS = 1_000_000;

async function load(ctx: Ctx, accountId: number, invoiceId: number) {
  const account = await findAccount(ctx.db, accountId);
  const invoice = await findInvoice(ctx.db, accountId, invoiceId);
  const customer = invoice ? await findCustomer(ctx.db, accountId, invoice.customer_id) : undefined;
  if (!account || !invoice || !customer) throw new PermanentJobError(`invoice ${invoiceId} no longer exists`);
  return { account, invoice, customer };
}

function placeholders(
  account: AccountRow,
  customer: CustomerRow,
  invoice: InvoiceRow,
): Record<string, string> {
  const digits = currencyMinorDigits(account.currency);
  return {
    accountName: account.name,
    customerName: customer.name,
    invoiceNumber: invoice.invoice_number ?? String(invoice.id),
    invoiceDate: invoice.invoice_date ?? '',
    dueDate: invoice.due_date ?? '',
    total: formatAmount(invoice.total, digits),
    outstanding: formatAmount(outstanding(invoice), digits),
    currency: account.currency,
    customerReference: invoice.customer_reference ?? customer.customer_reference ?? '',
    purchaseOrderNumber: invoice.purchase_order_number ?? customer.purchase_order_number ?? '',
  };
}

function fromAddress(account: AccountRow): string {
  const address = account.email_from ?? account.email ?? 'billing@ringbill.invalid';
  return `"${account.name.replace(/"/g, "'")}" <${address}>`;
}

async function send(ctx: Ctx, mail: Parameters<Ctx['services']['mailer']['send']>[0]): Promise<void> {
  try {
    const sent = await ctx.services.mailer.send(mail);
    if (sent.rejected.length > 0)
      throw new PermanentJobError(`the mail server refused ${sent.rejected.join(', ')}`);
  } catch (error) {
    if (error instanceof PermanentJobError) throw error;
    if (isPermanentMailError(error)) throw new PermanentJobError((error as Error).message);
    throw error;
  }
}

export const sendInvoiceEmail: JobHandler = async (job, ctx) => {
  const payload = job.payload as InvoiceEmailJob;
  const { account, invoice, customer } = await load(ctx, job.account_id, payload.invoiceId);
  const now = ctx.now();
  const bill = await billDocument(ctx.db, account, customer, invoice, payload.billStyle, now);
  const attachments: MailAttachment[] = [
    { filename: bill.filename, content: bill.pdf, contentType: 'application/pdf' },
  ];
  const named = await findAttachments(ctx.db, account.id, payload.attachments);
  if (named.missing.length > 0)
    throw new PermanentJobError(`attachment "${named.missing[0]}" no longer exists`);
  for (const a of named.found)
    attachments.push({ filename: a.filename, content: a.content, contentType: a.content_type });
  if (payload.usageReport) {
    const profile = await resolveUsageReportProfile(ctx.db, account.id, payload.usageReport);
    const { calls } = await invoiceCalls(ctx.db, account.id, invoice.id, MAX_CSV_CALLS);
    const features = await featureLabels(ctx.db, account.id, [
      ...new Set(calls.flatMap((c) => (c.feature_id === null ? [] : [c.feature_id]))),
    ]);
    const csv = usageReportCsv(profile, calls, features);
    attachments.push({
      filename: `${profile.name}-${invoice.invoice_number ?? invoice.id}.csv`,
      content: Buffer.from(csv),
      contentType: 'text/csv',
    });
  }
  const template = await resolveTemplate(ctx.db, account.id, payload.message);
  const values = placeholders(account, customer, invoice);
  await send(ctx, {
    from: fromAddress(account),
    to: payload.to,
    subject: fillTemplate(template.subject, values),
    text: fillTemplate(template.body, values),
    attachments,
  });
  await markEmailed(ctx.db, account.id, invoice.id, now);
};

export const sendCdrEmail: JobHandler = async (job, ctx) => {
  const payload = job.payload as CdrEmailJob;
  const { account, invoice, customer } = await load(ctx, job.account_id, payload.invoiceId);
  const { calls } = await invoiceCalls(ctx.db, account.id, invoice.id, MAX_CSV_CALLS);
  const values = placeholders(account, customer, invoice);
  await send(ctx, {
    from: fromAddress(account),
    to: payload.to,
    subject: fillTemplate(CDR_TEMPLATE.subject, values),
    text: fillTemplate(CDR_TEMPLATE.body, values),
    attachments: [
      {
        filename: `CDRs-${invoice.invoice_number ?? invoice.id}.csv`,
        content: Buffer.from(cdrCsv(calls)),
        contentType: 'text/csv',
      },
    ],
  });
};

export const EMAIL_JOB_HANDLERS: Record<string, JobHandler> = {
  invoice_email: sendInvoiceEmail,
  cdr_email: sendCdrEmail,
};
